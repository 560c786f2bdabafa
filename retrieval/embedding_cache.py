"""On-disk embedding cache keyed by model and text hash, written in shards as encoding goes.

Re-indexing the same texts skips done work, and an encode that is killed resumes from its last
finished shard. Hand-written because sentence-transformers has no persistent cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .fileio import atomic_write


def text_key(prompt: str, text: str) -> bytes:
    return hashlib.blake2b(f"{prompt}\x00{text}".encode(), digest_size=16).digest()


class EmbeddingCache:
    def __init__(self, folder: str | Path, model: str, dim: int):
        self.folder = Path(folder).expanduser() / re.sub(r"[^\w.-]+", "--", model)
        self.dim = dim
        self._rows: dict[bytes, tuple[int, int]] = {}
        self._shards: list[np.ndarray] = []
        for keys_file in sorted(self.folder.glob("shard-*.keys")):
            vectors_file = keys_file.with_suffix(".npy")
            if not vectors_file.is_file():  # vectors are written first; a lone .keys cannot happen, skip it
                continue
            self._add_shard(np.fromfile(keys_file, dtype="V16"), np.load(vectors_file, mmap_mode="r"))

    def __len__(self) -> int:
        return len(self._rows)

    def _add_shard(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if vectors.shape[1] != self.dim:
            raise ValueError(f"{self.folder}: cached vectors have dim {vectors.shape[1]}, expected {self.dim}")
        shard = len(self._shards)
        self._shards.append(vectors)
        for row, key in enumerate(keys):
            self._rows[bytes(key)] = (shard, row)

    def missing(self, keys: Sequence[bytes]) -> list[int]:
        return [i for i, key in enumerate(keys) if key not in self._rows]

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Write one shard: vectors first, keys last, so a shard is only seen once it is whole."""
        name = f"shard-{len(self._shards):06d}"
        with atomic_write(self.folder / f"{name}.npy", "wb") as out:
            np.save(out, np.asarray(vectors, dtype=np.float32))
        with atomic_write(self.folder / f"{name}.keys", "wb") as out:
            out.write(b"".join(keys))
        self._add_shard(np.frombuffer(b"".join(keys), dtype="V16"), np.asarray(vectors, dtype=np.float32))

    def get(self, keys: Sequence[bytes]) -> np.ndarray:
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            shard, row = self._rows[key]
            out[i] = self._shards[shard][row]
        return out


def encode_with_cache(encode: Callable[[list[str]], np.ndarray], texts: Sequence[str], prompt: str,
                      cache: EmbeddingCache | None, block_size: int = 2048, desc: str = "encode",
                      show_progress_bar: bool = True) -> np.ndarray:
    """Encode ``texts`` through ``cache``: missing texts are encoded longest-first in blocks, each
    block stored as one shard, so similar lengths share a batch and an interruption loses one block."""
    if cache is None:
        return encode(list(texts))
    keys = [text_key(prompt, t) for t in texts]
    todo = sorted(set(cache.missing(keys)), key=lambda i: -len(texts[i]))
    unique, seen = [], set()
    for i in todo:
        if keys[i] not in seen:
            seen.add(keys[i])
            unique.append(i)
    for start in tqdm(range(0, len(unique), block_size), desc=desc, unit="block", disable=not show_progress_bar):
        block = unique[start:start + block_size]
        cache.put([keys[i] for i in block], encode([texts[i] for i in block]))
    return cache.get(keys)
