"""The command lines end to end on a small corpus: index, search, evaluate; BM25 and dense."""

import json

import pytest

from indexes.__main__ import main as indexes_main
from indexes.lucene import available as lucene_available
from retrieval.__main__ import main as retrieval_main
from retrieval.trec import read_run

CORPUS = [{"_id": "d1", "text": "oslo is the capital city of norway"},
          {"_id": "d2", "text": "paris is the capital of france"},
          {"_id": "d3", "text": "seoul is the capital city of korea"},
          {"_id": "d4", "text": "music and film and science"}]
QUERIES = [{"_id": "q1", "text": "capital of norway"}, {"_id": "q2", "text": "science film"}]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CORPUS))
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QUERIES))
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq2 0 d4 1\n")
    return tmp_path


def test_bm25_index_search_evaluate(files, capsys):
    retrieval_main(["index", "--corpus", str(files / "corpus.jsonl"), "--out", str(files / "idx")])
    retrieval_main(["search", "--index", str(files / "idx"), "--queries", str(files / "queries.jsonl"),
                    "--out", str(files / "run.trec"), "--k", "3"])
    run = read_run(files / "run.trec")
    assert run["q1"][0].doc_id == "d1" and run["q2"][0].doc_id == "d4"
    capsys.readouterr()
    retrieval_main(["evaluate", "--run", str(files / "run.trec"), "--qrels", str(files / "qrels.txt"),
                    "--measures", "nDCG@10,RR@10"])
    assert capsys.readouterr().out.splitlines()[2:] == ["| nDCG@10 | 1.0000 |", "| RR@10 | 1.0000 |"]


def test_indexes_build_bm25_matches_retrieval_index(files):
    indexes_main(["build", "bm25", "--corpus", str(files / "corpus.jsonl"), "--out", str(files / "b")])
    retrieval_main(["search", "--index", str(files / "b"), "--queries", str(files / "queries.jsonl"),
                    "--out", str(files / "run.trec")])
    assert read_run(files / "run.trec")["q1"][0].doc_id == "d1"


@pytest.mark.skipif(lucene_available() is not None, reason="no Lucene here: pip install -e .[lucene]")
def test_lucene_backend_from_both_command_lines(files):
    indexes_main(["build", "bm25", "--backend", "pyserini", "--corpus", str(files / "corpus.jsonl"),
                  "--out", str(files / "b")])
    retrieval_main(["index", "--bm25-backend", "pyserini", "--corpus", str(files / "corpus.jsonl"),
                    "--out", str(files / "r")])
    for folder in ("b", "r"):
        assert json.loads((files / folder / "manifest.json").read_text())["backend"] == "pyserini"
        retrieval_main(["search", "--index", str(files / folder), "--queries", str(files / "queries.jsonl"),
                        "--out", str(files / "run.trec")])
        run = read_run(files / "run.trec")
        assert run["q1"][0].doc_id == "d1" and run["q2"][0].doc_id == "d4"


def test_malformed_corpus_line_is_named(files):
    (files / "bad.jsonl").write_text('{"_id": "d1", "text": "ok"}\n{"_id": "d2"}\n')
    with pytest.raises(SystemExit, match=r"bad\.jsonl:2"):
        indexes_main(["build", "bm25", "--corpus", str(files / "bad.jsonl"), "--out", str(files / "x")])


def test_dense_index_and_search(files, tiny_bi_encoder_dir):
    spec = f"dense:{tiny_bi_encoder_dir}"
    retrieval_main(["index", "--corpus", str(files / "corpus.jsonl"), "--retriever", spec, "--out",
                    str(files / "dense"), "--cache", str(files / "cache")])
    retrieval_main(["search", "--index", str(files / "dense"), "--retriever", spec, "--queries",
                    str(files / "queries.jsonl"), "--out", str(files / "run.trec"), "--k", "2"])
    run = read_run(files / "run.trec")
    assert set(run) == {"q1", "q2"} and all(len(hits) == 2 for hits in run.values())
    assert any((files / "cache").rglob("shard-*.npy"))
