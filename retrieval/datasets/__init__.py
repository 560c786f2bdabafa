"""Dataset loaders: XQuAD, the Korean statutes; data found through one setting (see ``paths``)."""

from .korean_law import Statute, load_korean_statutes, statute_articles
from .paths import DATA_ENV, DataNotFoundError, data_file, data_root
from .xquad import XQUAD_LANGUAGES, QAPair, XQuAD, load_xquad, load_xquad_parallel, split_articles

__all__ = ["DATA_ENV", "XQUAD_LANGUAGES", "DataNotFoundError", "QAPair", "Statute", "XQuAD", "data_file",
           "data_root", "load_korean_statutes", "load_xquad", "load_xquad_parallel", "split_articles",
           "statute_articles"]
