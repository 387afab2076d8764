"""Load the advisor's data and models once, before a server takes its first request.

Indexes, the type model and the data files load lazily on first use. Measured with
bench/long_conversation.py, the first knowledge question after a start took about 1 s and the
first result about 1.8 s. Servers call `warm_up()` while they start, so no user waits for it.
"""

from __future__ import annotations

import time

from bot import advisor, extraction, knowledge, presenter

# A plausible short check; only used to run every step of an evaluation once.
_SAMPLE_ANSWERS = {
    "kommune_art": "gemeinde",
    "einwohner": 6000,
    "bundesland": "BY",
    "ziele_top3": ["rechtliche_vorgaben", "foerdermittel"],
    "handlungsfelder_top3": ["verwaltung", "digitale_infrastruktur"],
    "strategie_status": "keine",
    "steuerung": ["it"],
    "basiskomponenten": ["e_payment"],
    "ozg_stand": "einzelne",
    "fim": "unbekannt",
    "wissen": "gering",
    "lotsen": "nein",
    "projekte": "keine",
}


def warm_up() -> float:
    """Run parsing, knowledge search and one evaluation; return the seconds it took."""
    start = time.perf_counter()
    extraction.extract("Wir sind eine Gemeinde mit 8.500 Einwohnern in Bayern", "kommune_art", {})
    knowledge.ask("Was bedeutet FIM?")
    presenter.result_messages(advisor.evaluate(_SAMPLE_ANSWERS))
    return time.perf_counter() - start
