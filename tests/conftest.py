"""Shared fixtures: tiny models built from a config once per session (seconds, no download)."""

from __future__ import annotations

import pytest

from retrieval.datasets import data_root

WORDS = [
    "the", "a", "of", "in", "is", "was", "what", "who", "where", "when", "capital", "city",
    "country", "river", "king", "queen", "war", "year", "oslo", "norway", "paris", "france", "seoul", "korea",
    "law", "article", "court", "music", "film", "science", "water", "fire",
]


@pytest.fixture
def one_torch_thread():
    """Tiny models gain nothing from threads, and on a busy machine extra threads spin (15 s instead of 3 s)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def data_dir():
    """The project data (``$POLYRAG_DATA`` or ./data, linked by ``make data``)."""
    return data_root()


def _word_tokenizer():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[
        ("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


@pytest.fixture(scope="session")
def tiny_bi_encoder_dir(tmp_path_factory):
    """A 2-layer BERT with mean pooling, saved as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-bi-encoder")
    tokenizer = _word_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(root / "hf")
    tokenizer.save_pretrained(root / "hf")
    transformer = models.Transformer(str(root / "hf"), max_seq_length=32)
    pooling = models.Pooling(32, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(root / "st"))
    return root / "st"


@pytest.fixture(scope="session")
def tiny_causal_lm_dir(tmp_path_factory):
    """A 2-layer Llama with a chat template, for generator mechanics (batching, padding)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-causal-lm")
    tokenizer = _word_tokenizer()
    tokenizer.eos_token = "[SEP]"
    tokenizer.chat_template = ("{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}"
                               "{% if add_generation_prompt %}assistant{% endif %}")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root
