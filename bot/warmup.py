"""Load the advisor's data and models once, before a server takes its first request.

Indexes, the type model and the data files load lazily on first use. Measured with
bench/long_conversation.py, the first knowledge question after a start took about 1 s and the
first result about 1.8 s. Servers call `warm_up()` while they start, so no user waits for it.
"""

from __future__ import annotations

import time

from bot import advisor, extraction, knowledge, presenter


def warm_up() -> float:
    """Run parsing, knowledge search and one evaluation; return the seconds it took."""
    start = time.perf_counter()
    extraction.extract("Wir sind eine Gemeinde mit 8.500 Einwohnern in Bayern", "kommune_art", {})
    knowledge.ask("Was bedeutet FIM?")
    presenter.result_messages(advisor.evaluate({}))  # no answers still runs every step
    return time.perf_counter() - start
