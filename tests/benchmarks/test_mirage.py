"""The MIRAGE job's resumable generation store: a killed run resumes without regenerating finished answers."""

import json

import pytest

from benchmarks.mirage import Generations


class CountingGenerator:
    def __init__(self, fail_after_calls=None):
        self.calls, self.prompts, self.fail_after_calls = 0, [], fail_after_calls

    def generate(self, conversations, **sampling):
        if self.fail_after_calls is not None and self.calls == self.fail_after_calls:
            raise KeyboardInterrupt("killed")
        self.calls += 1
        self.prompts += conversations
        return [f"answer to {c}" for c in conversations]


def test_killed_run_resumes_where_it_stopped(tmp_path):
    ids = [f"q{i}" for i in range(7)]
    conversations = [f"prompt {i}" for i in range(7)]
    with pytest.raises(KeyboardInterrupt):
        Generations(tmp_path / "g.jsonl", resume=False).run("mix", ids, conversations, CountingGenerator(2), 3, {})
    lines = [json.loads(line) for line in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert [r["query_id"] for r in lines] == ids[:6]  # two whole batches were kept

    generator, store = CountingGenerator(), Generations(tmp_path / "g.jsonl", resume=True)
    outputs = store.run("mix", ids, conversations, generator, 3, {})
    assert generator.prompts == ["prompt 6"]  # only the unfinished question is generated again
    assert store.generated == 1  # what the report's timing covers
    assert outputs == [f"answer to prompt {i}" for i in range(7)]


def test_existing_generations_need_resume(tmp_path):
    (tmp_path / "g.jsonl").write_text('{"setting": "base", "query_id": "q0", "output": "x"}\n')
    with pytest.raises(SystemExit, match="pass --resume"):
        Generations(tmp_path / "g.jsonl", resume=False)
    store = Generations(tmp_path / "g.jsonl", resume=True)
    assert store.run("base", ["q0"], ["p"], CountingGenerator(0), 4, {}) == ["x"]


def test_resume_refuses_generations_made_with_other_settings(tmp_path):
    config = {"generator": "smollm2", "k": 5}
    store = Generations(tmp_path / "g.jsonl", resume=False, config=config)
    store.run("base", ["q0"], ["p"], CountingGenerator(), 4, {})
    Generations(tmp_path / "g.jsonl", resume=True, config=config)  # same settings: fine
    with pytest.raises(SystemExit, match=r"other settings \(k\)"):
        Generations(tmp_path / "g.jsonl", resume=True, config={"generator": "smollm2", "k": 3})


def test_a_half_written_last_line_is_generated_again(tmp_path):
    (tmp_path / "g.jsonl").write_text('{"setting": "base", "query_id": "q0", "output": "x"}\n{"setting": "ba')
    generator = CountingGenerator()
    outputs = Generations(tmp_path / "g.jsonl", resume=True).run("base", ["q0", "q1"], ["p0", "p1"], generator, 4, {})
    assert generator.prompts == ["p1"] and outputs == ["x", "answer to p1"]
    assert [json.loads(line)["query_id"] for line in (tmp_path / "g.jsonl").read_text().splitlines()] == ["q0", "q1"]


def test_retrieval_is_also_judged_by_text_when_questions_share_a_paragraph(tmp_path):
    """Two questions' pools hold the same paragraph; MIRAGE's rule credits only the asking question's copy, so
    whichever copy BM25 ranks first, the by-text recall is exact: both questions find their supporting text."""
    from benchmarks.mirage import main
    from rag.mirage_data import MirageQuestion, PoolChunk, write_mirage

    hamlet, paris = "Hamlet was written by William Shakespeare", "Paris is the capital city of France"
    filler = ["Volcanoes erupt molten rock", "Bees make honey in hives", "Rivers flow to the sea",
              "Glaciers carve deep valleys"]

    def question(qid, text, answer, oracle, extra):
        pool = [PoolChunk(qid, "doc", oracle, 1), PoolChunk(qid, "doc", extra, 0)]
        pool += [PoolChunk(qid, "doc", f"{f} ({qid})", 0) for f in filler[:3]]
        return MirageQuestion(qid, text, (answer,), "toy", tuple(pool), oracle)

    folder = tmp_path / "toy"
    write_mirage([question("q1", "who wrote hamlet", "Shakespeare", hamlet, paris),
                  question("q2", "what is the capital of france", "Paris", paris, hamlet)], folder)
    out = tmp_path / "out"
    main(["--source", str(folder), "--mode", "ret", "--retriever", "bm25", "--k", "1", "--limit", "0",
          "--pool", "copies", "--out", str(out)])
    figures = json.loads((out / "report.json").read_text())["figures"]
    assert figures["retrieval_recall_at_k_by_text"] == 1.0
    assert figures["distinct_texts_in_top_k"] == 1.0
    assert figures["retrieval_recall_at_5"] in (0.0, 0.5, 1.0)  # decided by the tie between the two copies
    assert figures["pool_chunks_indexed"] == 10
    # the default indexes each text once (8 distinct) and credits whichever question's copy it kept
    main(["--source", str(folder), "--mode", "ret", "--retriever", "bm25", "--k", "5", "--limit", "0",
          "--out", str(tmp_path / "dedup")])
    figures = json.loads((tmp_path / "dedup" / "report.json").read_text())["figures"]
    assert figures["pool_chunks_indexed"] == 8
    assert figures["retrieval_recall_at_5"] == 1.0 == figures["retrieval_recall_at_k_by_text"]
