"""BM25 postings with the tokenizer that made them: bm25s as the fast backend, rank-bm25 as the reference.

Variants (checked on XQuAD en, 240 paragraphs x 1,190 questions, ``tests/indexes/test_bm25.py``):

- ``method="okapi"`` is rank_bm25's ``BM25Okapi`` formula, run by bm25s as ``method="atire"`` (term part
  ``tf*(k1+1) / (tf + k1*(1-b+b*dl/avgdl))``) with ``idf_method="robertson"`` (``log((N-df+.5)/(df+.5))``).
  It equals ``BM25Okapi(epsilon=0)`` to float rounding (1e-14 in float64, ~5e-6 in float32).
- Where they differ: a term in more than half the documents has a negative Robertson idf. bm25s clamps it
  to 0; rank_bm25 replaces it with ``epsilon * mean(idf over the vocabulary)`` (epsilon=0.25 by default),
  so with its default epsilon every document containing "the" gains a constant per such term. Set
  ``epsilon=0`` on the rank_bm25 side (or use a corpus with no such term) for identical scores.
- bm25s ``method="robertson"`` omits the ``(k1+1)`` factor: its scores are exactly rank_bm25's (epsilon=0)
  divided by ``k1+1``, so rankings agree but scores do not. ``"lucene"`` (the default here, as in bm25s and
  Lucene) uses ``log(1 + (N-df+.5)/(df+.5))``, which is never negative.

A document is a hit when its score is above zero; a query with no term known to the index returns [].
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

from .folder import atomic_folder, read_manifest, write_json
from .tokenizers import get_tokenizer, tokenize_batch, tokenizer_from_config

FORMAT_VERSION = 1
# bm25s scores through numba when it is installed: about 100x faster than its numpy path on 26k documents.
BM25S_BACKEND = "numba" if importlib.util.find_spec("numba") else "numpy"
BACKENDS = ("bm25s", "rank_bm25", "pyserini")
METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+", "okapi")
BM25S_FILES = ("params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy",
               "indptr.csc.index.npy")
RANK_BM25_FILES = ("doc_freqs.json",)
LUCENE_FOLDER = "lucene"


class BM25Index:
    """Lexical index over ``(id, text)`` pairs; ``search(queries, k)`` gives ``[(id, score), ...]`` best first.

    Ties are ordered by insertion order. ``save``/``load`` keep a folder of plain files (bm25s's ``.npy`` and
    ``.json`` postings, ``ids.json``, ``tokenizer.json``, ``manifest.json``) that loads with ``mmap=True``.
    """

    def __init__(self, tokenizer="multilingual", k1: float = 1.5, b: float = 0.75, method: str = "lucene",
                 backend: str = "bm25s", epsilon: float = 0.25, dtype: str = "float32"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose from {BACKENDS}")
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
        if backend == "pyserini":
            from .lucene import available

            missing = available()  # fail here, with what is missing, rather than at the first index()
            if missing:
                raise ImportError(missing)
            if method != "lucene":
                raise ValueError(f"backend='pyserini' is Lucene's BM25Similarity: method='lucene', not {method!r}")
        if backend == "rank_bm25" and method != "okapi":
            raise ValueError(f"backend='rank_bm25' implements only method='okapi' (BM25Okapi), not {method!r}")
        self.tokenizer = get_tokenizer(tokenizer)
        self.k1, self.b, self.method, self.backend = k1, b, method, backend
        self.epsilon, self.dtype = epsilon, dtype  # epsilon: rank_bm25's idf floor; unused by bm25s
        self.ids: list[str] = []
        self._ids = np.empty(0, dtype=object)
        self._model = None

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (f"BM25Index({len(self)} docs, tokenizer={self.tokenizer.config()['name']!r}, method={self.method!r}, "
                f"backend={self.backend!r})")

    def index(self, ids, texts) -> BM25Index:
        """Build the postings (replacing any previous ones); returns self."""
        ids, texts = [str(i) for i in ids], list(texts)
        if not ids:
            raise ValueError("cannot index an empty corpus: no documents were given")
        if len(ids) != len(texts):
            raise ValueError(f"got {len(ids)} ids but {len(texts)} texts")
        seen: set[str] = set()
        for doc_id in ids:
            if doc_id in seen:
                raise ValueError(f"duplicate document id {doc_id!r}")
            seen.add(doc_id)
        tokens = tokenize_batch(self.tokenizer, texts)
        if not any(tokens):
            raise ValueError(f"cannot index: no document has a token under tokenizer {self.tokenizer.config()}")
        self._model = self._build(tokens, ids)
        self._set_ids(ids)
        return self

    def _build(self, tokens: list[list[str]], ids: list[str]):
        if self.backend == "pyserini":
            from .lucene import LuceneBM25

            return LuceneBM25.build(ids, tokens, self.k1, self.b)
        if self.backend == "rank_bm25":
            from rank_bm25 import BM25Okapi

            return BM25Okapi(tokens, k1=self.k1, b=self.b, epsilon=self.epsilon)
        import bm25s

        method, idf_method = ("atire", "robertson") if self.method == "okapi" else (self.method, None)
        model = bm25s.BM25(k1=self.k1, b=self.b, method=method, idf_method=idf_method, dtype=self.dtype,
                           backend=BM25S_BACKEND)
        model.index(tokens, show_progress=False)
        return model

    def _set_ids(self, ids: list[str]) -> None:
        self.ids = ids
        self._ids = np.array(ids, dtype=object)

    def search(self, queries: list[str], k: int = 10, n_threads: int = 0) -> list[list[tuple[str, float]]]:
        """Top ``k`` hits per query (fewer when fewer documents score above zero).

        ``n_threads``: bm25s's setting (0: this thread only, -1: every core), also Lucene's."""
        if self._model is None:
            raise RuntimeError("the index is empty: call index() or load() first")
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        queries = list(queries)
        k = min(k, len(self.ids))
        if not queries or k == 0:
            return [[] for _ in queries]
        tokens = tokenize_batch(self.tokenizer, queries)
        if self.backend == "pyserini":
            return self._model.search(tokens, k, threads=os.cpu_count() if n_threads < 0 else max(n_threads, 1))
        if self.backend == "rank_bm25":
            docs, scores = self._rank_bm25_topk(tokens, k)
        else:
            vocab = self._model.vocab_dict  # ids, not strings: bm25s's own string lookup is slower than this
            token_ids = [[vocab[t] for t in query if t in vocab] for query in tokens]
            unknown = [not ids for ids in token_ids]  # bm25s rejects empty queries: give them a stand-in term
            if all(unknown):
                return [[] for _ in queries]
            token_ids = [ids or [0] for ids in token_ids]
            docs, scores = self._model.retrieve(token_ids, k=k, show_progress=False, n_threads=n_threads)
            scores[np.array(unknown)] = 0.0  # ...and no hits
        order = np.lexsort((docs, -scores), axis=-1)  # score desc, then insertion order
        docs, scores = np.take_along_axis(docs, order, -1), np.take_along_axis(scores, order, -1)
        counts = (scores > 0).sum(axis=1).tolist()
        rows = zip(self._ids[docs].tolist(), scores.tolist(), counts, strict=True)
        return [list(zip(row_ids[:n], row_scores[:n], strict=True)) for row_ids, row_scores, n in rows]

    def _rank_bm25_topk(self, tokens: list[list[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.array([self._model.get_scores(q) for q in tokens])
        docs = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return docs, np.take_along_axis(scores, docs, 1)

    def save(self, path) -> Path:
        """Write the index folder atomically: a failed save leaves the previous folder as it was."""
        if self._model is None:
            raise RuntimeError("nothing to save: call index() first")
        path = Path(path)
        if path.exists() and not (path / "manifest.json").is_file() and (not path.is_dir() or any(path.iterdir())):
            raise FileExistsError(f"{path} exists and is not a BM25 index folder; refusing to replace it")
        with atomic_folder(path) as tmp:
            self._write(tmp)
        return path

    def _write(self, folder: Path) -> None:
        if self.backend == "pyserini":
            self._model.copy_to(folder / LUCENE_FOLDER)
        elif self.backend == "rank_bm25":
            write_json(folder / "doc_freqs.json", self._model.doc_freqs)
        else:
            self._model.save(folder, show_progress=False)
        write_json(folder / "ids.json", self.ids)
        write_json(folder / "tokenizer.json", self.tokenizer.config())
        write_json(folder / "manifest.json", {
            "format_version": FORMAT_VERSION, "kind": "bm25", "count": len(self.ids), "k1": self.k1, "b": self.b,
            "method": self.method, "epsilon": self.epsilon, "dtype": self.dtype, "backend": self.backend,
            "tokenizer": self.tokenizer.config()["name"]})

    @classmethod
    def load(cls, path, mmap: bool = False) -> BM25Index:
        """Open a saved index folder; ``mmap=True`` maps the bm25s postings instead of reading them."""
        path = Path(path)
        manifest = read_manifest(path)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: index format {manifest.get('format_version')}, this code reads {FORMAT_VERSION}")
        backend = manifest["backend"]
        postings = {"rank_bm25": RANK_BM25_FILES, "pyserini": ()}.get(backend, BM25S_FILES)
        read_manifest(path, ("ids.json", "tokenizer.json", *postings))
        index = cls(tokenizer_from_config(_read_json(path, "tokenizer.json")), k1=manifest["k1"], b=manifest["b"],
                   method=manifest["method"], backend=backend, epsilon=manifest["epsilon"], dtype=manifest["dtype"])
        ids = _read_json(path, "ids.json")
        if len(ids) != manifest["count"]:
            raise ValueError(f"{path}: ids.json has {len(ids)} ids, manifest.json says {manifest['count']}")
        if backend == "pyserini":
            from .lucene import LuceneBM25

            if not (path / LUCENE_FOLDER).is_dir():
                raise FileNotFoundError(f"{path}: index folder {LUCENE_FOLDER}/ is missing")
            index._model = LuceneBM25(path / LUCENE_FOLDER, index.k1, index.b)  # Lucene maps its files itself
        elif backend == "rank_bm25":
            doc_freqs = _read_json(path, "doc_freqs.json")
            index._model = index._build([[t for t, n in freqs.items() for _ in range(n)] for freqs in doc_freqs], ids)
        else:
            import bm25s

            index._model = bm25s.BM25.load(path, mmap=mmap, show_progress=False, backend=BM25S_BACKEND)
        index._set_ids(ids)
        return index


def _read_json(folder: Path, name: str):
    if not (folder / name).is_file():
        raise FileNotFoundError(f"BM25 index folder {folder} lacks {name}")
    with open(folder / name, encoding="utf-8") as handle:
        return json.load(handle)

