"""BM25Index: parity with rank_bm25 on real XQuAD, where the variants differ, file round trips, atomic saves."""

from __future__ import annotations

import json
import math

import pytest

import indexes.bm25 as bm25_module
from indexes.bm25 import BM25Index
from indexes.tokenizers import KiwiTokenizer, MultilingualTokenizer
from retrieval.datasets import load_xquad, statute_articles

TOY_IDS = ["d0", "d1", "d2", "d3"]
TOY = ["the cat sat", "the dog sat on the mat", "the cat and the dog", "a bird"]


@pytest.fixture(scope="module")
def xquad_en(data_dir):
    xquad = load_xquad("en", data_dir)
    return [d.id for d in xquad.paragraphs], [d.text for d in xquad.paragraphs], [q.question for q in xquad.questions]


@pytest.fixture(scope="module")
def xquad_index(xquad_en):
    ids, texts, _ = xquad_en
    return BM25Index(method="okapi").index(ids, texts)


def _assert_same_ranking(got, want, tol=1e-5):
    """Same scores rank by rank; same ids except where two scores tie within ``tol`` (order is then free)."""
    assert len(got) == len(want)
    for (gid, gscore), (wid, wscore) in zip(got, want, strict=True):
        assert gscore == pytest.approx(wscore, abs=tol)
        if gid != wid:
            tied = {i for i, s in want if abs(s - wscore) <= tol} | {i for i, s in got if abs(s - gscore) <= tol}
            assert {gid, wid} <= tied, (got, want)


@pytest.mark.slow
def test_okapi_matches_rank_bm25_on_xquad(xquad_en, xquad_index):
    ids, texts, questions = xquad_en
    assert len(ids) == 240 and len(questions) == 1190
    reference = BM25Index(method="okapi", backend="rank_bm25", epsilon=0.0).index(ids, texts)
    got, want = xquad_index.search(questions, 10), reference.search(questions, 10)
    assert sum(len(hits) for hits in want) > 10_000
    for g, w in zip(got, want, strict=True):
        _assert_same_ranking(g, w)


def test_where_the_variants_differ_by_hand():
    n, avgdl = 4, (3 + 6 + 5 + 2) / 4

    def part(tf, dl, k1=1.5, b=0.75):  # BM25Okapi's term part, with its (k1 + 1)
        return tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))

    idf = {t: math.log((n - df + 0.5) / (df + 0.5)) for t, df in {"bird": 1, "the": 3}.items()}
    okapi = BM25Index("whitespace", method="okapi").index(TOY_IDS, TOY)
    # a term in at most half the documents: okapi is exactly BM25Okapi, robertson is it divided by (k1 + 1)
    assert okapi.search(["bird"], 4) == [[("d3", pytest.approx(idf["bird"] * part(1, 2)))]]
    robertson = BM25Index("whitespace", method="robertson").index(TOY_IDS, TOY)
    assert robertson.search(["bird"], 4) == [[("d3", pytest.approx(idf["bird"] * part(1, 2) / 2.5))]]
    # "the" is in 3 of 4 documents: negative idf. bm25s clamps it to 0 (no hit); rank_bm25 floors it at
    # epsilon * mean idf, so with its default epsilon "the" scores, and adds to every cat/dog document.
    assert idf["the"] < 0 and okapi.search(["the"], 4) == [[]]
    rank = BM25Index("whitespace", method="okapi", backend="rank_bm25").index(TOY_IDS, TOY)
    # 9 terms: "the" (df 3), cat/sat/dog (df 2, idf 0), on/mat/and/a/bird (df 1)
    floor = 0.25 * (idf["the"] + 5 * idf["bird"]) / 9
    assert dict(rank.search(["the"], 4)[0]) == pytest.approx({"d2": floor * part(2, 5), "d1": floor * part(2, 6),
                                                              "d0": floor * part(1, 3)})
    exact = BM25Index("whitespace", method="okapi", backend="rank_bm25", epsilon=0.0).index(TOY_IDS, TOY)
    assert exact.search(["the"], 4) == [[]]
    for query in ("the cat", "dog mat", "a bird sat"):
        _assert_same_ranking(okapi.search([query], 4)[0], exact.search([query], 4)[0])


def test_search_edge_cases():
    index = BM25Index("whitespace").index(TOY_IDS, TOY)
    assert len(index) == 4
    assert index.search(["zebra unicorn", "", "cat"], 100) == [[], [], index.search(["cat"], 2)[0]]
    assert [i for i, _ in index.search(["cat"], 100)[0]] == ["d0", "d2"]  # k beyond the corpus is fine
    assert index.search(["cat"], 0) == [[]] and index.search([], 5) == []
    tied = BM25Index("whitespace").index(["b", "a", "c"], ["x y", "x y", "z"])
    assert [i for i, _ in tied.search(["x"], 3)[0]] == ["b", "a"]  # equal scores keep insertion order


