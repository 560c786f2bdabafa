"""Command line for the retrieval core.

    python -m retrieval index    --corpus corpus.jsonl --retriever dense:e5 --out idx/e5 [--factory HNSW32]
    python -m retrieval index    --corpus corpus.jsonl --retriever bm25 --out idx/bm25 [--tokenizer kiwi]
    python -m retrieval search   --index idx/e5 --retriever dense:e5 --queries queries.jsonl --out run.trec [--k 100]
    python -m retrieval search   --index idx/bm25,idx/e5 --retriever hybrid:e5 --queries q.jsonl --out run.trec
    python -m retrieval evaluate --run run.trec --qrels qrels.txt [--measures nDCG@10,R@100,RR@10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from indexes.bm25 import BACKENDS

from .factory import build_retriever
from .jsonl import read_corpus, read_queries
from .trec import read_qrels, read_run, write_run

DEFAULT_MEASURES = "nDCG@10,R@100,RR@10,AP,P@10,Success@10"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="index a JSONL corpus into a folder")
    index.add_argument("--corpus", required=True, type=Path)
    index.add_argument("--retriever", default="bm25", help="bm25 | dense:MODEL")
    index.add_argument("--out", required=True, type=Path)
    index.add_argument("--factory", default="Flat", help="faiss factory string for dense indexes")
    index.add_argument("--tokenizer", default="multilingual", help="BM25 tokenizer: multilingual | kiwi | whitespace")
    index.add_argument("--cache", type=Path, help="embedding cache folder (re-indexing skips done work)")
    index.add_argument("--bm25-backend", default="bm25s", choices=BACKENDS,
                       help="BM25 engine: bm25s (fast), rank_bm25 (reference), pyserini (Lucene)")
    search = sub.add_parser("search", help="search a saved index with JSONL queries; write a TREC run")
    search.add_argument("--index", required=True, help="index folder (hybrid: BM25_DIR,DENSE_DIR)")
    search.add_argument("--retriever", default="bm25", help="bm25 | dense:MODEL | hybrid:MODEL")
    search.add_argument("--queries", required=True, type=Path)
    search.add_argument("--out", required=True, type=Path)
    search.add_argument("--k", type=int, default=100)
    search.add_argument("--cache", type=Path)
    evaluate = sub.add_parser("evaluate", help="score a TREC run against qrels (trec_eval semantics)")
    evaluate.add_argument("--run", required=True, type=Path)
    evaluate.add_argument("--qrels", required=True, type=Path)
    evaluate.add_argument("--measures", default=DEFAULT_MEASURES)
    evaluate.add_argument("--per-query", action="store_true", help="also print one row per query")
    args = parser.parse_args(argv)

    if args.command == "index":
        retriever = build_retriever(args.retriever, factory=args.factory, tokenizer=args.tokenizer, cache=args.cache,
                                    bm25_backend=args.bm25_backend)
        retriever.add(read_corpus(args.corpus))
        retriever.save(args.out)
        print(f"indexed {args.corpus} into {args.out}", file=sys.stderr)
    elif args.command == "search":
        retriever = build_retriever(args.retriever, args.index.split(","), cache=args.cache)
        write_run(retriever.search(read_queries(args.queries), args.k), args.out)
        print(f"run written to {args.out}", file=sys.stderr)
    else:
        from .metrics import evaluate as score
        from .metrics import evaluate_per_query

        measures = [m.strip() for m in args.measures.split(",") if m.strip()]
        run, qrels = read_run(args.run), read_qrels(args.qrels)
        if args.per_query:
            per_query = evaluate_per_query(run, qrels, measures)
            print("query\t" + "\t".join(measures))
            for qid in per_query[measures[0]]:
                print(qid + "\t" + "\t".join(f"{per_query[m][qid]:.4f}" for m in measures))
        means = score(run, qrels, measures)
        print("| measure | value |\n|---|---|")
        for name, value in means.items():
            print(f"| {name} | {value:.4f} |")


if __name__ == "__main__":
    main()
