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
