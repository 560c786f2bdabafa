"""MIRAGE data (Park et al., Findings of NAACL 2025) in its Hugging Face schema, and a builder
that writes XQuAD in that schema when MIRAGE's own retrieval pool is not at hand.

Schema per question: ``query_id, query, answer[aliases], doc_pool[{mapped_id, doc_name,
doc_chunk, support}], oracle{mapped_id, doc_chunk}``; a chunk is relevant to a question when
its ``mapped_id`` is the question's id and ``support`` is 1.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from retrieval.fileio import atomic_write

HUB_NAME = "nlpai-lab/mirage"
POOL_SIZE = 5


class MirageFormatError(ValueError):
    pass


@dataclass(frozen=True)
class PoolChunk:
    mapped_id: str
    doc_name: str
    doc_chunk: str
    support: int


@dataclass(frozen=True)
class MirageQuestion:
    query_id: str
    query: str
    answers: tuple[str, ...]
    source: str = ""
    pool: tuple[PoolChunk, ...] = ()
    oracle: str | None = None


def _answers(record: dict, where: str) -> tuple[str, ...]:
    answers = record.get("answer")
    answers = [answers] if isinstance(answers, str) else list(answers or [])
    answers = tuple(a for a in answers if isinstance(a, str) and a.strip())
    if not answers:
        raise MirageFormatError(f"{where}: question {record.get('query_id')!r} has an empty answer list")
    return answers


def load_mirage_questions(path: str | Path) -> list[MirageQuestion]:
    """MIRAGE's ``dataset.json`` alone: questions and answers, no pool (closed-book use)."""
    path = Path(path)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise MirageFormatError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(records, list) or not records:
        raise MirageFormatError(f"{path}: expected a non-empty list of question records")
    return [MirageQuestion(str(r["query_id"]), r["query"], _answers(r, str(path)), r.get("source", ""))
            for r in records]


def from_records(records, where: str, pool_size: int = POOL_SIZE) -> list[MirageQuestion]:
    """Questions from records in the Hugging Face schema, checked (pool size, oracle, answers)."""
    questions = []
    for record in records:
        qid = str(record.get("query_id"))
        pool = tuple(PoolChunk(str(c["mapped_id"]), c.get("doc_name") or "", c["doc_chunk"], int(c["support"]))
                     for c in record.get("doc_pool") or [])
        oracle = record.get("oracle") or {}
        questions.append(MirageQuestion(qid, record["query"], _answers(record, where), record.get("source", ""),
                                        pool, oracle.get("doc_chunk") if isinstance(oracle, dict) else None))
    validate(questions, where, pool_size)
    return questions


def validate(questions: list[MirageQuestion], where: str, pool_size: int = POOL_SIZE) -> None:
    if not questions:
        raise MirageFormatError(f"{where}: no questions")
    for q in questions:
        if len(q.pool) != pool_size:
            raise MirageFormatError(f"{where}: question {q.query_id!r} has {len(q.pool)} pool chunks, "
                                    f"expected {pool_size}")
        if not q.oracle:
            raise MirageFormatError(f"{where}: question {q.query_id!r} has no oracle chunk")


