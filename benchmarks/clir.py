"""English inclination on mixed-language pools, and what cross-lingual alignment training changes.

For each seed: XQuAD's 48 articles split in half by article; multilingual-e5-small fine-tuned with
InfoNCE + JSD (retrieval.alignment) on at most 2,800 samples from the training half; baseline and
aligned model scored on the held-out half, in 11 target languages x 4 scenarios (monolingual,
crosslingual, mixed, mixed with English queries), every pool ranked in full.

    python -m benchmarks.clir [--seeds 0,1,2] [--languages de,zh] [--max-samples 2800]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.report import write_report
from retrieval.alignment import CrossLingualAligner, alignment_samples
from retrieval.crosslingual import SCENARIOS, build_scenarios, scenario_metrics
from retrieval.datasets import XQUAD_LANGUAGES, data_root, load_xquad_parallel, split_articles
from retrieval.dense import DenseRetriever
from retrieval.encoders import SentenceTransformerEncoder
from retrieval.fileio import atomic_write
from retrieval.models import cache_dir
from retrieval.types import Run

MODEL = "intfloat/multilingual-e5-small"
HEADLINE = {"Max@R": ("mixed", "max_at_r_mixed"), "Complete@10": ("mixed", "complete_at_10_mixed"),
            "english_preference_rate": ("mixed", "english_preference_rate_mixed"),
            "same_language_preference_rate": ("mixed", "same_language_preference_rate_mixed"),
            "nDCG@10": ("monolingual", "monolingual_ndcg_at_10")}


def embed(encoder, xquad, languages, articles, cache: str | None) -> dict[str, np.ndarray]:
    """{"de:xquad-03p1" or "de:<question id>": vector} for the paragraphs and questions of ``articles``."""
    retriever = DenseRetriever(encoder, cache_dir=cache)
    vectors = {}
    for lang in languages:
        part = xquad[lang].subset(articles)
        docs = retriever.encode_documents([d.text for d in part.paragraphs])
        queries = retriever.encode_queries([q.question for q in part.questions])
        vectors.update({f"{lang}:{d.id}": v for d, v in zip(part.paragraphs, docs, strict=True)})
        vectors.update({f"{lang}:{q.id}": v for q, v in zip(part.questions, queries, strict=True)})
    return vectors


def evaluate_model(vectors, xquad, languages, articles) -> list[dict]:
    """One row per (language, scenario): the scenario's metrics, each pool ranked in full by cosine."""
    rows = []
    for lang in languages:
        for name, scenario in build_scenarios(xquad, lang, articles).items():
            docs = np.stack([vectors[d.id] for d in scenario.documents])
            queries = np.stack([vectors[q.id] for q in scenario.queries])
            scores = queries @ docs.T
            doc_ids = [d.id for d in scenario.documents]
            run = Run.from_scores({q.id: dict(zip(doc_ids, row.tolist(), strict=True))
                                   for q, row in zip(scenario.queries, scores, strict=True)})
            rows.append({"language": lang, "scenario": name, **scenario_metrics(run, scenario, k=10)})
    return rows


def run_seed(seed: int, args, xquad, languages, baseline_encoder) -> dict:
    """Baseline and aligned rows for one seed; cached in OUT/seeds/ so a killed run resumes by seed."""
    config = {"model": args.model, "seed": seed, "languages": languages, "max_samples": args.max_samples,
              "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
              "temperature": args.temperature, "jsd_weight": args.jsd_weight, "max_seq_length": args.max_seq_length}
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    done = Path(args.out) / "seeds" / f"seed-{seed}-{key}.json"
    if done.is_file():
        print(f"seed {seed}: results found in {done}")
        return json.loads(done.read_text())
    train_articles, held_out = split_articles(48, 0.5, seed=seed)
    baseline = evaluate_model(embed(baseline_encoder, xquad, ["en", *languages], held_out, args.cache),
                              xquad, languages, held_out)
    samples = alignment_samples(xquad, train_articles, languages, args.max_samples, seed=seed)
    started = time.perf_counter()
    aligner = CrossLingualAligner(args.model, temperature=args.temperature, jsd_weight=args.jsd_weight,
                                  batch_size=args.batch_size, epochs=args.epochs, learning_rate=args.learning_rate,
                                  max_seq_length=args.max_seq_length, seed=seed)
    model_dir = aligner.fit(samples, cache_dir() / "aligned" / f"clir-{key}")
    train_seconds = time.perf_counter() - started
    aligned_encoder = SentenceTransformerEncoder(str(model_dir), batch_size=32,
                                                 max_seq_length=baseline_encoder.model.max_seq_length)
    aligned = evaluate_model(embed(aligned_encoder, xquad, ["en", *languages], held_out, None),
                             xquad, languages, held_out)
    result = {"config": config, "held_out_articles": held_out, "n_samples": sum(map(len, samples.values())),
              "train_seconds": round(train_seconds, 1), "loss_history": aligner.history,
              "baseline": baseline, "aligned": aligned}
    with atomic_write(done) as out:
        json.dump(result, out, indent=1)
    return result


