import json

import pytest

from rag.mirage_data import (
    MirageFormatError,
    build_from_xquad,
    load_mirage,
    load_mirage_questions,
    to_record,
    write_mirage,
)
from retrieval.datasets import load_xquad


def test_real_mirage_questions(data_dir):
    questions = load_mirage_questions(data_dir / "mirage" / "dataset.json")
    assert len(questions) == 7560
    assert {q.source for q in questions} == {"naturalqa", "popqa", "triviaqa", "ifqa", "drop"}
    assert all(q.answers for q in questions)


@pytest.fixture(scope="module")
def xquad_mirage(data_dir):
    xquad = load_xquad("en", data_dir)
    return xquad, build_from_xquad(xquad)


def test_xquad_build_in_mirage_shape(xquad_mirage):
    xquad, questions = xquad_mirage
    assert len(questions) == 1190
    article_of = {d.text: d.metadata["article"] for d in xquad.paragraphs}
    for qa, q in zip(xquad.questions, questions, strict=True):
        assert len(q.pool) == 5 and q.pool[0].doc_chunk == q.oracle and q.pool[0].support == 1
        assert all(c.mapped_id == q.query_id for c in q.pool)
        assert all(article_of[c.doc_chunk] != qa.article for c in q.pool[1:])  # distractors: other articles
        for c in q.pool:
            assert c.support == int(any(a.lower() in c.doc_chunk.lower() for a in q.answers))


def test_written_dataset_loads_back(xquad_mirage, tmp_path):
    _, questions = xquad_mirage
    path = write_mirage(questions[:50], tmp_path)
    assert load_mirage(tmp_path) == questions[:50]
    record = json.loads(path.read_text().splitlines()[0])
    assert set(record) >= {"query_id", "query", "answer", "doc_pool", "oracle"}
    assert set(record["doc_pool"][0]) == {"mapped_id", "doc_name", "doc_chunk", "support"}


def _write(tmp_path, records):
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.update(doc_pool=r["doc_pool"][:4]), "question 'Q7' has 4 pool chunks, expected 5"),
    (lambda r: r.update(oracle={"mapped_id": "Q7", "doc_chunk": ""}), "question 'Q7' has no oracle chunk"),
    (lambda r: r.update(answer=[]), "question 'Q7' has an empty answer list"),
])
def test_bad_mirage_records_name_the_question(xquad_mirage, tmp_path, change, message):
    _, questions = xquad_mirage
    good, bad = to_record(questions[0]), to_record(questions[1])
    bad["query_id"] = "Q7"
    change(bad)
    _write(tmp_path, [good, bad])
    with pytest.raises(MirageFormatError, match=message):
        load_mirage(tmp_path)


def test_github_layout(xquad_mirage, tmp_path):
    _, questions = xquad_mirage
    few = questions[:3]
    (tmp_path / "dataset.json").write_text(json.dumps(
        [{"query_id": q.query_id, "query": q.query, "answer": list(q.answers), "source": "x"} for q in few]))
    (tmp_path / "doc_pool.json").write_text(json.dumps([vars(c) for q in few for c in q.pool]))
    (tmp_path / "oracle.json").write_text(json.dumps({q.query_id: {"doc_chunk": q.oracle} for q in few}))
    loaded = load_mirage(tmp_path)
    assert [q.pool for q in loaded] == [q.pool for q in few] and loaded[2].oracle == few[2].oracle
