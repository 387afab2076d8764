"""Several answers in one message, answers out of turn, corrections, navigation helpers."""

from bot.dialogue import interpret_message, missing_count, next_question, previous_question
from bot.extraction import extract
from bot.followups import contact_in, declines, result_followup


def test_three_answers_in_one_sentence():
    ext = extract("wir sind eine Stadt mit 48.000 Einwohnern in Hessen", "kommune_art", {})
    assert ext.open_answer.value == "stadt"
    assert ext.filled == {"einwohner": 48000, "bundesland": "HE"}


def test_answers_before_any_question():
    ext = extract("Wir sind ein Landkreis in NRW, knapp 300.000 Einwohner, Strategie in Arbeit", None, {})
    assert ext.filled == {
        "kommune_art": "landkreis",
        "einwohner": 300000,
        "bundesland": "NW",
        "strategie_status": "in_entwicklung",
    }


def test_correction_needs_a_correction_word():
    known = {"strategie_status": "keine", "einwohner": 48000}
    assert extract("Moment, wir haben doch schon eine Strategie", "projekte", known).corrected == {
        "strategie_status": ("keine", "vorhanden")
    }
    assert extract("die Einwohnerzahl ist falsch, es sind 9.500", "fim", known).corrected == {
        "einwohner": (48000, 9500)
    }
    # a remark in passing does not overwrite an earlier answer
    passing = extract(
        "ein paar Ideen, aber noch keine Strategie", "projekte", {"strategie_status": "geplant"}
    )
    assert passing.corrected == {} and passing.open_answer.value == "ideen"


def test_generic_words_do_not_answer_other_questions():
    ext = extract("ja", "lotsen", {})
    assert ext.open_answer.value == "ja" and ext.filled == {}
    assert extract("viele", "ozg_stand", {}).filled == {}


def test_only_other_answers_keep_the_question_open():
    turn = interpret_message("ziele_top3", "wir sind übrigens in Bayern", "inform", 0.9, 0, {})
    assert turn.outcome == "others"
    assert turn.slot_updates() == {"bundesland": "BY"}


def test_navigation():
    slots = {"kommune_art": "stadt", "einwohner": 9000}
    assert next_question(slots, "kurz") == "bundesland"
    assert previous_question(slots, "bundesland", "kurz") == "einwohner"
    assert previous_question(slots, "kommune_art", "kurz") is None
    assert missing_count(slots, "kurz") == 11
    assert missing_count(slots, "voll") == 23


def test_contact_is_taken_only_when_given():
    assert contact_in("gern: erika.muster@musterstadt.de") == "erika.muster@musterstadt.de"
    assert contact_in("Telefon 0711 123456") == "0711 123456"
    assert contact_in("nein danke") is None
    assert declines("nein, lieber nicht")


def test_recommendation_followup_by_number():
    stored = {
        "recommendations": [
            {"id": "a", "title": "Erste", "reason": "r1", "knowledge_ids": ["fim"]},
            {"id": "b", "title": "Zweite", "reason": "r2", "knowledge_ids": ["efa"]},
        ]
    }
    [message] = result_followup("ask_recommendation", "Mehr zur zweiten Empfehlung", {}, stored)
    assert message["title"] == "Zweite" and message["sources"]
    [which] = result_followup("ask_recommendation", "mehr zu den Empfehlungen", {}, stored)
    assert which["response"] == "utter_which_recommendation" and len(which["buttons"]) == 2
    [who] = result_followup("ask_who_helps", "Wer hilft uns in Sachsen?", {}, stored)
    assert who["land"] == "Sachsen" and "Digital-Lotsen Sachsen" in who["items"]


def test_answers_to_one_question_rarely_fill_another():
    """Out-of-turn answers must be rare false alarms: at most 1 % on the dev answers."""
    from pathlib import Path

    import yaml

    items = yaml.safe_load((Path(__file__).parents[1] / "data" / "answers_dev.yml").read_text())
    spurious = [it for it in items if extract(it["text"], it["question_id"], {}).filled]
    assert len(spurious) <= len(items) // 100, spurious
