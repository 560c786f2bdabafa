"""Index folders written atomically: a save that dies halfway leaves the previous folder loadable."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

MANIFEST = "manifest.json"


@contextlib.contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success swap it in for ``target``.

    The old folder is renamed aside, the new one renamed into place, then the old one removed:
    until the first rename the previous index is untouched, after the second the new one is whole.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
    try:
        yield tmp
        for file in tmp.rglob("*"):  # some writers (bm25s, faiss) do not fsync: make the folder durable first
            if file.is_file():
                with open(file, "rb") as handle:
                    os.fsync(handle.fileno())
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
            os.rmdir(old)
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, payload) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_manifest(folder: str | Path, required: tuple[str, ...] = ()) -> dict:
    """The folder's manifest, after checking that it and the ``required`` files exist."""
    folder = Path(folder)
    if not folder.is_dir():
        stale = sorted(folder.parent.glob(f".{folder.name}.old-*")) if folder.parent.is_dir() else []
        hint = f" (a previous save left {stale[0]}: rename it to {folder.name} to recover)" if stale else ""
        raise FileNotFoundError(f"{folder}: no such index folder{hint}")
    for name in (MANIFEST, *required):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: index file {name} is missing")
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