def test_index_errors_name_the_problem():
    with pytest.raises(ValueError, match="empty corpus"):
        BM25Index().index([], [])
    with pytest.raises(ValueError, match="duplicate document id 'd1'"):
        BM25Index().index(["d0", "d1", "d1"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="2 ids but 1 texts"):
        BM25Index().index(["d0", "d1"], ["a"])
    with pytest.raises(ValueError, match="no document has a token"):
        BM25Index().index(["d0"], ["  ,. "])
    with pytest.raises(ValueError, match="only method='okapi'"):
        BM25Index(backend="rank_bm25")
    with pytest.raises(RuntimeError, match="index"):
        BM25Index().search(["x"], 1)


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path, xquad_en, xquad_index, mmap):
    questions = xquad_en[2][:300]
    xquad_index.save(tmp_path / "bm25")
    assert {p.name for p in (tmp_path / "bm25").iterdir()} >= {"manifest.json", "ids.json", "tokenizer.json"}
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]  # no temporary folder left behind
    loaded = BM25Index.load(tmp_path / "bm25", mmap=mmap)
    assert len(loaded) == 240 and loaded.ids == xquad_index.ids and loaded.method == "okapi"
    assert loaded.tokenizer.config() == xquad_index.tokenizer.config()
    assert loaded.search(questions, 10) == xquad_index.search(questions, 10)


def test_saved_tokenizer_cuts_queries_after_load(tmp_path):
    index = BM25Index(MultilingualTokenizer(stopwords=["the"]), method="okapi", backend="rank_bm25")
    index.index(TOY_IDS, TOY).save(tmp_path / "ix")
    assert json.loads((tmp_path / "ix" / "tokenizer.json").read_text()) == {"name": "multilingual",
                                                                           "stopwords": ["the"]}
    loaded = BM25Index.load(tmp_path / "ix")
    assert loaded.backend == "rank_bm25" and loaded.tokenizer("The Cat") == ["cat"]
    assert loaded.search(["The CAT", "dog"], 4) == index.search(["The CAT", "dog"], 4)


def test_failed_save_leaves_the_previous_index_loadable(tmp_path, monkeypatch):
    BM25Index("whitespace").index(TOY_IDS, TOY).save(tmp_path / "ix")
    newer = BM25Index("whitespace").index(["n0"], ["cat"])

    def crash(path, obj):
        if path.name == "manifest.json":
            raise OSError("disk full")
        real_write_json(path, obj)

    real_write_json = bm25_module.write_json
    monkeypatch.setattr(bm25_module, "write_json", crash)
    with pytest.raises(OSError, match="disk full"):
        newer.save(tmp_path / "ix")
    assert [p.name for p in tmp_path.iterdir()] == ["ix"]
    assert BM25Index.load(tmp_path / "ix").search(["cat"], 5) == BM25Index("whitespace").index(TOY_IDS, TOY).search(
        ["cat"], 5)


def test_load_names_the_missing_file_and_save_guards_foreign_folders(tmp_path):
    BM25Index("whitespace").index(TOY_IDS, TOY).save(tmp_path / "ix")
    (tmp_path / "ix" / "vocab.index.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"vocab\.index\.json"):
        BM25Index.load(tmp_path / "ix")
    (tmp_path / "ix" / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        BM25Index.load(tmp_path / "ix")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a BM25 index"):
        BM25Index("whitespace").index(TOY_IDS, TOY).save(tmp_path / "other")


@pytest.mark.slow
def test_korean_statutes_smoke_with_kiwi(tmp_path, data_dir):
    articles = [a for a in statute_articles(data_dir) if a.text][:200]
    ids, texts = [a.id for a in articles], [f"{a.title}\n{a.text}" for a in articles]
    assert len(ids) == 200
    index = BM25Index(KiwiTokenizer()).index(ids, texts)
    picks = [i for i in range(0, 200, 23) if len(texts[i]) > 60]
    # a query made of the article's own words, with different endings cut away by Kiwi
    queries = [" ".join(texts[i].split()[1:12]) for i in picks]
    hits = index.search(queries, 3)
    assert all(ids[i] in [doc for doc, _ in top] for i, top in zip(picks, hits, strict=True))
    index.save(tmp_path / "kr")
    loaded = BM25Index.load(tmp_path / "kr")
    assert loaded.tokenizer.config()["name"] == "kiwi" and loaded.search(queries, 3) == hits
