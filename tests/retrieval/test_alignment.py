import math

import numpy as np
import pytest
import torch

from retrieval.alignment import CrossLingualAligner, alignment_loss, alignment_samples, jensen_shannon
from retrieval.datasets import load_xquad_parallel, split_articles
from retrieval.encoders import SentenceTransformerEncoder


def test_jensen_shannon_by_hand():
    # softmax([0, 0]) = (1/2, 1/2); softmax([ln 3, 0]) = (3/4, 1/4); their mean m = (5/8, 3/8)
    p, q, m = (0.5, 0.5), (0.75, 0.25), (0.625, 0.375)
    kl = lambda a, b: sum(x * math.log(x / y) for x, y in zip(a, b, strict=True))  # noqa: E731
    expected = 0.5 * (kl(p, m) + kl(q, m))
    got = jensen_shannon(torch.tensor([[0.0, 0.0]]), torch.tensor([[math.log(3.0), 0.0]]))
    assert got.item() == pytest.approx(expected, abs=1e-7) and expected == pytest.approx(0.033822, abs=1e-6)
    assert jensen_shannon(torch.tensor([[1.0, 2.0]]), torch.tensor([[11.0, 12.0]])).item() == pytest.approx(0, abs=1e-7)


def test_alignment_loss_by_hand():
    # two samples; unit vectors so the cosine is the dot product
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    t = torch.tensor([[0.8, 0.6], [0.6, 0.8]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    tau = 0.5
    st, sp = (q @ t.T / tau).numpy(), (q @ p.T / tau).numpy()  # st = [[1.6, 1.2], [1.2, 1.6]], sp = [[2, 0], [0, 2]]

    def ce(row, positive):
        return -row[positive] + math.log(sum(math.exp(x) for x in row))

    # target positive of query 0: its target scores, plus the unrelated English paragraph 1 (not its twin 0)
    infonce = 0.5 * ((ce([st[0, 0], st[0, 1], sp[0, 1]], 0) + ce([st[1, 0], st[1, 1], sp[1, 0]], 1)) / 2
                     + (ce([sp[0, 0], sp[0, 1], st[0, 1]], 0) + ce([sp[1, 0], sp[1, 1], st[1, 0]], 1)) / 2)
    jsd = jensen_shannon(torch.tensor(st), torch.tensor(sp)).item()
    total, got_infonce, got_jsd = alignment_loss(q, t, p, temperature=tau, jsd_weight=0.3)
    assert got_infonce.item() == pytest.approx(infonce, abs=1e-6)
    assert got_jsd.item() == pytest.approx(jsd, abs=1e-7) and jsd > 0
    assert total.item() == pytest.approx(infonce + 0.3 * jsd, abs=1e-6)


def test_mixed_pool_infonce_sees_an_english_offset():
    """Lifting every English score alike leaves per-language softmaxes (and the JSD) unchanged, but the
    mixed-pool InfoNCE rises: unrelated English paragraphs now compete with the relevant target one."""
    q = torch.eye(3)
    t = torch.eye(3) * 0.9 + 0.05
    aligned = torch.eye(3) * 0.9 + 0.05
    inclined = aligned + 0.4  # closer to every query (the vectors are normalised inside: a real tilt)
    _, infonce_aligned, _ = alignment_loss(q, t, aligned, temperature=0.1)
    _, infonce_inclined, _ = alignment_loss(q, t, inclined, temperature=0.1)
    assert infonce_inclined > infonce_aligned


def test_samples_come_only_from_training_articles(data_dir):
    xquad = load_xquad_parallel(["en", "de", "zh"], data_dir)
    train, held_out = split_articles(48, 0.5, seed=1)
    samples = alignment_samples(xquad, train, ["en", "de", "zh"], max_samples=100, seed=0)
    assert set(samples) == {"de", "zh"} and all(len(rows) == 50 for rows in samples.values())
    held_out_text = {d.text for lang in xquad for d in xquad[lang].paragraphs if d.metadata["article"] in held_out}
    rows = [row for rows in samples.values() for row in rows]
    assert not any(row["positive"] in held_out_text or row["positive_pivot"] in held_out_text for row in rows)
    en = {d.text: d.id for d in xquad["en"].paragraphs}
    de = {d.text: d.id for d in xquad["de"].paragraphs}
    assert all(de[row["positive"]] == en[row["positive_pivot"]] for row in samples["de"])  # parallel twins
    assert alignment_samples(xquad, train, ["de", "zh"], 100, seed=0) == samples
    with pytest.raises(ValueError, match="no target language"):
        alignment_samples(xquad, train, ["en"])


def test_aligner_training_brings_parallel_documents_together(tiny_bi_encoder_dir, tmp_path):
    # a toy "language pair": target paragraphs are the English ones with a marker word in front
    topics = ["oslo norway", "paris france", "seoul korea", "river water", "king queen", "music film"]
    rows = [{"query": f"where {t}", "positive": f"fire {t} city", "positive_pivot": f"{t} city"} for t in topics]
    aligner = CrossLingualAligner(tiny_bi_encoder_dir, temperature=0.1, batch_size=6, epochs=30,
                                  learning_rate=5e-3, seed=0, device="cpu")
    encoder = SentenceTransformerEncoder(str(tiny_bi_encoder_dir), device="cpu")

    def gap(enc):  # mean cosine between a target paragraph and its English twin, minus to other English ones
        sims = enc.encode_documents([r["positive"] for r in rows]) @ enc.encode_documents(
            [r["positive_pivot"] for r in rows]).T
        return float(np.mean(np.diag(sims)) - np.mean(sims[~np.eye(len(rows), dtype=bool)]))

    saved = aligner.fit({"xx": rows}, tmp_path / "aligned", show_progress_bar=False)
    assert aligner.history[-1]["loss"] < aligner.history[0]["loss"]
    assert gap(SentenceTransformerEncoder(str(saved), device="cpu")) > gap(encoder)
    assert not list(tmp_path.glob(".aligned.tmp-*"))  # the temporary folder was swapped in
