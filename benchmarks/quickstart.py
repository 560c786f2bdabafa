"""A first real job on the bundled models, offline: multilingual-e5-small dense retrieval over
XQuAD's 12 languages (nDCG@10, R@10, MRR@10 per language), then SmolLM2 answering English
XQuAD questions closed-book, with the top retrieved paragraphs, and with the gold paragraph
(MIRAGE's prompts and its EM_loose label).

    python -m benchmarks.quickstart [--languages all] [--rag-questions 100]
"""

from __future__ import annotations

import argparse
import time

import faiss
import ir_measures
import numpy as np
from ir_measures import MRR, R, nDCG

from benchmarks.report import markdown_table, write_report
from rag.generator import HFGenerator
from rag.metrics import em_loose
from rag.prompts import MIRAGE_PROMPTS
from retrieval.datasets import XQUAD_LANGUAGES, load_xquad_parallel
from retrieval.encoders import SentenceTransformerEncoder
from retrieval.types import Run

MEASURES = {"ndcg_at_10": nDCG @ 10, "recall_at_10": R @ 10, "mrr_at_10": MRR @ 10}


def dense_search(encoder, xquad, k: int) -> Run:
    docs = encoder.encode_documents([d.text for d in xquad.paragraphs], show_progress_bar=True)
    queries = encoder.encode_queries([q.question for q in xquad.questions], show_progress_bar=True)
    index = faiss.IndexFlatIP(docs.shape[1])
    index.add(docs)
    scores, rows = index.search(queries, k)
    ids = np.array([d.id for d in xquad.paragraphs])
    return Run.from_scores({q.id: dict(zip(ids[r], s.tolist(), strict=True))
                            for q, r, s in zip(xquad.questions, rows, scores, strict=True)}, name=encoder.name)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quickstart", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="data folder (default: $POLYRAG_DATA or ./data)")
    parser.add_argument("--out", default="results/quickstart", help="report folder")
    parser.add_argument("--languages", default="en,zh,hi",
                        help=f"comma-separated XQuAD languages, or 'all' ({','.join(XQUAD_LANGUAGES)})")
    parser.add_argument("--encoder", default="intfloat/multilingual-e5-small")
    parser.add_argument("--generator", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--rag-questions", type=int, default=30, help="English questions to answer (0: none)")
    parser.add_argument("--context-k", type=int, default=3, help="retrieved paragraphs given to the generator")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    languages = XQUAD_LANGUAGES if args.languages == "all" else \
        [lang.strip() for lang in args.languages.split(",") if lang.strip()]
    xquad = load_xquad_parallel(languages, args.data)
    encoder = SentenceTransformerEncoder(args.encoder)
    rows, runs = [], {}
    for lang in languages:
        runs[lang] = dense_search(encoder, xquad[lang], k=100)
        scores = ir_measures.calc_aggregate(list(MEASURES.values()), xquad[lang].qrels(), runs[lang].to_scores())
        rows.append({"language": lang, **{name: float(scores[m]) for name, m in MEASURES.items()}})
        print(f"{lang}: " + "  ".join(f"{k}={v:.4f}" for k, v in rows[-1].items() if k != "language"))
    figures = {f"{name}_mean_e5": float(np.mean([r[name] for r in rows])) for name in MEASURES}
    figures.update({f"ndcg_at_10_{r['language']}_e5": r["ndcg_at_10"] for r in rows})
    tables = {"Dense retrieval on XQuAD (multilingual-e5-small, exact inner product)": rows}

    if args.rag_questions and "en" in xquad:
        en = xquad["en"]
        text = {d.id: d.text for d in en.paragraphs}
        questions = en.questions[: args.rag_questions]
        settings = {
            "base": [MIRAGE_PROMPTS.closed_book(q.question) for q in questions],
            "retrieved": [MIRAGE_PROMPTS.with_context(q.question, [text[h.doc_id] for h in
                                                                   runs["en"][q.id][: args.context_k]])
                          for q in questions],
            "oracle": [MIRAGE_PROMPTS.with_context(q.question, [text[q.paragraph_id]]) for q in questions],
        }
        generator = HFGenerator(args.generator, batch_size=8, max_new_tokens=32)
        rag_rows = []
        for setting, conversations in settings.items():
            answers = generator.generate(conversations, show_progress_bar=True)
            labels = [em_loose(a, q.answers) for a, q in zip(answers, questions, strict=True)]
            figures[f"em_loose_{setting}"] = float(np.mean(labels))
            rag_rows.append({"setting": setting, "em_loose": figures[f"em_loose_{setting}"],
                             "questions": len(questions)})
        figures["n_rag_questions"] = len(questions)
        tables[f"RAG on English XQuAD ({generator.name}, top-{args.context_k} e5 paragraphs)"] = rag_rows

    figures["seconds_total"] = round(time.perf_counter() - started, 1)
    out = write_report(args.out, "Quickstart: multilingual dense retrieval and RAG on XQuAD", figures, tables)
    for name, table in tables.items():
        print(f"\n{name}\n{markdown_table(table)}")
    print(f"\nreport: {out / 'report.md'}")


if __name__ == "__main__":
    main()
