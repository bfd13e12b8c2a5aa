"""Language and sentiment of inbox items, English and Indonesian (issue 14).

Pure functions: nothing here imports another app or touches the database. Models and lexicons
load once, lazily, under a lock, on the first call; ``analyse_many`` is the ingest fast path.
"""

from inbox.nlp.analysis import Analysis, analyse, analyse_many

__all__ = ["Analysis", "analyse", "analyse_many"]
