"""Korean statutes (Markdown with YAML front matter), one Document per article (``##### 제N조``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..types import Document
from .paths import data_file

ARTICLE = re.compile(r"^##### (제\d+조(?:의\d+)?)\s*(?:\((.*)\))?\s*$")
ANY_HEADING = re.compile(r"^#{1,5} ")


@dataclass
class Statute:
    law_id: str
    title: str
    kind: str  # 법령구분: 법률 or 헌법
    path: Path
    front_matter: dict
    articles: list[Document]


def parse_statute(path: Path) -> Statute:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise ValueError(f"{path}: no YAML front matter between '---' lines")
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head)
        law_id, title, kind = str(meta["법령ID"]), meta["제목"], meta["법령구분"]
    except (yaml.YAMLError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: bad front matter ({err})") from None
    articles: list[Document] = []
    label, heading, lines = None, "", []

    def flush():
        if label is not None:
            articles.append(Document(f"{law_id}:{len(articles)}", "\n".join(lines).strip(),
                                     title=f"{title} {label}" + (f" ({heading})" if heading else ""),
                                     language="ko", metadata={"law": title, "article": label, "heading": heading}))

    for line in body.splitlines():
        match = ARTICLE.match(line)
        if match or ANY_HEADING.match(line):
            flush()
            label, heading, lines = (match.group(1), match.group(2) or "", []) if match else (None, "", [])
        elif label is not None and line.strip():
            lines.append(line.strip())
    flush()
    return Statute(law_id, title, kind, path, meta, articles)


def load_korean_statutes(data_dir: str | Path | None = None) -> list[Statute]:
    root = data_file("korean-law/statutes/kr", data_dir)
    return [parse_statute(path) for path in sorted(root.glob("*/*.md"))]


def statute_articles(data_dir: str | Path | None = None) -> list[Document]:
    return [article for statute in load_korean_statutes(data_dir) for article in statute.articles]
