"""JSONL corpora and queries (BEIR's shape: ``_id`` or ``id``, ``text``, optional ``title``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

from .fileio import atomic_write
from .types import Document, Query

ID_KEYS = ("_id", "id", "docid", "doc_id", "qid", "query_id")


class MalformedRecordError(ValueError):
    """A JSONL record that cannot be read; the message names the file and line."""


def iter_records(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; a bad line raises naming file:line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise MalformedRecordError(f"{path}:{lineno}: not valid JSON ({err.msg} at column {err.colno})") \
                    from None
            if not isinstance(record, dict):
                raise MalformedRecordError(f"{path}:{lineno}: expected a JSON object, found "
                                           f"{type(record).__name__}")
            yield lineno, record


def _id_and_text(path: Path, lineno: int, record: dict) -> tuple[str, str]:
    key = next((k for k in ID_KEYS if k in record), None)
    if key is None:
        raise MalformedRecordError(f"{path}:{lineno}: no id field (one of {', '.join(ID_KEYS)})")
    text = record.get("text")
    if not isinstance(text, str):
        raise MalformedRecordError(f"{path}:{lineno}: field 'text' is missing or not a string")
    return str(record[key]), text


def _read(path: str | Path, make) -> list:
    path = Path(path)
    seen: dict[str, int] = {}
    items = []
    for lineno, record in iter_records(path):
        record_id, text = _id_and_text(path, lineno, record)
        if record_id in seen:
            raise MalformedRecordError(f"{path}:{lineno}: id {record_id!r} already used on line {seen[record_id]}")
        seen[record_id] = lineno
        items.append(make(record_id, text, record))
    if not items:
        raise MalformedRecordError(f"{path}: no records (the file is empty)")
    return items


def read_corpus(path: str | Path) -> list[Document]:
    return _read(path, lambda i, text, r: Document(i, text, title=r.get("title") or "",
                                                   language=r.get("language"),
                                                   metadata=r.get("metadata") or {}))


def read_queries(path: str | Path) -> list[Query]:
    return _read(path, lambda i, text, r: Query(i, text, language=r.get("language"),
                                                metadata=r.get("metadata") or {}))


def write_jsonl(records: Iterable[Document | Query | dict], path: str | Path) -> None:
    """Write records atomically; dataclasses are written with ``_id`` as their id key."""
    with atomic_write(path) as out:
        for record in records:
            if isinstance(record, Document | Query):
                record = {"_id": record.id, **{k: v for k, v in asdict(record).items() if k != "id" and v}}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