def mean_of(results, model, scenario, metric) -> list[float]:
    """Per seed: the metric's mean over languages."""
    return [float(np.mean([r[metric] for r in res[model] if r["scenario"] == scenario])) for res in results]


HEATMAP_COLUMNS = [("mixed", "Max@R", -1), ("mixed", "Complete@10", 1), ("mixed", "english_preference_rate", -1),
                   ("mixed", "same_language_preference_rate", -1), ("crosslingual", "nDCG@10", 1),
                   ("monolingual", "nDCG@10", 1)]  # (scenario, metric, +1 if higher is better else -1)
HEATMAP_LABELS = ["mixed\nMax@R", "mixed\nComplete@10", "mixed\nEN-pref", "mixed\nsame-pref", "cross\nnDCG@10",
                  "mono\nnDCG@10"]


def plot_heatmaps(table: list[dict], languages, path, model_name: str) -> None:
    """Baseline and aligned panels share one colour scale per column (green = better end of the pair's range);
    the change panel is green where alignment helped and red where it hurt, scaled per column."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cell = {(r["language"], r["scenario"], r["model"]): r for r in table}
    grids = {model: np.array([[cell[(lang, s, model)][m] for s, m, _ in HEATMAP_COLUMNS] for lang in languages])
             for model in ("baseline", "aligned", "change")}
    better = np.array([sign for *_, sign in HEATMAP_COLUMNS], dtype=float)
    both = np.vstack([grids["baseline"], grids["aligned"]])
    low, high = both.min(axis=0), both.max(axis=0)
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.45 * len(languages) + 2))
    for ax, (model, grid) in zip(axes, grids.items(), strict=True):
        if model == "change":
            shown = grid * better / np.maximum(np.abs(grid).max(axis=0), 1e-9)
        else:  # 0..1 within the column's range over both models, flipped so that 1 is always the better end
            unit = (grid - low) / np.maximum(high - low, 1e-9)
            shown = np.where(better > 0, unit, 1 - unit) * 2 - 1
        ax.imshow(shown, cmap="RdYlGn", aspect="auto", vmin=-1, vmax=1)
        for i, j in np.ndindex(grid.shape):
            ax.text(j, i, f"{grid[i, j]:+.2f}" if model == "change" else f"{grid[i, j]:.2f}",
                    ha="center", va="center", fontsize=7)
        ax.set(xticks=range(len(HEATMAP_COLUMNS)), yticks=range(len(languages)), title=model)
        ax.set_xticklabels(HEATMAP_LABELS, fontsize=7)
        ax.set_yticklabels(languages)
    fig.suptitle(f"XQuAD held-out articles, {model_name}: baseline vs aligned (mean over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clir", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="data folder (default: $POLYRAG_DATA or ./data)")
    parser.add_argument("--out", default="results/clir")
    parser.add_argument("--model", default=MODEL, help="the multilingual encoder to measure and align (name or path)")
    parser.add_argument("--languages", default="all", help="target languages: 'all' (the 11 besides en) or a list")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--max-samples", type=int, default=2800)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--jsd-weight", type=float, default=1.0)
    parser.add_argument("--max-seq-length", type=int, default=256, help="tokens per text while training")
    parser.add_argument("--cache", default=str(cache_dir() / "embeddings"), help="embedding cache (baseline)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    languages = [lang for lang in XQUAD_LANGUAGES if lang != "en"] if args.languages == "all" \
        else args.languages.split(",")
    unknown = [lang for lang in languages if lang not in XQUAD_LANGUAGES or lang == "en"]
    if unknown:
        raise SystemExit(f"unknown target language(s) {', '.join(unknown)}; XQuAD's besides en: "
                         f"{', '.join(XQUAD_LANGUAGES[1:])}")
    seeds = [int(s) for s in args.seeds.split(",")]
    xquad = load_xquad_parallel(["en", *languages], data_root(args.data))
    baseline_encoder = SentenceTransformerEncoder(args.model, batch_size=32)
    results = [run_seed(seed, args, xquad, languages, baseline_encoder) for seed in seeds]

    figures, table = {}, []
    for metric, (scenario, name) in HEADLINE.items():
        for model in ("baseline", "aligned"):
            values = mean_of(results, model, scenario, metric)
            figures[f"{name}_{model}"] = float(np.mean(values))
            figures[f"{name}_{model}_std"] = float(np.std(values))
        figures[f"{name}_change"] = figures[f"{name}_aligned"] - figures[f"{name}_baseline"]
    for scenario in ("crosslingual", "mixed_english_queries"):
        for model in ("baseline", "aligned"):
            figures[f"ndcg_at_10_{scenario}_{model}"] = float(np.mean(mean_of(results, model, scenario, "nDCG@10")))
            figures[f"max_at_r_{scenario}_{model}"] = float(np.mean(mean_of(results, model, scenario, "Max@R")))
    figures.update(n_seeds=len(seeds), n_languages=len(languages),
                   train_samples=results[0]["n_samples"],
                   train_seconds_mean=float(np.mean([r["train_seconds"] for r in results])),
                   seconds_total=round(time.perf_counter() - started, 1))
    for lang in languages:
        for scenario in SCENARIOS:
            rows = {}
            for model in ("baseline", "aligned"):
                per_seed = [next(r for r in res[model] if r["language"] == lang and r["scenario"] == scenario)
                            for res in results]
                rows[model] = {m: float(np.mean([r[m] for r in per_seed])) for m in per_seed[0]
                               if m not in ("language", "scenario")}
            rows["change"] = {m: rows["aligned"][m] - rows["baseline"][m] for m in rows["aligned"]}
            table += [{"language": lang, "scenario": scenario, "model": model, **values}
                      for model, values in rows.items()]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    plot_heatmaps(table, languages, Path(args.out) / "clir_heatmap.png", baseline_encoder.name)
    per_seed = [{"seed": res["config"]["seed"], "model": model, "train_seconds": res["train_seconds"],
                 **{f"{scenario} {metric}": mean_of([res], model, scenario, metric)[0]
                    for metric, (scenario, _) in HEADLINE.items()}}
                for res in results for model in ("baseline", "aligned")]
    tables = {"Means over languages, per seed": per_seed, "Per language and scenario (mean over seeds)": table}
    write_report(args.out, "Cross-lingual alignment: English inclination on mixed pools (XQuAD)", figures, tables,
                 notes=NOTES)
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}, indent=1))
    print(f"report: {args.out}/report.md")


NOTES = """Pools are the held-out articles' paragraphs (about 120 per language; mixed pools hold both
languages, about 240). A query's relevant documents are its paragraph in every language of the pool.
Max@R: the rank needed to retrieve all of them (ties count against the model; best is 1 in single-language
pools, 2 in mixed ones). English preference: share of target-language queries where an unrelated English
paragraph scores above the relevant target-language one; same-language preference is its mirror (an
unrelated target-language paragraph above the relevant English one). The aligned model is trained on the
other half of the articles only (split by article, seeded), at most 2,800 samples, one epoch. Baseline
figures differ between seeds because each seed holds out other articles.
"""


if __name__ == "__main__":
    main()
