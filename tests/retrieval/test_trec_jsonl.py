import json

import pytest

from retrieval.jsonl import MalformedRecordError, read_corpus, read_queries, write_jsonl
from retrieval.trec import TrecFormatError, read_qrels, read_run, write_qrels, write_run
from retrieval.types import Document, Hit, Qrels, Query, Run


def test_run_round_trip_keeps_order_scores_and_tag(tmp_path):
    run = Run.from_scores({"q1": {"d1": 1.5, "d2": 2.25, "d3": 0.125}, "q2": {"d9": -1.0}}, name="bm25")
    write_run(run, tmp_path / "run.trec")
    back = read_run(tmp_path / "run.trec")
    assert back == run and back.name == "bm25"
    assert back["q1"] == [Hit("d2", 2.25, 1), Hit("d1", 1.5, 2), Hit("d3", 0.125, 3)]
    lines = (tmp_path / "run.trec").read_text().splitlines()
    assert lines[0] == "q1 Q0 d2 1 2.250000 bm25"


def test_ties_are_broken_by_doc_id_descending_as_trec_eval():
    run = Run.from_scores({"q": {"a": 1.0, "c": 1.0, "b": 2.0}})
    assert [h.doc_id for h in run["q"]] == ["b", "c", "a"]


def test_qrels_round_trip(tmp_path):
    qrels = Qrels({"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}})
    write_qrels(qrels, tmp_path / "qrels.txt")
    assert read_qrels(tmp_path / "qrels.txt") == qrels
    assert (tmp_path / "qrels.txt").read_text().splitlines()[0] == "q1 0 d1 1"


def test_run_with_wrong_field_count_names_file_and_line(tmp_path):
    path = tmp_path / "bad.trec"
    path.write_text("q1 Q0 d1 1 2.0 tag\nq1 Q0 d2 1 tag\n")
    with pytest.raises(TrecFormatError, match=r"bad\.trec:2: a run line needs 6 fields, found 5"):
        read_run(path)


def test_qrels_with_non_integer_grade_names_line(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("q1 0 d1 1\n\nq1 0 d2 high\n")
    with pytest.raises(TrecFormatError, match=r"q\.txt:3: relevance grade 'high'"):
        read_qrels(path)


def test_corpus_round_trip(tmp_path):
    docs = [Document("d1", "Oslo is the capital of Norway.", title="Oslo", language="en"),
            Document("d2", "서울은 대한민국의 수도이다.", language="ko")]
    write_jsonl(docs, tmp_path / "corpus.jsonl")
    assert read_corpus(tmp_path / "corpus.jsonl") == docs
    first = json.loads((tmp_path / "corpus.jsonl").read_text().splitlines()[0])
    assert first == {"_id": "d1", "text": "Oslo is the capital of Norway.", "title": "Oslo", "language": "en"}


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "q1", "text": "ok"}\n{"_id": "q2", "text": "broken\n')
    with pytest.raises(MalformedRecordError, match=r"queries\.jsonl:2: not valid JSON"):
        read_queries(path)


@pytest.mark.parametrize(("content", "message"), [
    ('{"_id": "q1"}\n', r":1: field 'text' is missing"),
    ('{"text": "no id"}\n', r":1: no id field"),
    ('["a list"]\n', r":1: expected a JSON object, found list"),
    ('{"id": "q1", "text": "a"}\n{"id": "q1", "text": "b"}\n', r":2: id 'q1' already used on line 1"),
    ("\n\n", r"no records \(the file is empty\)"),
])
def test_bad_records_are_named(tmp_path, content, message):
    path = tmp_path / "x.jsonl"
    path.write_text(content)
    with pytest.raises(MalformedRecordError, match=message):
        read_queries(path)


def test_failed_write_keeps_previous_file(tmp_path):
    path = tmp_path / "q.jsonl"
    write_jsonl([Query("q1", "first")], path)

    def records():
        yield Query("q2", "second")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_jsonl(records(), path)
    assert read_queries(path) == [Query("q1", "first")]
    assert [p.name for p in tmp_path.iterdir()] == ["q.jsonl"]


def test_scores_tie_as_32_bit_floats_like_trec_eval():
    run = Run.from_scores({"q": {"a": 1.0 + 1e-12, "b": 1.0}})
    assert [h.doc_id for h in run["q"]] == ["b", "a"] and run["q"][1].score == 1.0 + 1e-12
