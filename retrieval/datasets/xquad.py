"""XQuAD (Artetxe et al., ACL 2020): 240 paragraphs, 1,190 questions, parallel in 12 languages.

Paragraph ids (``xquad-AApP``: article, paragraph) and question ids are the same in every
language, so a paragraph's translations share an id; pooled corpora qualify it by language.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from ..types import Document, Qrels, Query
from .paths import data_file

XQUAD_LANGUAGES = ("en", "ar", "de", "el", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


@dataclass(frozen=True)
class QAPair:
    id: str
    question: str
    answers: tuple[str, ...]
    paragraph_id: str
    article: int
    language: str


@dataclass
class XQuAD:
    language: str
    titles: list[str]  # one per article
    paragraphs: list[Document]
    questions: list[QAPair]

    def queries(self) -> list[Query]:
        return [Query(q.id, q.question, language=self.language) for q in self.questions]

    def qrels(self) -> Qrels:
        return Qrels.from_pairs((q.id, q.paragraph_id) for q in self.questions)

    def subset(self, articles) -> XQuAD:
        """The paragraphs and questions of some articles only (titles kept whole: they index by article)."""
        keep = set(articles)
        return XQuAD(self.language, self.titles, [d for d in self.paragraphs if d.metadata["article"] in keep],
                     [q for q in self.questions if q.article in keep])


def paragraph_id(article: int, paragraph: int) -> str:
    return f"xquad-{article:02d}p{paragraph}"


def load_xquad(language: str, data_dir: str | Path | None = None) -> XQuAD:
    if language not in XQUAD_LANGUAGES:
        raise ValueError(f"XQuAD has no language {language!r}; it has {', '.join(XQUAD_LANGUAGES)}")
    path = data_file(f"xquad/xquad.{language}.json", data_dir)
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a SQuAD-format file ({err})") from None
    titles, paragraphs, questions = [], [], []
    for a, article in enumerate(articles):
        titles.append(article["title"])
        for p, para in enumerate(article["paragraphs"]):
            pid = paragraph_id(a, p)
            paragraphs.append(Document(pid, para["context"], title=article["title"], language=language,
                                       metadata={"article": a}))
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(ans["text"] for ans in qa["answers"]))
                questions.append(QAPair(qa["id"], qa["question"], answers, pid, a, language))
    return XQuAD(language, titles, paragraphs, questions)


def load_xquad_parallel(languages=XQUAD_LANGUAGES, data_dir: str | Path | None = None) -> dict[str, XQuAD]:
    """Load several languages and check they are parallel: same paragraphs, same questions, same order."""
    loaded = {lang: load_xquad(lang, data_dir) for lang in languages}
    first = next(iter(loaded.values()))
    for lang, xq in loaded.items():
        if [d.id for d in xq.paragraphs] != [d.id for d in first.paragraphs] or \
                [(q.id, q.paragraph_id) for q in xq.questions] != [(q.id, q.paragraph_id) for q in first.questions]:
            raise ValueError(f"XQuAD {lang} is not parallel to {first.language}: paragraph or question ids differ")
    return loaded


def split_articles(n_articles: int = 48, eval_fraction: float = 0.5, seed: int = 0) -> tuple[list[int], list[int]]:
    """A seeded split of XQuAD's articles into (train, eval), so no evaluated paragraph, nor any paragraph of
    its article, is trained on. Every training method of the project splits with this one function."""
    if not 0 < eval_fraction < 1:
        raise ValueError(f"eval_fraction must lie strictly between 0 and 1, not {eval_fraction}")
    order = list(range(n_articles))
    random.Random(seed).shuffle(order)
    n_eval = max(1, round(n_articles * eval_fraction))
    return sorted(order[n_eval:]), sorted(order[:n_eval])
