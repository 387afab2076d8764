"""Comparison with published figures, with similar municipalities, and with the last result."""

from bot import comparison, store
from bot.advisor import evaluate
from tests.unit.test_advisor import SMALL_CAUTIOUS


def test_published_figures_are_cited_for_the_answers():
    lines = comparison.published_comparison(SMALL_CAUTIOUS)
    assert any("29 %" in line for line in lines)  # FIM
    assert any("14 %" in line for line in lines)  # strategy
    assert comparison.published_comparison({}) == []


def test_peers_only_from_five_similar_municipalities(temp_db):
    result = evaluate(SMALL_CAUTIOUS)
    for n in range(4):
        store.save_result(f"peer-{n}", "rest", SMALL_CAUTIOUS, result)
    store.save_result("big-city", "rest", {**SMALL_CAUTIOUS, "einwohner": 500000}, result)
    assert comparison.peer_comparison(SMALL_CAUTIOUS, result, "me") == []  # four similar only
    store.save_result("peer-4", "rest", SMALL_CAUTIOUS, result)
    lines = comparison.peer_comparison(SMALL_CAUTIOUS, result, "me")
    assert lines[0].startswith("Im Vergleich mit 5 ähnlichen Kommunen")
    assert any("Median" in line for line in lines[1:])


def test_a_returning_municipality_sees_what_changed(temp_db):
    first_answers = {**SMALL_CAUTIOUS, "kommune_name": "Musterhausen"}
    store.save_result("first-visit", "rest", first_answers, evaluate(first_answers))
    later = {**first_answers, "strategie_status": "vorhanden", "projekte": "mehrere_laufend"}
    previous = comparison.previous_result("second-visit", later)
    assert previous is not None and previous["sender_id"] == "first-visit"
    lines = comparison.changes_since(previous, evaluate(later))
    assert lines[0].startswith("Seit Ihrer letzten Einschätzung")
    assert any("Phase" in line and "Umsetzung" in line for line in lines)
    assert any("Strategie und Steuerung" in line and "+" in line for line in lines)
    # another municipality of the same Land is not mistaken for it
    assert comparison.previous_result("x", {**later, "kommune_name": "Anderswo"}) is None
