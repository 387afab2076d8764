"""German lemmas from the blank spaCy pipeline's lookup table (built at setup in models/).

Only the lookup table is used: a blank pipeline has no statistical parts, and reading the
table directly avoids running a pipeline per token. Loaded lazily, once per process.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from bot.textnorm import fold

DEFAULT_PIPELINE = Path(__file__).resolve().parent.parent / "models" / "spacy-de"


@cache
def _table():
    path = Path(os.environ.get("KL_SPACY_MODEL", DEFAULT_PIPELINE))
    try:
        import spacy

        nlp = spacy.load(path)
        return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except (OSError, KeyError, ValueError, ImportError):
        # Without the pipeline (fresh checkout before setup) matching still works on
        # inflection suffixes; lemmas only add irregular forms such as "Städte".
        return None


def lemma(word: str) -> str:
    """Folded lemma of a lower-case word with umlauts (German nouns are looked up capitalised)."""
    table = _table()
    found = table.get(word) or table.get(word.capitalize()) if table else None
    return fold(found or word)


def known_form(word: str) -> bool:
    """Is the lower-case word an inflected form the lookup table knows ("Sensoren", "verwendet")?

    Such a word is spelled right, so it is not a typo of a similar synonym ("Senioren").
    The table lists inflected forms only, so a known base form still returns False.
    """
    table = _table()
    return bool(table) and (word in table or word.capitalize() in table)
