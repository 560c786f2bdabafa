"""Which teacher-scored candidates to distil on: top-K, random or stratified (Jang et al., SIGIR 2026).

A trained cross-encoder teacher (``python -m distill.teacher train``) scores the untrained student's top
--pool-depth training-article paragraphs for each training question; each sampler keeps --n of them (the positive
always); a fresh student is distilled on each sampler's examples with the same budget, per seed, and scored by
nDCG@10 on XQuAD's held-out articles, in the training languages and in held-out languages.

    python -m benchmarks.distill --teacher DIR [--seeds 0,1,2] [--languages en,de,es,ru,zh] [--limit 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import time
from pathlib import Path

import numpy as np

from benchmarks.report import write_report
from distill.sampling import RandomSampler, StratifiedSampler, TopKSampler, sample_statistics
from distill.teacher import CrossEncoderTeacher, teacher_split
from distill.train import distill_examples, resolve_prompts, train_student
from retrieval.datasets import XQUAD_LANGUAGES, data_root, load_xquad_parallel
from retrieval.fileio import atomic_write
from retrieval.metrics import evaluate
from retrieval.models import XQUAD_CROSS_ENCODER, cache_dir, model_dir, resolve
from retrieval.types import Qrels, Run

SAMPLERS = {"topk": lambda seed: TopKSampler(), "random": lambda seed: RandomSampler(seed),
            "stratified": lambda seed: StratifiedSampler(seed=seed)}
SPLIT_SEED = 0  # teacher_split()'s seed, also the eval-question draw: fixed, so no seed sees the teacher's articles
DOMAINS = ("in_domain", "out_of_domain")


def load_student(name: str, device: str | None, max_seq_length: int):
    """(SentenceTransformer, (query prompt, passage prompt)), prompts as distill.train uses them."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(resolve(name)), device=device)
    model.max_seq_length = min(model.max_seq_length or max_seq_length, max_seq_length)
    return model, resolve_prompts(name, model)


def rank(model, prompts, queries, documents, k: int) -> Run:
    """Each query's top ``k`` documents by the model's cosine similarity, every document scored."""
    encode = lambda texts, prompt: model.encode(texts, prompt=prompt, batch_size=64, convert_to_numpy=True,  # noqa: E731
                                                normalize_embeddings=True, show_progress_bar=False)
    scores = encode([q.text for q in queries], prompts[0]) @ encode([d.text for d in documents], prompts[1]).T
    ids = [d.id for d in documents]
    return Run.from_scores({q.id: dict(zip(ids, row.tolist(), strict=True)) for q, row in zip(queries, scores,
                                                                                            strict=True)}, k=k)


def questions(xquad, articles, limit: int | None) -> tuple[list, Qrels, list]:
    """(queries, qrels, paragraphs) of some articles; ``limit`` questions drawn by a fixed shuffle (the same
    questions in every language: XQuAD is parallel)."""
    part = xquad.subset(articles)
    queries = part.queries()
    if limit is not None:
        queries = sorted(random.Random(SPLIT_SEED).sample(queries, min(limit, len(queries))), key=lambda q: q.id)
    qrels = part.qrels()
    return queries, Qrels({q.id: qrels[q.id] for q in queries}), part.paragraphs


