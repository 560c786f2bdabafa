"""``python -m indexes build``: a BM25 index from a JSONL corpus, or a FAISS index from stored vectors.

    python -m indexes build bm25 --corpus corpus.jsonl --out idx/bm25 [--tokenizer kiwi] [--k1 1.2 --b 0.75]
    python -m indexes build faiss --vectors docs.npy --ids ids.txt --out idx/dense [--factory HNSW32 --metric ip]

Dense indexes straight from text (encoding with a model) are built by ``python -m retrieval index``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .bm25 import BACKENDS


def read_corpus_texts(path: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) from BEIR-style JSONL (``_id`` or ``id``, ``text``, optional ``title``); errors name the line."""
    ids, texts = [], []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id, text = record.get("_id", record.get("id")), record["text"]
            except (json.JSONDecodeError, KeyError, AttributeError) as err:
                raise SystemExit(f"{path}:{lineno}: not a corpus record with an id and 'text' ({err})") from None
            if doc_id is None:
                raise SystemExit(f"{path}:{lineno}: record has no '_id' or 'id'")
            ids.append(str(doc_id))
            texts.append(f"{record['title']}\n{text}" if record.get("title") else text)
    if not ids:
        raise SystemExit(f"{path}: no records (the corpus is empty)")
    return ids, texts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m indexes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    build = parser.add_subparsers(dest="command", required=True).add_parser("build", help="build an index folder")
    build.add_argument("kind", choices=["bm25", "faiss"])
    build.add_argument("--out", required=True, type=Path)
    build.add_argument("--corpus", type=Path, help="bm25: JSONL corpus")
    build.add_argument("--tokenizer", default="multilingual", help="bm25: multilingual | kiwi | whitespace")
    build.add_argument("--k1", type=float, default=1.5)
    build.add_argument("--b", type=float, default=0.75)
    build.add_argument("--method", default="lucene", help="bm25: lucene | okapi | robertson | atire | bm25l | bm25+")
    build.add_argument("--backend", default="bm25s", choices=BACKENDS,
                       help="bm25: bm25s (fast), rank_bm25 (reference), pyserini (Lucene; pip install -e .[lucene])")
    build.add_argument("--vectors", type=Path, help="faiss: .npy float32 matrix, one row per id")
    build.add_argument("--ids", type=Path, help="faiss: text file, one id per line, in row order")
    build.add_argument("--factory", default="Flat", help="faiss: index factory string (Flat, HNSW32, IVF1024,PQ32...)")
    build.add_argument("--metric", default="ip", choices=["ip", "l2"])
    build.add_argument("--model", help="faiss: the encoder that made the vectors (checked when the index is loaded)")
    args = parser.parse_args(argv)

    if args.kind == "bm25":
        from .bm25 import BM25Index

        if args.corpus is None:
            parser.error("bm25 needs --corpus")
        ids, texts = read_corpus_texts(args.corpus)
        index = BM25Index(args.tokenizer, k1=args.k1, b=args.b, method=args.method, backend=args.backend)
        index.index(ids, texts)
    else:
        from .faiss_index import FaissIndex

        if args.vectors is None or args.ids is None:
            parser.error("faiss needs --vectors and --ids")
        vectors = np.load(args.vectors, mmap_mode="r")
        ids = [line.rstrip("\n") for line in args.ids.read_text(encoding="utf-8").splitlines() if line.strip()]
        if len(ids) != len(vectors):
            raise SystemExit(f"{args.ids} has {len(ids)} ids but {args.vectors} has {len(vectors)} rows")
        index = FaissIndex(vectors.shape[1], args.factory, metric=args.metric, model=args.model)
        index.add(ids, vectors, show_progress_bar=True)
    index.save(args.out)
    print(f"{args.kind} index of {len(index)} documents written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
