"""Pluggable tokenizers for BM25: callables ``text -> list[str]`` with a JSON ``config()`` to rebuild them.

An index saves its tokenizer's config beside its postings, so queries after a load are cut exactly as the
documents were. ``batch(texts)`` is the bulk entry point (Kiwi analyses a batch faster than text by text).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable

import regex

# Scripts written without spaces between words: a run in one of them is cut into overlapping bigrams.
# U+30FC (katakana prolonged sound mark) is Script=Common but belongs inside katakana words.
_SPACELESS = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\u30fc]"
# One pass over the text: a spaceless run (each char with its combining marks), or an ordinary word
# (letters/digits with their marks, e.g. Hindi matras and viramas stay inside the word).
_TOKEN = regex.compile(rf"(?P<s>(?:{_SPACELESS}\p{{M}}*)+)|(?P<w>(?:(?!{_SPACELESS})[\p{{L}}\p{{N}}\p{{M}}])+)")
_HAS_SPACELESS = regex.compile(_SPACELESS)
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")  # the "w" group above, for text with no spaceless character
# A "character" of a spaceless run: a base with the marks that follow it (Thai vowels/tones stay attached).
_CLUSTER = regex.compile(r"\P{M}\p{M}*|\p{M}+")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _bigrams(run: str) -> list[str]:
    chars = _CLUSTER.findall(run)
    if len(chars) == 1:
        return chars
    return [a + b for a, b in itertools.pairwise(chars)]


class MultilingualTokenizer:
    """NFKC + casefold words for spaced scripts; overlapping character bigrams for CJK, Thai, Lao, Khmer, Myanmar.

    A language-agnostic baseline: no stemming, no dictionary, the same rules for every language
    (bigrams are the classic CJK analyser choice, e.g. Lucene's CJKBigramFilter).
    """

    name = "multilingual"

    def __init__(self, stopwords: Iterable[str] | None = None):
        self.stopwords = sorted({_normalise(w) for w in stopwords}) if stopwords else []
        self._stop = frozenset(self.stopwords)

    def __call__(self, text: str) -> list[str]:
        text = _normalise(text)
        if _HAS_SPACELESS.search(text) is None:  # fast path: no CJK/Thai, so every token is a plain word
            tokens = _WORD.findall(text)
        else:
            tokens = []
            for spaceless, word in _TOKEN.findall(text):
                tokens.extend(_bigrams(spaceless) if spaceless else (word,))
        if self._stop:
            tokens = [t for t in tokens if t not in self._stop]
        return tokens

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        return [self(text) for text in texts]

    def config(self) -> dict:
        return {"name": self.name, "stopwords": list(self.stopwords)}


class KiwiTokenizer:
    """Korean content morphemes via Kiwi (kiwipiepy): nouns, verb/adjective stems, roots, foreign words, numbers, hanja.

    Particles and endings are dropped, so 헌법은 / 헌법을 / 헌법의 all index as 헌법. The Kiwi analyser
    (seconds to start) is created on first use, once per tokenizer object.
    """

    name = "kiwi"
    DEFAULT_TAGS = ("NNG", "NNP", "NNB", "VV", "VA", "XR", "SL", "SN", "SH")

    def __init__(self, tags: Iterable[str] | None = None, model_type: str | None = None):
        self.tags = tuple(tags) if tags is not None else self.DEFAULT_TAGS
        self.model_type = model_type
        self._keep = frozenset(self.tags)
        self._kiwi = None

    @property
    def kiwi(self):
        if self._kiwi is None:
            try:
                from kiwipiepy import Kiwi
            except ImportError as error:
                raise ImportError("KiwiTokenizer needs kiwipiepy: pip install 'polyrag[korean]'") from error
            self._kiwi = Kiwi(model_type=self.model_type) if self.model_type else Kiwi()
        return self._kiwi

    def _keep_tokens(self, tokens) -> list[str]:
        # Kiwi marks regular/irregular conjugation as a suffix ("VV-R", "VA-I"): compare the base tag.
        return [t.form.lower() for t in tokens if t.tag.split("-", 1)[0] in self._keep]

    def __call__(self, text: str) -> list[str]:
        return self._keep_tokens(self.kiwi.tokenize(text))

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        texts = list(texts)
        return [self._keep_tokens(tokens) for tokens in self.kiwi.tokenize(texts)] if texts else []

    def config(self) -> dict:
        return {"name": self.name, "tags": list(self.tags), "model_type": self.model_type}


class WhitespaceTokenizer:
    """Lowercase, split on whitespace: a transparent reference for tests."""

    name = "whitespace"

    def __call__(self, text: str) -> list[str]:
        return text.lower().split()

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        return [text.lower().split() for text in texts]

    def config(self) -> dict:
        return {"name": self.name}


TOKENIZERS = {cls.name: cls for cls in (MultilingualTokenizer, KiwiTokenizer, WhitespaceTokenizer)}


def tokenizer_from_config(config: dict):
    """Rebuild a tokenizer from its ``config()``; unknown names are an error naming the known ones."""
    params = dict(config)
    name = params.pop("name", None)
    if name not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {name!r}; known: {sorted(TOKENIZERS)}")
    return TOKENIZERS[name](**params)


def get_tokenizer(name_or_config=None):
    """A tokenizer from a name, a config dict, or a tokenizer object (returned as is); None gives the default."""
    if name_or_config is None:
        return MultilingualTokenizer()
    if isinstance(name_or_config, str):
        return tokenizer_from_config({"name": name_or_config})
    if isinstance(name_or_config, dict):
        return tokenizer_from_config(name_or_config)
    if callable(name_or_config) and callable(getattr(name_or_config, "config", None)):
        return name_or_config
    raise TypeError(f"expected a tokenizer name, config dict or tokenizer object, got {type(name_or_config).__name__}")


def tokenize_batch(tokenizer, texts: Iterable[str]) -> list[list[str]]:
    """Tokenize many texts, through ``tokenizer.batch`` where it has one."""
    batch = getattr(tokenizer, "batch", None)
    return batch(texts) if batch is not None else [tokenizer(text) for text in texts]