def training_pools(model, prompts, xquad, languages, articles, limit, depth, teacher) -> dict[str, dict]:
    """Per language: the training questions, their untrained-student candidates and the pool's teacher scores
    (positive included, as distill_examples adds it). Identical for every sampler and seed."""
    caps = [None] * len(languages) if limit is None else \
        [limit // len(languages) + (i < limit % len(languages)) for i in range(len(languages))]
    pools = {}
    for lang, cap in zip(languages, caps, strict=True):
        queries, qrels, docs = questions(xquad[lang], articles, cap)
        run, texts = rank(model, prompts, queries, docs, depth), {d.id: d.text for d in docs}
        candidates = {q.id: [h.doc_id for h in run[q.id]] for q in queries}
        pool_ids = [list(dict.fromkeys([*qrels[q.id], *candidates[q.id]])) for q in queries]
        scores = teacher.score_pools([q.text for q in queries], [[texts[i] for i in ids] for ids in pool_ids])
        pools[lang] = {"queries": queries, "qrels": qrels, "documents": docs, "candidates": candidates,
                       "scores": scores}
    return pools


def evaluate_languages(model, prompts, held_out, teacher=None, depth: int = 10) -> dict[str, float]:
    """nDCG@10 per language on the held-out articles; with ``teacher``, of the teacher reranking the model's top
    ``depth``."""
    ndcg = {}
    for lang, (queries, qrels, docs) in held_out.items():
        run = rank(model, prompts, queries, docs, max(depth, 10))
        if teacher is not None:
            texts, ids = {d.id: d.text for d in docs}, [[h.doc_id for h in run[q.id]] for q in queries]
            scores = teacher.score_pools([q.text for q in queries], [[texts[i] for i in row] for row in ids])
            run = Run.from_scores({q.id: dict(zip(row, s.tolist(), strict=True))
                                   for q, row, s in zip(queries, ids, scores, strict=True)})
        ndcg[lang] = evaluate(run, qrels, ["nDCG@10"])["nDCG@10"]
    return ndcg


def run_student(seed: int, sampler: str, args, config: dict, pools, teacher, held_out) -> dict:
    """One distilled student: its examples' score statistics and nDCG@10; cached in OUT/seeds/ (resumable)."""
    key = hashlib.sha256(json.dumps({**config, "seed": seed, "sampler": sampler}, sort_keys=True).encode())
    done = Path(args.out) / "seeds" / f"seed-{seed}-{sampler}-{key.hexdigest()[:12]}.json"
    if done.is_file():
        print(f"seed {seed}, {sampler}: results found in {done}")
        return json.loads(done.read_text())
    chooser, examples, stats, positions = SAMPLERS[sampler](seed), [], [], []
    for pool in pools.values():
        made = distill_examples(pool["queries"], pool["candidates"], pool["documents"], pool["qrels"], teacher,
                                chooser, args.n)
        examples += made
        for example, scores in zip(made, pool["scores"], strict=True):  # same queries, same order
            stats.append(sample_statistics(example.teacher_scores, pool_scores=scores))
            positions += [(x - scores.min()) / max(np.ptp(scores), 1e-9) for x in example.teacher_scores[1:]]
    model, prompts = load_student(args.student, args.device, args.max_seq_length)
    started = time.perf_counter()
    train_student(model, examples, loss=args.loss, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                  seed=seed, student_temperature=args.student_temperature, query_prompt=prompts[0],
                  document_prompt=prompts[1], device=args.device)
    result = {"seed": seed, "sampler": sampler, "examples": len(examples),
              "train_seconds": round(time.perf_counter() - started, 1),
              **{name: float(np.mean([getattr(s, name) for s in stats])) for name in ("variance", "entropy",
                                                                                       "coverage")},
              "kept_negative_scores": [round(s, 4) for e in examples for s in e.teacher_scores[1:]],
              "kept_negative_positions": [round(float(x), 4) for x in positions],
              **{domain: evaluate_languages(model, prompts, held_out[domain]) for domain in DOMAINS}}
    with atomic_write(done) as out:
        json.dump(result, out)
    return result


def plot_scores(pools, results, samplers, path) -> None:
    """Violins of the teacher scores in the candidate pools and of the negatives each sampler keeps: raw, and as a
    position in their query's pool score range (0: the pool's lowest score, 1: its highest)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = [s for pool in pools.values() for s in pool["scores"]]
    fig, axes = plt.subplots(1, 2, figsize=(4 + 2.4 * len(samplers), 4))
    for ax, field, pool, label in ((axes[0], "scores", np.concatenate(scores), "teacher score (logit)"),
                                   (axes[1], "positions", np.concatenate([(s - s.min()) / max(np.ptp(s), 1e-9)
                                                                          for s in scores]), "position in pool range")):
        data = {"pool (all)": pool, **{s: np.concatenate([r[f"kept_negative_{field}"] for r in results[s]])
                                       for s in samplers}}
        ax.violinplot(list(data.values()), showmedians=True)
        ax.set(xticks=range(1, len(data) + 1), ylabel=label)
        ax.set_xticklabels(list(data))
    fig.suptitle("Teacher scores of the negatives each sampler keeps (all seeds) vs the candidate pools")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distill", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", default=str(model_dir(XQUAD_CROSS_ENCODER)),
                        help="trained CrossEncoder folder (default: the one `python -m distill.teacher train` writes)")
    parser.add_argument("--student", default="intfloat/multilingual-e5-small", help="model name or path")
    parser.add_argument("--data", help="data folder (default: $POLYRAG_DATA or ./data)")
    parser.add_argument("--out", default="results/distill")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--n", type=int, default=8, help="candidates kept per query, the positive included")
    parser.add_argument("--pool-depth", type=int, default=50, help="candidates retrieved per training query")
    parser.add_argument("--languages", default="en,de,es,ru,zh", help="in-domain (training and eval) languages")
    parser.add_argument("--ood-languages", default=None, help="held-out languages (default: 3 others of XQuAD)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many training queries (all languages)")
    parser.add_argument("--eval-limit", type=int, default=None, help="at most this many eval queries per language")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--loss", choices=("kl", "margin_mse"), default="kl")
    parser.add_argument("--student-temperature", type=float, default=0.05, help="KL only (cosine students)")
    parser.add_argument("--max-seq-length", type=int, default=256, help="student tokens per text")
    parser.add_argument("--rerank-depth", type=int, default=20, help="untrained top-k the teacher reranks (eval)")
    parser.add_argument("--cache", default=str(cache_dir() / "teacher-scores"), help="teacher-score cache")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA when present)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    teacher_dir = Path(args.teacher).expanduser()
    if not (teacher_dir / "config.json").is_file():
        raise SystemExit(f"no trained teacher at {teacher_dir}: train one with `python -m distill.teacher train "
                         f"--out {teacher_dir}` (or pass --teacher DIR)")
    split = lambda text: [item for item in re.split(r"[,\s]+", text) if item]  # noqa: E731
    languages, samplers, seeds = split(args.languages), split(args.samplers), [int(s) for s in split(args.seeds)]
    ood = split(args.ood_languages) if args.ood_languages else [x for x in XQUAD_LANGUAGES if x not in languages][:3]
    unknown = [x for x in languages + ood if x not in XQUAD_LANGUAGES] + [s for s in samplers if s not in SAMPLERS]
    if unknown or set(languages) & set(ood) or not languages or not ood:
        raise SystemExit(f"bad --languages/--ood-languages/--samplers ({', '.join(unknown) or 'overlapping'}): "
                         f"XQuAD has {', '.join(XQUAD_LANGUAGES)}; samplers are {', '.join(SAMPLERS)}")
    if not 2 <= args.n <= args.pool_depth:
        raise SystemExit(f"need 2 <= --n <= --pool-depth, got {args.n} and {args.pool_depth}")
    train_articles, eval_articles = teacher_split()
    report_file = teacher_dir / "training_report.json"
    if report_file.is_file() and set(json.loads(report_file.read_text())["split"]["train_articles"]) & \
            set(eval_articles):
        raise SystemExit(f"{teacher_dir} was trained on articles this benchmark evaluates on")

    xquad = load_xquad_parallel(list(dict.fromkeys(languages + ood)), data_root(args.data))
    teacher = CrossEncoderTeacher(teacher_dir, cache_dir=args.cache, device=args.device)
    config = {k: getattr(args, k) for k in ("student", "n", "pool_depth", "limit", "eval_limit", "epochs",
                                             "batch_size", "lr", "loss", "student_temperature", "max_seq_length")}
    config.update(teacher=teacher.name, languages=languages, ood_languages=ood, split_seed=SPLIT_SEED)
    model, prompts = load_student(args.student, args.device, args.max_seq_length)
    held_out = {"in_domain": {x: questions(xquad[x], eval_articles, args.eval_limit) for x in languages},
                "out_of_domain": {x: questions(xquad[x], eval_articles, args.eval_limit) for x in ood}}
    pools = training_pools(model, prompts, xquad, languages, train_articles, args.limit, args.pool_depth, teacher)
    baselines = {"untrained": {d: evaluate_languages(model, prompts, held_out[d]) for d in DOMAINS},
                 "teacher": {d: evaluate_languages(model, prompts, held_out[d], teacher, args.rerank_depth)
                             for d in DOMAINS}}
    del model
    results = {s: [run_student(seed, s, args, config, pools, teacher, held_out) for seed in seeds] for s in samplers}

    figures, per_language = {}, []
    for domain in DOMAINS:
        means = {name: [float(np.mean(list(b[domain].values())))] for name, b in baselines.items()}
        means.update({s: [float(np.mean(list(r[domain].values()))) for r in results[s]] for s in samplers})
        for name, values in means.items():  # baselines do not depend on the seed: one value, std 0
            figures[f"ndcg_at_10_{domain}_{name}"] = float(np.mean(values))
            figures[f"ndcg_at_10_{domain}_{name}_std"] = float(np.std(values))
        per_language += [{"language": lang, "domain": domain, **{b: r[domain][lang] for b, r in baselines.items()},
                          **{s: float(np.mean([r[domain][lang] for r in results[s]])) for s in samplers}}
                         for lang in held_out[domain]]
    for stat in ("variance", "entropy", "coverage"):
        figures.update({f"score_{stat}_{s}": float(np.mean([r[stat] for r in results[s]])) for s in samplers})
    figures.update(n_seeds=len(seeds), train_queries=results[samplers[0]][0]["examples"], n=args.n,
                   pool_depth=args.pool_depth, seconds_total=round(time.perf_counter() - started, 1))
    per_seed = [{"seed": r["seed"], "sampler": s, **{f"nDCG@10 {d}": float(np.mean(list(r[d].values())))
                                                     for d in DOMAINS},
                 **{k: r[k] for k in ("variance", "entropy", "coverage", "train_seconds")}}
                for s in samplers for r in results[s]]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    plot_scores(pools, results, samplers, Path(args.out) / "teacher_scores_kept.png")
    write_report(args.out, "Distillation: top-K vs random vs stratified sampling (XQuAD)", figures,
                 {"Per seed and sampler": per_seed, "nDCG@10 per language (mean over seeds)": per_language},
                 notes=NOTES.format(ood=", ".join(ood), depth=args.rerank_depth))
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}, indent=1))
    print(f"report: {args.out}/report.md")


NOTES = """The article split is fixed (split_articles(48, 0.5, seed=0)), the split distill.teacher trains on, so
no run evaluates on the teacher's training articles; the seed varies the random and stratified draws and the
training run (initial order, dropout). Candidate pools (the untrained student's top --pool-depth training-article
paragraphs per question) and teacher scores are computed once and shared by every sampler and seed; every sampler
keeps --n candidates per query (the positive first), so every student trains on the same number of examples,
epochs and batches. Evaluation ranks all held-out-article paragraphs of a language per question (nDCG@10,
trec_eval semantics), averaged over languages; out-of-domain languages ({ood}) are never distilled on (the teacher
may have been trained on them). The teacher's figure reranks the untrained student's top {depth}, so it is
bounded by that list's recall. Statistics (Jang et al.): variance and entropy (softmax, T=1) of the kept teacher
scores, and coverage (kept score range / pool score range), means over queries and seeds.
"""


if __name__ == "__main__":
    main()
