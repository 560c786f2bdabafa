import numpy as np
import pytest

from indexes import faiss_index
from indexes.faiss_index import FaissIndex, IndexMismatchError


def _vectors(n, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute_force(docs, queries, k, metric="ip"):
    scores = queries @ docs.T if metric == "ip" else -((queries[:, None, :] - docs[None]) ** 2).sum(-1)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_flat_equals_brute_force_with_string_ids(metric):
    docs, queries = _vectors(300), _vectors(20, seed=1)
    index = FaissIndex(16, "Flat", metric=metric)
    index.add([f"doc-{i}" for i in range(300)], docs)
    ids, scores = index.search(queries, 5)
    order, expected = _brute_force(docs, queries, 5, metric)
    assert ids == [[f"doc-{i}" for i in row] for row in order]
    np.testing.assert_allclose(np.stack(scores), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("factory", ["Flat", "HNSW32", "IVF8,Flat", "IVF8,PQ4x4,Refine(Flat)", "PCA8,IVF4,Flat"])
def test_tombstoned_documents_never_come_back(factory):
    docs = _vectors(400)
    index = FaissIndex(16, factory, ef_search=64, nprobe=8, k_factor=4)
    index.add([str(i) for i in range(400)], docs)
    ids, _ = index.search(docs[:10], 3)
    if not factory.startswith("PCA"):  # PCA to 8 of 16 dimensions blurs the vectors
        assert sum(row[0] == str(i) for i, row in enumerate(ids)) >= 8  # documents find themselves
    index.remove([str(i) for i in range(10)])
    assert len(index) == 390
    ids, _ = index.search(docs[:10], 3)
    assert all(len(row) == 3 and not set(row) & {str(i) for i in range(10)} for row in ids)


class SelectorBlindSearcher:
    """Stands in for a faiss GPU index: it searches the same vectors but ignores IDSelectors (faiss #3114, #3924)."""

    def __init__(self, index):
        self.index = index

    def search(self, vectors, k, params=None):
        assert params is None or params.sel is None  # we must not count on a selector here
        return self.index.search(vectors, k)


def test_tombstones_hold_where_the_searcher_ignores_selectors(monkeypatch):
    docs = _vectors(300)
    index = FaissIndex(16, "Flat")
    index.add([str(i) for i in range(300)], docs)
    index.remove([str(i) for i in range(0, 300, 3)])  # a third of the index, the best hit of every third query
    want = index.search(docs[:30], 7)
    monkeypatch.setattr(index, "_searcher", lambda: SelectorBlindSearcher(index.index))
    got = index.search(docs[:30], 7)
    assert got[0] == want[0] and all(len(row) == 7 for row in got[0])
    np.testing.assert_allclose(np.stack(got[1]), np.stack(want[1]), rtol=1e-6)
    monkeypatch.setattr(faiss_index, "GPU_MAX_K", 50)  # k + 100 tombstones beyond the GPU's limit: CPU search
    assert index.search(docs[:30], 7)[0] == want[0]


def test_bad_input_is_named():
    index = FaissIndex(16)
    with pytest.raises(ValueError, match=r"shape \(3, 8\); this index holds dimension 16"):
        index.add(["a", "b", "c"], np.zeros((3, 8), np.float32))
    index.add(["a"], _vectors(1))
    with pytest.raises(ValueError, match="id 'a' is already in the index"):
        index.add(["a"], _vectors(1))
    with pytest.raises(KeyError, match="'zz' is not in the index"):
        index.remove(["zz"])
    with pytest.raises(ValueError, match="metric must be one of"):
        FaissIndex(16, metric="cosine")


def test_empty_index_and_k_beyond_size():
    index = FaissIndex(16)
    assert index.search(_vectors(2), 5)[0] == [[], []]
    index.add(["a", "b"], _vectors(2))
    assert [len(row) for row in index.search(_vectors(3), 10)[0]] == [2, 2, 2]


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path, mmap):
    docs = _vectors(200)
    index = FaissIndex(16, "HNSW32", model="org/model")
    index.add([f"d{i}" for i in range(200)], docs)
    index.remove(["d3"])
    index.save(tmp_path / "idx")
    loaded = FaissIndex.load(tmp_path / "idx", mmap=mmap, model="org/model", dim=16)
    assert len(loaded) == 199 and loaded.search(docs[:8], 4)[0] == index.search(docs[:8], 4)[0]
    loaded.add(["new"], docs[:1])  # a loaded index keeps growing
    assert loaded.search(docs[:1], 1)[0] == [["d0"]] or loaded.search(docs[:1], 1)[0] == [["new"]]


def test_load_with_another_encoder_names_both(tmp_path):
    index = FaissIndex(16, model="org/small")
    index.add(["a"], _vectors(1))
    index.save(tmp_path / "idx")
    with pytest.raises(IndexMismatchError, match=r"built with model 'org/small'.*encoder given is 'org/big'"):
        FaissIndex.load(tmp_path / "idx", model="org/big", dim=16)
    with pytest.raises(IndexMismatchError, match=r"16-dimensional vectors of 'org/small'.*makes dim 32"):
        FaissIndex.load(tmp_path / "idx", dim=32)


def test_interrupted_save_keeps_previous_index(tmp_path, monkeypatch):
    index = FaissIndex(16)
    index.add(["a", "b"], _vectors(2))
    index.save(tmp_path / "idx")
    index.add(["c"], _vectors(1, seed=3))

    def crash(*_args):
        raise KeyboardInterrupt("killed while writing ids")

    monkeypatch.setattr(faiss_index, "write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        index.save(tmp_path / "idx")
    assert len(FaissIndex.load(tmp_path / "idx")) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_missing_file_and_corruption_are_named(tmp_path):
    index = FaissIndex(16)
    index.add(["a"], _vectors(1))
    index.save(tmp_path / "idx")
    (tmp_path / "idx" / "index.faiss").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="checksum differs"):
        FaissIndex.load(tmp_path / "idx")
    (tmp_path / "idx" / "ids.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"index file ids\.json is missing"):
        FaissIndex.load(tmp_path / "idx")


def test_ef_construction_only_for_hnsw():
    index = FaissIndex(16, "HNSW32", ef_construction=80)
    assert faiss_index.faiss.downcast_index(index.index).hnsw.efConstruction == 80
    assert faiss_index.faiss.downcast_index(FaissIndex(16, "HNSW32").index).hnsw.efConstruction == 200
    with pytest.raises(ValueError, match="ef_construction applies to HNSW"):
        FaissIndex(16, "Flat", ef_construction=80)
