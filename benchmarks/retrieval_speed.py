"""Speed and ANN measurements for ``python -m benchmarks.retrieval``: each one a ratio against a peer
timed in the same process on the same inputs (rank-bm25, bm25s, raw faiss, sentence-transformers)."""

from __future__ import annotations

import time

import faiss
import numpy as np

from indexes.bm25 import BM25Index
from indexes.faiss_index import FaissIndex
from indexes.lucene import available as lucene_available


def best_time(fn, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved_best_times(first, second, repeats: int = 9) -> tuple[float, float]:
    """Best times of two calls timed in turn, so a slow spell of the machine hits both alike."""
    times = ([], [])
    for _ in range(repeats):
        for fn, out in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def bm25_parity(ids, texts, queries, k: int = 10) -> dict:
    """Our BM25 (method okapi) against rank_bm25.BM25Okapi(epsilon=0) on the same tokens: top-k ids and scores."""
    from rank_bm25 import BM25Okapi

    ours = BM25Index(method="okapi", dtype="float64").index(ids, texts)
    reference = BM25Okapi([ours.tokenizer(t) for t in texts], k1=ours.k1, b=ours.b, epsilon=0.0)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    max_diff, same_ids = 0.0, 0
    for query, hits in zip(queries, ours.search(queries, k), strict=True):
        scores = reference.get_scores(ours.tokenizer(query))
        top = np.argsort(-scores, kind="stable")[: len(hits)]
        ours_scores = np.array([score for _, score in hits])
        same_docs = scores[[position[doc_id] for doc_id, _ in hits]]
        max_diff = max(max_diff, float(np.abs(ours_scores - same_docs).max(initial=0.0)),
                       float(np.abs(ours_scores - scores[top]).max(initial=0.0)))
        same_ids += [doc_id for doc_id, _ in hits] == [ids[i] for i in top]
    return {"max_abs_score_diff": max_diff, "same_top_ids_share": same_ids / len(queries)}


def bm25_lucene_agreement(ids, texts, queries, k: int = 10) -> dict:
    """Our default BM25 (bm25s, method lucene) against Lucene itself (backend pyserini) on the same tokens:
    top-k overlap, and score differences on the documents both return (Lucene keeps document lengths in one
    byte, 4 significant bits, and Anserini rounds scores to 4 decimals: not identical, by design)."""
    ours = BM25Index().index(ids, texts).search(queries, k)
    theirs = BM25Index(backend="pyserini").index(ids, texts).search(queries, k)
    overlap, same_order, differences = [], 0, []
    for mine, lucene in zip(ours, theirs, strict=True):
        lucene_scores = dict(lucene)
        overlap.append(len(set(lucene_scores) & {i for i, _ in mine}) / max(len(lucene), 1))
        same_order += [i for i, _ in mine] == [i for i, _ in lucene]
        differences += [abs(s - lucene_scores[i]) / lucene_scores[i] for i, s in mine if i in lucene_scores]
    return {"queries": len(queries), "top_k_overlap": float(np.mean(overlap)),
            "same_order_share": same_order / len(ours), "max_rel_score_diff": float(max(differences)),
            "mean_rel_score_diff": float(np.mean(differences))}


def bm25_speed(ids, texts, queries, k: int = 10, rank_bm25_queries: int = 30) -> dict:
    """Queries/s, one thread, tokenization included for everyone: ours (bm25s backend, our multilingual
    tokenizer), bm25s at its fastest (numba) with its own tokenizer, Lucene (pyserini's engine, given our
    tokens) where Java 21 is present, and rank-bm25 (on a slice of the queries: it is slow)."""
    import bm25s
    from rank_bm25 import BM25Okapi

    from indexes.bm25 import BM25S_BACKEND

    k = min(k, len(ids))  # bm25s refuses a k beyond the corpus
    ours = BM25Index().index(ids, texts)
    peer = bm25s.BM25(backend=BM25S_BACKEND)
    peer.index(bm25s.tokenize(texts, stopwords=None, show_progress=False), show_progress=False)

    def run_peer():
        tokens = bm25s.tokenize(queries, stopwords=None, show_progress=False)
        peer.retrieve(tokens, k=k, show_progress=False, n_threads=0)

    def run_peer_on_our_tokens():  # bm25s given exactly our tokens: what our wrapper adds, nothing else
        ours._model.retrieve([ours.tokenizer(q) for q in queries], k=k, show_progress=False, n_threads=0)

    ours.search(queries[:5], k), run_peer()  # numba compiles on first use: keep it out of the timing
    ours_s, peer_s = interleaved_best_times(lambda: ours.search(queries, k), run_peer)
    _, same_tokens_s = interleaved_best_times(lambda: ours.search(queries, k), run_peer_on_our_tokens)
    lucene_qps = None
    if lucene_available() is None:
        lucene = BM25Index(backend="pyserini").index(ids, texts)
        lucene.search(queries[:50], k)  # the JVM compiles hot paths on first use
        _, lucene_s = interleaved_best_times(lambda: ours.search(queries, k), lambda: lucene.search(queries, k), 3)
        lucene_qps = len(queries) / lucene_s
    reference = BM25Okapi([ours.tokenizer(t) for t in texts])
    few = queries[:rank_bm25_queries]
    rank_s = best_time(lambda: [np.argsort(-reference.get_scores(ours.tokenizer(q)))[:k] for q in few], repeats=1)
    return {"docs": len(ids), "queries": len(queries), "ours_qps": len(queries) / ours_s,
            "bm25s_qps": len(queries) / peer_s, "bm25s_same_tokens_qps": len(queries) / same_tokens_s,
            "pyserini_qps": lucene_qps, "rank_bm25_qps": len(few) / rank_s}


def faiss_overhead(docs: np.ndarray, queries: np.ndarray, k: int = 10) -> dict:
    """FaissIndex Flat search (string ids included) against the same search on a bare faiss.IndexFlatIP."""
    raw = faiss.IndexFlatIP(docs.shape[1])
    raw.add(docs)
    ours = FaissIndex(docs.shape[1], "Flat")
    ours.add([f"d{i}" for i in range(len(docs))], docs)
    raw_s, ours_s = interleaved_best_times(lambda: raw.search(queries, k), lambda: ours.search(queries, k))
    return {"raw_s": raw_s, "ours_s": ours_s, "ratio": ours_s / raw_s}


def ann_sweep(docs: np.ndarray, queries: np.ndarray, k: int = 10) -> list[dict]:
    """Recall@k of HNSW32 (efSearch sweep; built with our efConstruction 200 and with faiss's 40), HNSW64 and
    IVF (nprobe sweep) against exact Flat results, with QPS."""
    ids = [f"d{i}" for i in range(len(docs))]
    flat = FaissIndex(docs.shape[1], "Flat")
    flat.add(ids, docs)
    flat_s = best_time(lambda: flat.search(queries, k))
    truth = [set(row) for row in flat.search(queries, k)[0]]
    rows = [{"index": "Flat", "param": "-", "recall_at_10": 1.0, "qps": len(queries) / flat_s, "qps_ratio": 1.0}]
    nlist = int(4 * np.sqrt(len(docs)))
    for factory, build, knob, values in (("HNSW32", {}, "ef_search", (16, 32, 64, 128, 256)),
                                         ("HNSW32", {"ef_construction": 40}, "ef_search", (64, 128, 256)),
                                         ("HNSW64", {}, "ef_search", (32, 64, 128)),
                                         (f"IVF{nlist},Flat", {}, "nprobe", (1, 4, 8, 16, 32, 64))):
        index = FaissIndex(docs.shape[1], factory, **build)
        index.add(ids, docs)
        for value in values:
            setattr(index, knob, value)
            seconds = best_time(lambda index=index: index.search(queries, k))
            found = index.search(queries, k)[0]
            recall = float(np.mean([len(t & set(f)) / len(t) for t, f in zip(truth, found, strict=True)]))
            label = factory + "".join(f" {key}={v}" for key, v in build.items())
            rows.append({"index": label, "param": f"{knob}={value}", "recall_at_10": recall,
                         "qps": len(queries) / seconds, "qps_ratio": flat_s / seconds})
    return rows


def encode_throughput(encoder, texts: list[str]) -> dict:
    """Our encoder (no cache) against a plain SentenceTransformer.encode call with the same prompt and batch size."""
    model = encoder.model
    plain = best_time(lambda: model.encode(texts, prompt=encoder.document_prompt, batch_size=encoder.batch_size,
                                           normalize_embeddings=True), repeats=2)
    ours = best_time(lambda: encoder.encode_documents(texts), repeats=2)
    return {"texts": len(texts), "ours_per_s": len(texts) / ours, "sentence_transformers_per_s": len(texts) / plain,
            "ratio": plain / ours}
