"""Tokenizers: words keep their combining marks, spaceless scripts become bigrams, configs rebuild the same cut."""

from __future__ import annotations

import pytest

from indexes.tokenizers import (
    KiwiTokenizer,
    MultilingualTokenizer,
    WhitespaceTokenizer,
    get_tokenizer,
    tokenize_batch,
    tokenizer_from_config,
)


@pytest.fixture(scope="module")
def tok():
    return MultilingualTokenizer()


def test_hindi_words_keep_their_matras_and_viramas(tok):
    assert tok("हिन्दी भाषा का इतिहास।") == ["हिन्दी", "भाषा", "का", "इतिहास"]


def test_thai_becomes_bigrams_with_marks_attached(tok):
    # ที่ is a base letter with two marks (vowel + tone): one "character", never split from its base.
    assert tok("ที่สวย") == ["ที่ส", "สว", "วย"]
    assert tok("ไทย") == ["ไท", "ทย"]


def test_chinese_and_japanese_become_overlapping_bigrams(tok):
    assert tok("中文分词") == ["中文", "文分", "分词"]
    assert tok("東京タワー 2019年") == ["東京", "京タ", "タワ", "ワー", "2019", "年"]  # a lone character stays
    assert tok("a中b") == ["a", "中", "b"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello, WORLD! Straße-Café", ["hello", "world", "strasse", "café"]),
    ("Привет, МИР!", ["привет", "мир"]),
    ("Ελληνικά: ΓΛΏΣΣΑ.", ["ελληνικά", "γλώσσα"]),
    ("مرحبا بالعالم، اللغة العربية؟", ["مرحبا", "بالعالم", "اللغة", "العربية"]),
    ("ｆｕｌｌ－ｗｉｄｔｈ ①", ["full", "width", "1"]),  # NFKC folds compatibility forms
])
def test_spaced_scripts_split_on_spaces_and_punctuation_and_casefold(tok, text, expected):
    assert tok(text) == expected


def test_stopwords_are_normalised_and_dropped():
    tok = MultilingualTokenizer(stopwords=["The", "OF"])
    assert tok("The history of Rome") == ["history", "rome"]
    assert tokenizer_from_config(tok.config())("The history of Rome") == ["history", "rome"]


def test_whitespace_tokenizer_is_lowercase_split():
    assert WhitespaceTokenizer()("Foo  BAR, baz") == ["foo", "bar,", "baz"]


@pytest.mark.parametrize("tokenizer", [MultilingualTokenizer(), MultilingualTokenizer(stopwords=["a"]),
                                       WhitespaceTokenizer(), KiwiTokenizer(model_type="knlm")])
def test_config_round_trip(tokenizer):
    config = tokenizer.config()
    assert config["name"] == tokenizer.name
    rebuilt = tokenizer_from_config(config)
    assert type(rebuilt) is type(tokenizer) and rebuilt.config() == config
    assert get_tokenizer(config).config() == config
    assert get_tokenizer(tokenizer) is tokenizer


def test_get_tokenizer_by_name_and_errors():
    assert isinstance(get_tokenizer(None), MultilingualTokenizer)
    assert isinstance(get_tokenizer("whitespace"), WhitespaceTokenizer)
    with pytest.raises(ValueError, match="nope"):
        get_tokenizer("nope")
    with pytest.raises(TypeError):
        get_tokenizer(42)


def test_tokenize_batch_matches_single_calls(tok):
    texts = ["Hello world", "中文分词", ""]
    assert tokenize_batch(tok, texts) == [tok(t) for t in texts]
    assert tokenize_batch(lambda text: text.split(), texts) == [["Hello", "world"], ["中文分词"], []]


@pytest.mark.slow
def test_kiwi_keeps_korean_content_morphemes():
    kiwi = KiwiTokenizer()
    # particles (의, 은, 을) and endings (ㄴ다, 었다) go; nouns, stems, Latin and numbers stay.
    assert kiwi("대한민국의 헌법은 국민의 기본권을 보장한다.") == ["대한민국", "헌법", "국민", "기본", "보장"]
    assert kiwi("AI 기술이 3배 빨라졌다") == ["ai", "기술", "3", "배", "빠르"]
    assert kiwi.batch(["헌법은", "헌법을 지킨다"]) == [["헌법"], ["헌법", "지키"]]
    assert kiwi.batch([]) == []


def test_fast_path_equals_the_full_pattern_on_every_xquad_language(data_dir):
    """Text without CJK/Thai takes a one-regex fast path; it must cut exactly as the full pattern does."""
    from indexes import tokenizers
    from retrieval.datasets import load_xquad_parallel

    def full_pattern(text):
        tokens = []
        for match in tokenizers._TOKEN.finditer(tokenizers._normalise(text)):
            word = match.group("w")
            tokens.extend([word] if word is not None else tokenizers._bigrams(match.group("s")))
        return tokens

    tokenizer = MultilingualTokenizer()
    for xquad in load_xquad_parallel(data_dir=data_dir).values():
        for text in [q.question for q in xquad.questions[:200]] + [d.text for d in xquad.paragraphs[:20]]:
            assert tokenizer(text) == full_pattern(text), text
