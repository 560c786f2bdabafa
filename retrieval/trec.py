"""TREC run and qrels files: ``qid Q0 docid rank score tag`` and ``qid iter docid grade``."""

from __future__ import annotations

from pathlib import Path

from .fileio import atomic_write
from .types import Hit, Qrels, Run


class TrecFormatError(ValueError):
    """A TREC file line that cannot be read; the message names the file and line."""


def _fields(path: Path, n_fields: int, what: str):
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != n_fields:
                raise TrecFormatError(f"{path}:{lineno}: a {what} line needs {n_fields} fields, "
                                      f"found {len(parts)}: {line.rstrip()!r}")
            yield lineno, parts


def read_run(path: str | Path) -> Run:
    """Read a TREC run; hits are re-ranked by score (ties: doc id descending), as trec_eval does."""
    path = Path(path)
    scores: dict[str, dict[str, float]] = {}
    name = None
    for lineno, (qid, _q0, doc_id, _rank, score, tag) in _fields(path, 6, "run"):
        try:
            value = float(score)
        except ValueError:
            raise TrecFormatError(f"{path}:{lineno}: score {score!r} is not a number") from None
        if doc_id in scores.setdefault(qid, {}):
            raise TrecFormatError(f"{path}:{lineno}: document {doc_id!r} appears twice for query {qid!r}")
        scores[qid][doc_id] = value
        name = name or tag
    return Run.from_scores(scores, name=name or path.stem)


def write_run(run: Run, path: str | Path, name: str | None = None) -> None:
    tag = name or run.name
    with atomic_write(path) as out:
        for qid, hits in run.items():
            for rank, hit in enumerate(hits, start=1):
                out.write(f"{qid} Q0 {hit.doc_id} {rank} {hit.score:.6f} {tag}\n")


def read_qrels(path: str | Path) -> Qrels:
    path = Path(path)
    qrels = Qrels()
    for lineno, (qid, _iteration, doc_id, grade) in _fields(path, 4, "qrels"):
        try:
            qrels.setdefault(qid, {})[doc_id] = int(grade)
        except ValueError:
            raise TrecFormatError(f"{path}:{lineno}: relevance grade {grade!r} is not an integer") from None
    return qrels


def write_qrels(qrels: Qrels, path: str | Path) -> None:
    with atomic_write(path) as out:
        for qid, judged in qrels.items():
            for doc_id, grade in judged.items():
                out.write(f"{qid} 0 {doc_id} {grade}\n")


__all__ = ["Hit", "TrecFormatError", "read_qrels", "read_run", "write_qrels", "write_run"]
