"""The assessment as a conversation, over REST with the real servers: several answers at once,
a correction, a question in the middle, and a pause across a restart of Rasa."""

import uuid

import pytest

from tests.integration.stack import asked_question, start_rasa, stop, texts

pytestmark = pytest.mark.integration


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_several_answers_in_one_message(stack, stored):
    sender = new_sender("multi")
    stack.send(sender, "Hallo")
    reply = stack.send(sender, "wir sind eine Stadt mit 48.000 Einwohnern in Hessen")
    assert any("48.000" in t and "Hessen" in t for t in texts(reply))  # the bot says what it noted
    assert asked_question(reply) == "ziele_top3"  # and does not ask again what it knows
    assert stored(sender)["answers"] == {"kommune_art": "stadt", "einwohner": 48000, "bundesland": "HE"}


def test_correction_in_the_middle_of_the_check(stack, stored):
    sender = new_sender("correct")
    stack.send(sender, "Kurzcheck starten")
    stack.send(sender, "Gemeinde")
    stack.send(sender, "12.000")
    reply = stack.send(sender, "Moment, die Einwohnerzahl ist falsch, es sind 9.500")
    assert any("9.500" in t for t in texts(reply))
    assert asked_question(reply) == "bundesland"
    assert stored(sender)["answers"]["einwohner"] == 9500


def test_question_in_the_middle_then_back_to_the_open_question(stack, stored):
    sender = new_sender("ask")
    stack.send(sender, "Kurzcheck starten")
    stack.send(sender, "Landkreis")
    reply = stack.send(sender, "Warum fragen Sie das?")
    assert any("Einwohner" in t for t in texts(reply))
    assert asked_question(reply) == "einwohner"
    reply = stack.send(sender, "Was bedeutet eigentlich FIM?")
    answer = " ".join(texts(reply))
    assert "Informationsmanagement" in answer and "Quelle" in answer
    assert asked_question(reply) == "einwohner"
    assert asked_question(stack.send(sender, "ca. 150.000")) == "bundesland"
    assert stored(sender)["answers"] == {"kommune_art": "landkreis", "einwohner": 150000}


def test_pause_survives_a_restart_of_rasa(stack, stored):
    sender = new_sender("pause")
    stack.send(sender, "Kurzcheck starten")
    stack.send(sender, "Stadt in Bayern")
    stack.send(sender, "20 Tsd.")
    reply = stack.send(sender, "Ich muss leider aufhören, Pause")
    assert any("Pause" in t for t in texts(reply))

    stop(stack.procs["rasa"])
    start_rasa(stack)

    reply = stack.send(sender, "Guten Tag")
    assert any("Es fehlen noch 10 Fragen" in t for t in texts(reply))
    reply = stack.send(sender, "weiter")
    assert asked_question(reply) == "ziele_top3"
    assert stored(sender)["answers"] == {"kommune_art": "stadt", "bundesland": "BY", "einwohner": 20000}