def load_mirage(source: str | Path = HUB_NAME, pool_size: int = POOL_SIZE) -> list[MirageQuestion]:
    """MIRAGE with its pool, from the hub name, a folder of HF-schema records (``*.jsonl``,
    ``*.json``, ``*.parquet``), or a folder in the GitHub layout (``dataset.json``,
    ``doc_pool.json``, ``oracle.json``)."""
    folder = Path(source)
    if folder.is_dir():
        if (folder / "doc_pool.json").is_file():
            return _load_github_layout(folder, pool_size)
        files = sorted(p for ext in ("jsonl", "json", "parquet") for p in folder.glob(f"*.{ext}"))
        if not files:
            raise MirageFormatError(f"{folder}: no *.jsonl, *.json or *.parquet files, and no doc_pool.json")
        import datasets

        kind = "parquet" if files[0].suffix == ".parquet" else "json"
        rows = datasets.load_dataset(kind, data_files=[str(p) for p in files], split="train")
        return from_records(rows, str(folder), pool_size)
    if str(source) != HUB_NAME:
        raise FileNotFoundError(f"{source}: no such folder (give a MIRAGE folder, or {HUB_NAME!r} for the hub)")
    import datasets

    try:
        rows = datasets.load_dataset(HUB_NAME, split="train")
    except Exception as err:
        raise ConnectionError(f"could not load {HUB_NAME} from the Hugging Face hub ({err}); give a local "
                              "folder in its schema, or build one from XQuAD") from err
    return from_records(rows, HUB_NAME, pool_size)


def _load_github_layout(folder: Path, pool_size: int) -> list[MirageQuestion]:
    base = load_mirage_questions(folder / "dataset.json")
    pools: dict[str, list[PoolChunk]] = defaultdict(list)
    for c in json.loads((folder / "doc_pool.json").read_text(encoding="utf-8")):
        pools[str(c["mapped_id"])].append(PoolChunk(str(c["mapped_id"]), c.get("doc_name") or "",
                                                    c["doc_chunk"], int(c["support"])))
    raw = json.loads((folder / "oracle.json").read_text(encoding="utf-8"))
    items = raw.items() if isinstance(raw, dict) else ((r.get("mapped_id"), r) for r in raw)
    oracles = {str(k): (v.get("doc_chunk") if isinstance(v, dict) else v) for k, v in items}
    questions = [MirageQuestion(q.query_id, q.query, q.answers, q.source, tuple(pools.get(q.query_id, ())),
                                oracles.get(q.query_id)) for q in base]
    validate(questions, str(folder), pool_size)
    return questions


def to_record(q: MirageQuestion) -> dict:
    return {"query_id": q.query_id, "query": q.query, "answer": list(q.answers), "source": q.source,
            "doc_pool": [vars(c) for c in q.pool], "oracle": {"mapped_id": q.query_id, "doc_chunk": q.oracle}}


def write_mirage(questions: list[MirageQuestion], out_dir: str | Path) -> Path:
    path = Path(out_dir) / "mirage.jsonl"
    with atomic_write(path) as out:
        for q in questions:
            out.write(json.dumps(to_record(q), ensure_ascii=False) + "\n")
    return path


def build_from_xquad(xquad, distractors: int = POOL_SIZE - 1) -> list[MirageQuestion]:
    """Each question: its paragraph as oracle; pool = oracle + the ``distractors`` BM25-best
    paragraphs of *other* articles; ``support`` = some answer alias occurs in the chunk (lowercased)."""
    from indexes.bm25 import BM25Index

    paragraphs = xquad.paragraphs
    article = {d.id: d.metadata["article"] for d in paragraphs}
    by_id = {d.id: d for d in paragraphs}
    index = BM25Index().index(list(by_id), [d.text for d in paragraphs])
    rankings = index.search([qa.question for qa in xquad.questions], k=len(paragraphs))
    questions = []
    for qa, ranking in zip(xquad.questions, rankings, strict=True):
        ranked = [doc for doc, _ in ranking] + [d.id for d in paragraphs]  # BM25 order, then corpus order
        others = [doc for doc in dict.fromkeys(ranked) if article[doc] != qa.article]
        oracle = by_id[qa.paragraph_id]
        chunks = [oracle] + [by_id[doc] for doc in others[:distractors]]
        pool = tuple(PoolChunk(qa.id, d.title, d.text, int(any(a.lower() in d.text.lower() for a in qa.answers)))
                     for d in chunks)
        questions.append(MirageQuestion(qa.id, qa.question, qa.answers, f"xquad-{xquad.language}", pool,
                                        oracle.text))
    return questions
