"""MIRAGE (Park et al., Findings of NAACL 2025): a retriever + generator pair scored by its
RAG-adaptability metrics. Three generations per question: base (closed book), oracle (its gold
chunk) and mix (the top-k chunks the retriever returns from the pool; with --mode llm, the
question's own 5-chunk pool). Generations are appended to generations.jsonl as they finish, so a
killed run picks up where it stopped with --resume.

    python -m benchmarks.mirage                                    # XQuAD-built MIRAGE, e5 + SmolLM2, 60 questions
    python -m benchmarks.mirage --limit 0                          # all 1,190 questions
    python -m benchmarks.mirage --source path/to/mirage --retriever hybrid:e5 --generator smollm2
    python -m benchmarks.mirage --source mirage-questions --mode llm   # the real 7,560 questions, closed book
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.report import write_report
from rag.generator import MIRAGE_SAMPLING, HFGenerator
from rag.metrics import em_loose, em_strict, mirage_scores, retrieval_at_k, token_f1
from rag.mirage_data import build_from_xquad, load_mirage, load_mirage_questions
from rag.pipeline import RAGPipeline
from rag.prompts import MIRAGE_PROMPTS
from retrieval.datasets import data_root, load_xquad
from retrieval.factory import build_retriever
from retrieval.fileio import atomic_write
from retrieval.models import cache_dir
from retrieval.types import Document, Query

METRICS = ("noise_vulnerability", "context_acceptability", "context_insensitivity", "context_misinterpretation")


def load_questions(source: str, data: Path):
    if source == "xquad-en":
        return build_from_xquad(load_xquad("en", data))
    if source == "mirage-questions":
        return load_mirage_questions(data / "mirage" / "dataset.json")
    return load_mirage(source)


class Generations:
    """generations.jsonl: one line per (setting, question), appended and flushed as each batch finishes."""

    def __init__(self, path: Path, resume: bool, config: dict | None = None):
        """``config``: what decides the generations (model, prompts, sampling); a resume must match it."""
        self.path = path
        if path.exists() and not resume:
            raise SystemExit(f"{path} exists: pass --resume to continue that run, or choose another --out")
        config_path = path.with_name("generation_config.json")
        if config is not None:
            if path.exists() and config_path.exists():
                before = json.loads(config_path.read_text(encoding="utf-8"))
                if before != config:
                    changed = sorted(k for k in {*before, *config} if before.get(k) != config.get(k))
                    raise SystemExit(f"{path} was generated with other settings ({', '.join(changed)}): "
                                     "choose another --out")
            path.parent.mkdir(parents=True, exist_ok=True)
            config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        self.done: dict[tuple[str, str], str] = {}
        self.generated = 0  # by this process: a resumed run's timing covers only these
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    if number == len(lines):  # the half-written last line of a killed run: drop it, redo it
                        with atomic_write(path) as out:
                            out.write("".join(f"{kept}\n" for kept in lines[:-1]))
                        break
                    raise SystemExit(f"{path}:{number}: not a JSON record") from None
                self.done[(record["setting"], record["query_id"])] = record["output"]
        path.parent.mkdir(parents=True, exist_ok=True)

    def run(self, setting: str, ids: list[str], conversations: list, generator, batch_size: int, sampling: dict):
        todo = [i for i, qid in enumerate(ids) if (setting, qid) not in self.done]
        print(f"{setting}: {len(ids) - len(todo)} done before, {len(todo)} to generate")
        from tqdm import tqdm

        with open(self.path, "a", encoding="utf-8") as out:
            for start in tqdm(range(0, len(todo), batch_size), desc=setting):
                batch = todo[start:start + batch_size]
                for i, output in zip(batch, generator.generate([conversations[i] for i in batch], **sampling),
                                     strict=True):
                    self.done[(setting, ids[i])] = output
                    self.generated += 1
                    out.write(json.dumps({"setting": setting, "query_id": ids[i], "output": output},
                                         ensure_ascii=False) + "\n")
                out.flush()
        return [self.done[(setting, qid)] for qid in ids]


def plot_metrics(figures: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    values = [figures[m] for m in METRICS]
    ax.bar([m.replace("_", "\n") for m in METRICS], values, color=["#d62728", "#2ca02c", "#7f7f7f", "#ff7f0e"])
    for i, v in enumerate(values):
        ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=8)
    ax.set(ylim=(0, max(values) * 1.2 + 0.05), ylabel="share of questions", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mirage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="xquad-en",
                        help="xquad-en (XQuAD written in MIRAGE's schema), mirage-questions (dataset.json, "
                             "closed book only), a folder in MIRAGE's schema, or nlpai-lab/mirage")
    parser.add_argument("--retriever", default="dense:intfloat/multilingual-e5-small",
                        help="bm25 | dense:MODEL | hybrid:MODEL")
    parser.add_argument("--generator", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--k", type=int, default=5, help="chunks given to the generator in the mix setting")
    parser.add_argument("--pool", choices=["dedup", "copies"], default="dedup",
                        help="dedup: index each distinct text once (the XQuAD-built pool holds each paragraph in "
                             "~25 questions' pools, so 'copies' hands the mix setting k copies of one text); "
                             "copies: every question's chunks as they are, judged by MIRAGE's own-copy rule")
    parser.add_argument("--limit", type=int, default=60, help="questions, sampled with --seed (0: all)")
    parser.add_argument("--mode", choices=["rag", "llm", "ret"], default="rag")
    parser.add_argument("--sampling", choices=["greedy", "mirage"], default="greedy",
                        help="greedy, or MIRAGE's temperature 0.1 / top_p 0.1")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help="data folder (default: $POLYRAG_DATA or ./data)")
    parser.add_argument("--out", default="results/mirage")
    parser.add_argument("--resume", action="store_true", help="continue the run whose generations are in --out")
    args = parser.parse_args(argv)
    started, out = time.perf_counter(), Path(args.out)
    questions = load_questions(args.source, data_root(args.data))
    if args.limit and args.limit < len(questions):
        questions = random.Random(args.seed).sample(questions, args.limit)
    closed_book = args.source == "mirage-questions"
    ids = [q.query_id for q in questions]
    figures, tables = {"n_questions": len(questions)}, {}

    run = None
    if not closed_book and args.mode != "llm":
        chunks = {f"{q.query_id}#{j}": (q, c) for q in questions for j, c in enumerate(q.pool)}
        dedup = args.pool == "dedup"
        if dedup:  # each text indexed once, under its first chunk's id
            first = {}
            for cid, (_, c) in chunks.items():
                first.setdefault(c.doc_chunk, cid)
            chunks = {cid: chunks[cid] for cid in first.values()}
        documents = [Document(cid, c.doc_chunk, title=c.doc_name) for cid, (_, c) in chunks.items()]
        retriever = build_retriever(args.retriever, cache=cache_dir() / "embeddings").add(documents)
        pipeline_docs = {d.id: d for d in documents}
        queries = [Query(q.query_id, q.query) for q in questions]
        run = retriever.search(queries, args.k)
        rows, by_text, distinct = [], [], []
        for q in questions:
            hits = [chunks[h.doc_id] for h in run[q.query_id]]
            supporting, retrieved = {c.doc_chunk for c in q.pool if c.support}, {c.doc_chunk for _, c in hits}
            if dedup:  # one copy of each text: relevant is a supporting text of the question's pool
                relevances, n_relevant = [int(c.doc_chunk in supporting) for _, c in hits], len(supporting)
            else:  # MIRAGE's rule: only the question's own copy of a chunk counts
                relevances = [int(owner.query_id == q.query_id and c.support == 1) for owner, c in hits]
                n_relevant = sum(c.support for c in q.pool)
            rows.append({k: retrieval_at_k(relevances, n_relevant, k) for k in (1, 3, 5)})
            # a pool holding the same paragraph for several questions (XQuAD-built: ~5 questions per paragraph)
            # hides found text from MIRAGE's rule, so judge by text too
            by_text.append(len(supporting & retrieved) / len(supporting) if supporting else 0.0)
            distinct.append(len(retrieved))
        table = [{"k": k, **{m: float(np.mean([r[k][m] for r in rows])) for m in rows[0][k]}} for k in (1, 3, 5)]
        rule = ("a text is relevant when it supports the question (pool indexed once per distinct text)" if dedup
                else "a chunk is relevant when it is the question's and support = 1")
        tables[f"Retrieval ({rule})"] = table
        figures["pool_chunks_indexed"] = len(documents)
        figures.update(retrieval_recall_at_5=table[2]["recall"], retrieval_ndcg_at_5=table[2]["ndcg_mirage"],
                       retrieval_ndcg_at_5_standard=table[2]["ndcg"],
                       retrieval_recall_at_k_by_text=float(np.mean(by_text)),
                       distinct_texts_in_top_k=float(np.mean(distinct)))

    if args.mode != "ret":
        generator = HFGenerator(args.generator, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)
        sampling = MIRAGE_SAMPLING if args.sampling == "mirage" else {}
        decisive = ("source", "retriever", "generator", "k", "pool", "limit", "mode", "sampling", "max_new_tokens",
                    "seed")
        config = {key: getattr(args, key) for key in decisive} | {"prompts": list(MIRAGE_PROMPTS.__dict__.values())}
        store = Generations(out / "generations.jsonl", args.resume, config)
        settings = {"base": [MIRAGE_PROMPTS.closed_book(q.query) for q in questions]}
        if not closed_book:
            settings["oracle"] = [MIRAGE_PROMPTS.with_context(q.query, [q.oracle]) for q in questions]
            settings["mix"] = (RAGPipeline(retriever, generator, pipeline_docs, k=args.k).conversations(queries, run)
                               if run is not None else
                               [MIRAGE_PROMPTS.with_context(q.query, [c.doc_chunk for c in q.pool]) for q in questions])
        labels, answer_rows = {}, []
        for setting, conversations in settings.items():
            outputs = store.run(setting, ids, conversations, generator, args.batch_size, sampling)
            labels[setting] = [em_loose(o, q.answers) for o, q in zip(outputs, questions, strict=True)]
            strict = [em_strict(o, q.answers) for o, q in zip(outputs, questions, strict=True)]
            f1 = [token_f1(o, q.answers) for o, q in zip(outputs, questions, strict=True)]
            figures[f"em_loose_{setting}"] = float(np.mean(labels[setting]))
            answer_rows.append({"setting": setting, "EM_loose": figures[f"em_loose_{setting}"],
                                "EM_strict": float(np.mean(strict)), "F1": float(np.mean(f1))})
        tables[f"Answers ({generator.name}, {args.sampling})"] = answer_rows
        figures["generations_this_run"] = store.generated
        if not closed_book:
            scores = mirage_scores(labels["base"], labels["mix"], labels["oracle"])
            figures.update({m: getattr(scores, m) for m in METRICS})
            tables["MIRAGE metrics"] = [{m: getattr(scores, m) for m in METRICS}]
            tables["8-cell table (base_mix_oracle: questions)"] = [scores.cells]
            by_source = {}
            for i, q in enumerate(questions):
                by_source.setdefault(q.source or "-", []).append(i)
            tables["By source"] = [
                {"source": src, "questions": len(rows),
                 **{m: getattr(mirage_scores(*[[labels[s][i] for i in rows] for s in ("base", "mix", "oracle")]), m)
                    for m in METRICS}} for src, rows in by_source.items()]
            out.mkdir(parents=True, exist_ok=True)
            plot_metrics(figures, out / "mirage_metrics.png", f"{args.retriever} + {generator.name}")
        else:
            sources = sorted({q.source for q in questions})
            tables["Closed book by source"] = [
                {"source": s, "questions": sum(q.source == s for q in questions),
                 "EM_loose": float(np.mean([lab for lab, q in zip(labels["base"], questions, strict=True)
                                            if q.source == s]))} for s in sources]

    # wall time of this invocation: for a resumed run it covers only what it generated (generations_this_run)
    figures["seconds_per_question"] = round((time.perf_counter() - started) / len(questions), 3)
    write_report(out, f"MIRAGE: {args.source}, {args.retriever} + {args.generator}", figures, tables)
    for name in METRICS:
        if name in figures:
            print(f"{name}: {figures[name]:.4f}")
    print(f"report: {out / 'report.md'}")


if __name__ == "__main__":
    main()
