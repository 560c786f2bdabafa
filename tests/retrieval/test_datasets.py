from pathlib import Path

import pytest

from retrieval.datasets import (
    XQUAD_LANGUAGES,
    DataNotFoundError,
    data_root,
    load_korean_statutes,
    load_xquad,
    load_xquad_parallel,
    split_articles,
)
from retrieval.datasets.download import download, read_sources


def test_xquad_counts_in_every_language(data_dir):
    loaded = load_xquad_parallel(XQUAD_LANGUAGES, data_dir)
    assert len(loaded) == 12
    for xquad in loaded.values():
        assert len(xquad.paragraphs) == 240 and len(xquad.questions) == 1190 and len(xquad.titles) == 48
    en, zh = loaded["en"], loaded["zh"]
    assert [d.id for d in en.paragraphs] == [d.id for d in zh.paragraphs]
    assert en.questions[0].id == zh.questions[0].id and en.questions[0].question != zh.questions[0].question


def test_xquad_answers_occur_in_their_paragraph(data_dir):
    xquad = load_xquad("en", data_dir)
    text = {d.id: d.text for d in xquad.paragraphs}
    assert all(any(a in text[q.paragraph_id] for a in q.answers) for q in xquad.questions)
    qrels = xquad.qrels()
    assert len(qrels) == 1190 and all(len(j) == 1 for j in qrels.values())


def test_unknown_xquad_language(data_dir):
    with pytest.raises(ValueError, match="XQuAD has no language 'ko'"):
        load_xquad("ko", data_dir)


def test_korean_statutes_counts(data_dir):
    statutes = load_korean_statutes(data_dir)
    assert len(statutes) == 312
    assert sum(len(s.articles) for s in statutes) == 23270
    civil = next(s for s in statutes if s.title == "민법")
    first = civil.articles[0]
    assert first.title == "민법 제1조 (법원)" and first.text.startswith("민사에 관하여 법률에 규정이 없으면")
    assert len({a.id for s in statutes for a in s.articles}) == 23270


def test_missing_data_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"python -m retrieval\.datasets download"):
        data_root(tmp_path / "nowhere")


def test_download_checks_sums_and_never_leaves_a_bad_file(data_dir, tmp_path):
    xquad_dir = Path(data_dir).resolve() / "xquad"
    written = download(tmp_path, ["xquad"], base_urls={"xquad": xquad_dir.as_uri() + "/"})
    assert len(written) == 12
    assert (tmp_path / "xquad/xquad.de.json").read_bytes() == (xquad_dir / "xquad.de.json").read_bytes()
    assert download(tmp_path, ["xquad"], base_urls={"xquad": xquad_dir.as_uri() + "/"}) == []  # kept

    sources = tmp_path / "sources.txt"
    _, dest, _, inner = read_sources()[0]
    sources.write_text(f"{'0' * 64} {dest} xquad:{inner}\n")
    before = (tmp_path / dest).read_bytes()
    (tmp_path / dest).write_bytes(b"stale")
    with pytest.raises(RuntimeError, match="does not match"):
        download(tmp_path, ["xquad"], base_urls={"xquad": xquad_dir.as_uri() + "/"}, sources=sources)
    assert (tmp_path / dest).read_bytes() == b"stale" and before != b"stale"


def test_article_split_is_seeded_disjoint_and_whole(data_dir):
    train, held_out = split_articles(48, 0.5, seed=3)
    assert split_articles(48, 0.5, seed=3) == (train, held_out) and split_articles(48, 0.5, seed=4) != (train, held_out)
    assert len(held_out) == 24 and sorted(train + held_out) == list(range(48)) and not set(train) & set(held_out)
    xquad = load_xquad("de", data_dir)
    part = xquad.subset(held_out)
    assert {d.metadata["article"] for d in part.paragraphs} == set(held_out)
    assert {q.paragraph_id for q in part.questions} <= {d.id for d in part.paragraphs}
    assert len(part.questions) + len(xquad.subset(train).questions) == 1190
