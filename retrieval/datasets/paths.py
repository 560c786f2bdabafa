"""Where the data lives: one setting (``--data`` flag or ``$POLYRAG_DATA``), default ``./data``."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "POLYRAG_DATA"


class DataNotFoundError(FileNotFoundError):
    pass


def data_root(override: str | Path | None = None) -> Path:
    """The data folder: ``override``, else ``$POLYRAG_DATA``, else ``./data``."""
    root = Path(override or os.environ.get(DATA_ENV) or "data").expanduser()
    if not root.is_dir():
        raise DataNotFoundError(
            f"data folder {root} does not exist. Point ${DATA_ENV} (or --data) at a folder holding "
            f"xquad/, mirage/ and korean-law/, or fetch them with: python -m retrieval.datasets download --to {root}")
    return root


def data_file(relative: str, override: str | Path | None = None) -> Path:
    path = data_root(override) / relative
    if not path.exists():
        raise DataNotFoundError(f"{path} is missing; fetch it with: python -m retrieval.datasets download "
                                f"--to {data_root(override)}")
    return path
