"""The form validation and question actions on tracker fixtures."""

import asyncio

from actions.assessment import ASK_ACTIONS, ValidateAssessmentForm
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
    events = run(ValidateAssessmentForm(), dispatcher, tracker)
    assert slot_events(events) == {
        "einwohner": 12000,
        "unclear_count": 0.0,
        "requested_slot": "bundesland",  # the next open question of the short check
    }
    stored = store.get_assessment("test-sender")
    assert stored["answers"] == {"kommune_art": "gemeinde", "einwohner": 12000}
    assert stored["completed_at"] is None


def test_unclear_answer_is_asked_again_with_a_hint(temp_db, dispatcher):
    tracker = make_tracker("vielleicht", "bundesland")
    events = run(ValidateAssessmentForm(), dispatcher, tracker)
    assert slot_events(events) == {
        "bundesland": None,
        "unclear_count": 1.0,
        "requested_slot": "bundesland",
    }
    message = dispatcher.messages[0]
    assert message["response"] == "utter_answer_unclear"
    assert "Bundesland" in message["hint"] or "Land" in message["hint"]


def test_second_failure_explains_why(temp_db, dispatcher):
    tracker = make_tracker("hm", "fim", {"unclear_count": 1.0})
    events = run(ValidateAssessmentForm(), dispatcher, tracker)
    assert slot_events(events)["unclear_count"] == 2.0
    assert dispatcher.messages[0]["response"] == "utter_answer_unclear_again"
    assert dispatcher.messages[0]["why"]


def test_dont_know_skips_the_question(temp_db, dispatcher):
    events = run(ValidateAssessmentForm(), dispatcher, make_tracker("keine Ahnung", "fim"))
    assert slot_events(events)["fim"] == "weiss_nicht"
    assert store.get_assessment("test-sender")["answers"] == {"fim": None}


def test_privacy_question_interrupts_instead_of_failing(temp_db, dispatcher):
    tracker = make_tracker("Was speichern Sie über mich?", "fim", intent="ask_privacy", confidence=0.95)
    assert run(ValidateAssessmentForm(), dispatcher, tracker) == []
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


def test_several_answers_in_one_message_are_noted(temp_db, dispatcher):
    tracker = make_tracker("wir sind eine Stadt mit 48.000 Einwohnern in Hessen", "kommune_art")
    events = slot_events(run(ValidateAssessmentForm(), dispatcher, tracker))
    assert (events["kommune_art"], events["einwohner"], events["bundesland"]) == ("stadt", 48000, "HE")
    assert events["requested_slot"] == "ziele_top3"
    assert dispatcher.messages[0]["response"] == "utter_noted"
    assert "48.000" in dispatcher.messages[0]["items"]


def test_correction_of_an_earlier_answer_keeps_the_open_question(temp_db, dispatcher):
    slots = {"kommune_art": "stadt", "einwohner": 48000, "bundesland": "HE"}
    tracker = make_tracker("die Einwohnerzahl ist falsch, es sind 9.500", "ziele_top3", slots)
    events = slot_events(run(ValidateAssessmentForm(), dispatcher, tracker))
    assert events["einwohner"] == 9500
    assert events["ziele_top3"] is None and events["requested_slot"] == "ziele_top3"
    assert dispatcher.messages[0]["response"] == "utter_corrected"
    assert store.get_assessment("test-sender")["answers"]["einwohner"] == 9500


def test_full_mode_asks_the_remaining_questions(temp_db, dispatcher):
    slots = {**SMALL_CAUTIOUS, "check_mode": "voll"}
    slots.pop("projekte")
    tracker = make_tracker("Mehrere laufen", "projekte", slots)
    events = slot_events(run(ValidateAssessmentForm(), dispatcher, tracker))
    assert events["projekte"] == "mehrere_laufend"
    assert events["requested_slot"] == "kommune_name"  # first question beyond the short check


def test_start_over_needs_a_clear_yes(temp_db, dispatcher):
    from actions.conversation import ActionResetCheck

    slots = {"kommune_art": "stadt", "einwohner": 48000}
    unclear = run(ActionResetCheck(), dispatcher, make_tracker("¢ð§È÷¹Èð", None, slots, intent="affirm"))
    assert unclear == [] and dispatcher.messages[-1]["response"] == "utter_not_restarted"
    events = slot_events(
        run(ActionResetCheck(), dispatcher, make_tracker("ja", None, slots, intent="affirm"))
    )
    assert events["kommune_art"] is None and events["einwohner"] is None
