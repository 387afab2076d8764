"""The form validation and question actions on tracker fixtures."""

import asyncio

from actions.assessment import ASK_ACTIONS, ValidateKurzcheckForm
from actions.result import ActionShowResult
from bot import store
from tests.actions.conftest import make_tracker
from tests.unit.test_advisor import SMALL_CAUTIOUS

DOMAIN: dict = {}


def run(action, dispatcher, tracker):
    return asyncio.run(action.run(dispatcher, tracker, DOMAIN))


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_free_text_answer_fills_the_slot_and_is_stored(temp_db, dispatcher):
    tracker = make_tracker("so um die 12 Tsd.", "einwohner", {"kommune_art": "gemeinde"})
    events = run(ValidateKurzcheckForm(), dispatcher, tracker)
    assert slot_events(events) == {"einwohner": 12000, "unclear_count": 0.0}
    stored = store.get_assessment("test-sender")
    assert stored["answers"] == {"kommune_art": "gemeinde", "einwohner": 12000}
    assert stored["completed_at"] is None


def test_unclear_answer_is_asked_again_with_a_hint(temp_db, dispatcher):
    tracker = make_tracker("vielleicht", "bundesland")
    events = run(ValidateKurzcheckForm(), dispatcher, tracker)
    assert slot_events(events) == {"bundesland": None, "unclear_count": 1.0}
    message = dispatcher.messages[0]
    assert message["response"] == "utter_answer_unclear"
    assert "Bundesland" in message["hint"] or "Land" in message["hint"]


def test_second_failure_explains_why(temp_db, dispatcher):
    tracker = make_tracker("hm", "fim", {"unclear_count": 1.0})
    events = run(ValidateKurzcheckForm(), dispatcher, tracker)
    assert slot_events(events)["unclear_count"] == 2.0
    assert dispatcher.messages[0]["response"] == "utter_answer_unclear_again"
    assert dispatcher.messages[0]["why"]


def test_dont_know_skips_the_question(temp_db, dispatcher):
    events = run(ValidateKurzcheckForm(), dispatcher, make_tracker("keine Ahnung", "fim"))
    assert slot_events(events)["fim"] == "weiss_nicht"
    assert store.get_assessment("test-sender")["answers"] == {"fim": None}


def test_privacy_question_interrupts_instead_of_failing(temp_db, dispatcher):
    tracker = make_tracker(
        "Was speichern Sie über mich?", "fim", intent="ask_privacy", confidence=0.95
    )
    assert run(ValidateKurzcheckForm(), dispatcher, tracker) == []
    assert dispatcher.messages == []


def test_question_comes_with_buttons_and_progress(dispatcher):
    ask = next(a for a in ASK_ACTIONS if a.question_id == "bundesland")()
    tracker = make_tracker("", None, {"kommune_art": "stadt", "einwohner": 48000})
    run(ask, dispatcher, tracker)
    message = dispatcher.messages[0]
    assert "Bundesland" in message["text"]
    assert {"title": "Hessen", "payload": "Hessen"} in message["buttons"]
    progress = message["custom"]["kommunallotse"]
    assert progress["question_id"] == "bundesland"
    assert (progress["step"], progress["total"]) == (3, 13)


def test_result_is_told_and_stored(temp_db, dispatcher):
    slots = dict(SMALL_CAUTIOUS, fim="weiss_nicht")
    run(ActionShowResult(), dispatcher, make_tracker("", None, slots))
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert any("Typ" in t and "%" in t for t in texts)
    assert any(t.startswith("Ihre Phase") for t in texts)
    assert any("Föderales Informationsmanagement" in t for t in texts)  # named as not judged
    stored = store.get_assessment("test-sender")
    assert stored["completed_at"] is not None
    assert stored["answers"]["fim"] is None
    assert len(stored["recommendations"]) == 3
