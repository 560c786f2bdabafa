"""FaissIndex: any faiss factory string, string ids, tombstones, atomic save, mmap load, GPU when present.

Scores are "higher is better": inner product as is, L2 as the negated squared distance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from .folder import atomic_folder, read_manifest, sha256_file, write_json

METRICS = {"ip": faiss.METRIC_INNER_PRODUCT, "l2": faiss.METRIC_L2}
FORMAT_VERSION = 1
HNSW_EF_CONSTRUCTION = 200
GPU_MAX_K = 2048  # faiss's GPU k-selection limit: beyond it, search on the CPU copy
FILES = ("index.faiss", "ids.json", "deleted.npy")


class IndexMismatchError(ValueError):
    """An index loaded with an encoder of another model or dimension."""


class FaissIndex:
    def __init__(self, dim: int, factory: str = "Flat", metric: str = "ip", model: str | None = None,
                 device: str = "auto", ef_search: int | None = None, nprobe: int | None = None,
                 k_factor: float | None = None, ef_construction: int | None = None):
        """``ef_search`` (HNSW), ``nprobe`` (IVF) and ``k_factor`` (Refine) are search-time knobs;
        ``ef_construction`` sets an HNSW graph's build-time breadth: 200 unless given (hnswlib's default;
        faiss's own 40 builds 3.5x faster but loses recall: 0.989 against 0.995 at efSearch 64 on 30,710 e5
        embeddings, see benchmarks/results/retrieval)."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {sorted(METRICS)}, not {metric!r}")
        self.dim, self.factory, self.metric, self.model = int(dim), factory, metric, model
        self.ef_search, self.nprobe, self.k_factor = ef_search, nprobe, k_factor
        self.index = faiss.index_factory(self.dim, factory, METRICS[metric])
        hnsw = faiss.downcast_index(self.index)
        if isinstance(hnsw, faiss.IndexHNSW):
            hnsw.hnsw.efConstruction = ef_construction or HNSW_EF_CONSTRUCTION
        elif ef_construction is not None:
            raise ValueError(f"ef_construction applies to HNSW indexes, not {factory!r}")
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._deleted: set[int] = set()
        self._device = device
        self._gpu_index = None
        self._names = None

    def __len__(self) -> int:
        return len(self._ids) - len(self._deleted)

    # -- building ---------------------------------------------------------------------------------
    def _check(self, vectors) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have shape {vectors.shape}; this index holds dimension {self.dim}")
        return vectors

    def train(self, vectors) -> None:
        self.index.train(self._check(vectors))
        self._gpu_index = None

    def add(self, ids: Sequence[str], vectors, batch_size: int = 65536, show_progress_bar: bool = False) -> None:
        """Add vectors under string ids (an untrained index is first trained on these vectors)."""
        vectors = self._check(vectors)
        ids = [str(i) for i in ids]
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        clash = next((i for i in ids if i in self._position), None)
        if clash is not None or len(set(ids)) != len(ids):
            raise ValueError(f"id {clash or next(i for i in ids if ids.count(i) > 1)!r} is already in the index")
        if not self.index.is_trained:
            self.train(vectors)
        for start in tqdm(range(0, len(ids), batch_size), desc="faiss add", disable=not show_progress_bar):
            self.index.add(vectors[start:start + batch_size])
        for offset, doc_id in enumerate(ids, start=len(self._ids)):
            self._position[doc_id] = offset
        self._ids += ids
        self._gpu_index = self._names = None

    def remove(self, ids: Sequence[str]) -> None:
        """Tombstone documents: they stay in the faiss structure but are never returned."""
        for doc_id in ids:
            if doc_id not in self._position:
                raise KeyError(f"id {doc_id!r} is not in the index")
            self._deleted.add(self._position.pop(doc_id))

    # -- searching --------------------------------------------------------------------------------
    def _searcher(self):
        if self._device == "cpu" or faiss.get_num_gpus() == 0:
            return self.index
        if self._gpu_index is None:
            try:
                self._gpu_index = faiss.index_cpu_to_all_gpus(self.index)
            except (RuntimeError, AttributeError):  # no GPU build or a structure with no GPU version (HNSW)
                self._device = "cpu"
                return self.index
        return self._gpu_index

    def _params(self, index, selector):
        index = faiss.downcast_index(index)
        if isinstance(index, faiss.IndexRefine):
            base = self._params(index.base_index, selector)
            return faiss.IndexRefineSearchParameters(base_index_params=base, sel=selector,
                                                     k_factor=self.k_factor or index.k_factor)
        if isinstance(index, faiss.IndexPreTransform):
            return faiss.SearchParametersPreTransform(index_params=self._params(index.index, selector))
        if isinstance(index, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe or index.nprobe)
        if isinstance(index, faiss.IndexHNSW):
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search or index.hnsw.efSearch)
        return faiss.SearchParameters(sel=selector)

    def search(self, vectors, k: int, batch_size: int = 4096) -> tuple[list[list[str]], list[np.ndarray]]:
        """Top-k string ids and scores per query vector; fewer than k where the index holds fewer."""
        vectors = self._check(vectors)
        k = max(1, min(int(k), len(self))) if len(self) else 0
        if k == 0:
            return [[] for _ in vectors], [np.empty(0, np.float32) for _ in vectors]
        searcher = self._searcher()
        # GPU indexes ignore IDSelectors (faiss issues 3114, 3924): there, fetch k + tombstones and drop them after
        post_filter = searcher is not self.index and bool(self._deleted)
        if post_filter and k + len(self._deleted) > GPU_MAX_K:
            searcher, post_filter = self.index, False
        deleted = np.fromiter(self._deleted, dtype=np.int64)
        params = None
        if self._deleted or self.ef_search or self.nprobe or self.k_factor:
            selector = (faiss.IDSelectorNot(faiss.IDSelectorBatch(deleted))
                        if self._deleted and not post_filter else None)
            params = self._params(self.index, selector)  # a GPU copy has the CPU structure's knobs
        fetch = k + len(self._deleted) if post_filter else k
        ids_out, scores_out = [], []
        if self._names is None:
            self._names = np.asarray(self._ids, dtype=object)
        names = self._names
        for start in range(0, len(vectors), batch_size):
            distances, rows = searcher.search(vectors[start:start + batch_size], fetch, params=params)
            if post_filter:
                distances, rows = _drop_deleted(distances, rows, deleted, k)
            if self.metric == "l2":
                distances = -distances
            if (rows >= 0).all():  # the usual case: one vectorised lookup for the whole batch
                ids_out += names[rows].tolist()
                scores_out += list(distances)
                continue
            for d, r in zip(distances, rows, strict=True):
                keep = r >= 0
                ids_out.append(names[r[keep]].tolist())
                scores_out.append(d[keep])
        return ids_out, scores_out

    # -- files ------------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        with atomic_folder(folder) as tmp:
            faiss.write_index(self.index, str(tmp / "index.faiss"))
            write_json(tmp / "ids.json", self._ids)
            np.save(tmp / "deleted.npy", np.array(sorted(self._deleted), dtype=np.int64))
            write_json(tmp / "manifest.json", {
                "format": FORMAT_VERSION, "kind": "faiss", "model": self.model, "dim": self.dim,
                "metric": self.metric, "factory": self.factory, "count": len(self), "stored": len(self._ids),
                "sha256": sha256_file(tmp / "index.faiss"),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return Path(folder)

    @classmethod
    def load(cls, folder: str | Path, mmap: bool = False, model: str | None = None, dim: int | None = None,
             verify: bool = True, device: str = "auto") -> FaissIndex:
        """Load a saved index; ``model``/``dim`` (the encoder's) must match what the index was built with."""
        folder = Path(folder)
        manifest = read_manifest(folder, FILES)
        if model is not None and manifest["model"] is not None and model != manifest["model"]:
            raise IndexMismatchError(f"{folder} was built with model {manifest['model']!r} "
                                     f"(dim {manifest['dim']}); the encoder given is {model!r} (dim {dim})")
        if dim is not None and int(dim) != manifest["dim"]:
            raise IndexMismatchError(f"{folder} holds {manifest['dim']}-dimensional vectors of "
                                     f"{manifest['model']!r}; the encoder given ({model!r}) makes dim {dim}")
        if verify and sha256_file(folder / "index.faiss") != manifest["sha256"]:
            raise ValueError(f"{folder / 'index.faiss'}: checksum differs from the manifest (corrupt file?)")
        index = cls.__new__(cls)
        index.dim, index.factory, index.metric = manifest["dim"], manifest["factory"], manifest["metric"]
        index.model, index.ef_search, index.nprobe, index.k_factor = manifest["model"], None, None, None
        flags = faiss.IO_FLAG_MMAP if mmap else 0
        index.index = faiss.read_index(str(folder / "index.faiss"), flags)
        index._ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        index._deleted = set(np.load(folder / "deleted.npy").tolist())
        index._position = {doc_id: i for i, doc_id in enumerate(index._ids) if i not in index._deleted}
        index._device, index._gpu_index, index._names = device, None, None
        return index


def _drop_deleted(distances: np.ndarray, rows: np.ndarray, deleted: np.ndarray,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first k live results of each row (-1 where fewer), order kept."""
    dead = np.isin(rows, deleted) | (rows < 0)
    order = np.argsort(dead, axis=1, kind="stable")[:, :k]  # live ones first, in their ranked order
    rows, distances = np.take_along_axis(rows, order, 1), np.take_along_axis(distances, order, 1)
    gone = np.take_along_axis(dead, order, 1)
    return np.where(gone, np.float32(0), distances), np.where(gone, -1, rows)
