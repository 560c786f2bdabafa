"""Fetch the project's data from its public homes, checked against the sha256 sums in ``sources.txt``.

``sources.txt`` lines: ``sha256 destination source:path`` (``-`` where no sum is known: MIRAGE's
retrieval pool and oracle chunks, which this workplace could not fetch). konlpy's texts come out of
its wheel on PyPI.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from ..fileio import atomic_write

SOURCES_FILE = Path(__file__).with_name("sources.txt")
BASE_URLS = {
    "xquad": "https://raw.githubusercontent.com/google-deepmind/xquad/master/",
    "mirage": "https://raw.githubusercontent.com/nlpai-lab/MIRAGE/main/",
    "legalize-kr": "https://raw.githubusercontent.com/legalize-kr/legalize-kr/"
                   "874b58594654505fdc409fd42c02d100d84d51ce/",
}
KONLPY_WHEEL = "konlpy==0.6.0"
DATASETS = {"xquad": ("xquad",), "mirage": ("mirage",), "korean-law": ("legalize-kr", "konlpy")}


def read_sources(path: Path = SOURCES_FILE) -> list[tuple[str | None, str, str, str]]:
    """(sha256 or None, destination, source, path within the source) per line."""
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            digest, dest, origin = line.split()
            source, inner = origin.split(":", 1)
        except ValueError:
            raise ValueError(f"{path}:{lineno}: expected 'sha256 destination source:path'") from None
        rows.append((None if digest == "-" else digest, dest, source, inner))
    return rows


def _konlpy_reader(tmp: Path):
    """Download konlpy's wheel once (via pip, from PyPI) and read members from it."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                    "-d", str(tmp), KONLPY_WHEEL], check=True)
    wheel = zipfile.ZipFile(next(tmp.glob("konlpy-*.whl")))
    return wheel.read


def download(dest: str | Path, datasets=tuple(DATASETS), base_urls: dict | None = None,
             sources: Path = SOURCES_FILE) -> list[Path]:
    """Fetch ``datasets`` into ``dest``; files already present with the right sum are kept.

    Each file is written atomically, and a sum mismatch raises without replacing anything.
    """
    dest, urls = Path(dest), {**BASE_URLS, **(base_urls or {})}
    wanted = {source for name in datasets for source in DATASETS[name]}
    rows = [row for row in read_sources(sources) if row[2] in wanted]
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        konlpy = None
        for digest, relative, source, inner in tqdm(rows, desc="download", unit="file"):
            target = dest / relative
            if target.is_file() and (digest is None or _sha256(target.read_bytes()) == digest):
                continue
            try:
                if source == "konlpy":
                    konlpy = konlpy or _konlpy_reader(Path(tmp))
                    payload = konlpy(inner)
                else:
                    url = urls[source] + urllib.parse.quote(inner)
                    with urllib.request.urlopen(url, timeout=60) as response:
                        payload = response.read()
            except Exception as err:
                if digest is None:  # optional file (MIRAGE's pool): say so and go on
                    print(f"skipped {relative}: {err}", file=sys.stderr)
                    continue
                raise RuntimeError(f"could not fetch {relative} from {source}:{inner}: {err}") from err
            if digest is not None and _sha256(payload) != digest:
                raise RuntimeError(f"{relative}: sha256 {_sha256(payload)} does not match the expected {digest}")
            with atomic_write(target, "wb") as out:
                out.write(payload)
            written.append(target)
    return written


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
