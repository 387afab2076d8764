"""A municipal user completes the short check over the REST channel, in free German text."""

import uuid

import pytest

from bot.models import TYPE_IDS
from tests.integration.stack import asked_question, texts

pytestmark = pytest.mark.integration

# (question the bot should be asking, what the user types, the value that must be stored)
CONVERSATION = [
    ("kommune_art", "wir sind eine kleine Gemeinde", "gemeinde"),
    ("einwohner", "so um die 12 Tsd.", 12000),
    ("bundesland", "Ba-Wü", "BW"),
    (
        "ziele_top3",
        "vor allem OZG-Pflichten erfüllen und Fördermittel",
        ["rechtliche_vorgaben", "foerdermittel"],
    ),
    (
        "handlungsfelder_top3",
        "Verwaltung und digitale Infrastruktur",
        ["verwaltung", "digitale_infrastruktur"],
    ),
    ("strategie_status", "haben wir noch keine", "keine"),
    ("steuerung", "das macht bei uns die IT", ["it"]),
    ("basiskomponenten", "E-Payment und die BundID, sonst nichts", ["e_payment", "servicekonto"]),
    ("ozg_stand", "erst ein paar wenige", "einzelne"),
    ("fim", "keine Ahnung", None),
    ("wissen", "eher gering", "gering"),
    ("lotsen", "nein, noch nicht", "nein"),
    ("projekte", "ein paar Ideen gibt es", "ideen"),
]


def test_short_check_in_free_text(stack, stored):
    sender = f"it-{uuid.uuid4().hex[:8]}"
    greeting = texts(stack.send(sender, "Guten Tag"))
    assert any("speichere" in t for t in greeting), "the bot says what it stores"
    reply = stack.send(sender, "ja, gerne")
    for question, answer, _ in CONVERSATION:
        assert asked_question(reply) == question, (question, reply)
        reply = stack.send(sender, answer)
    result_text = "\n".join(texts(reply))
    assert "Typ" in result_text and "%" in result_text
    assert "Ihre Phase" in result_text
    assert "Reifegrad" in result_text
    assert "Empfehlungen" in result_text
    assert "Föderales Informationsmanagement" in result_text  # named as not judged

    assessment = stored(sender)
    assert assessment is not None and assessment["completed_at"] is not None
    assert assessment["answers"] == {q: value for q, _, value in CONVERSATION}
    assert assessment["typ"] in TYPE_IDS
    assert abs(sum(assessment["typ_scores"].values()) - 1) < 0.01
    assert assessment["phase"] in ("orientierung", "start")
    assert len(assessment["recommendations"]) == 3
    assert assessment["channel"] == "rest"


BAD_INPUTS = [
    "",
    "Digitalisierung " * 625,  # 10,000 characters
    "😀🎉👍",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "'; DROP TABLE assessments; --",
    "asdfghjkl",
]


def test_bad_input_gets_a_friendly_answer_and_loses_nothing(stack, stored):
    sender = f"bad-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "Kurzcheck starten")
    stack.send(sender, "Stadt")
    reply = stack.send(sender, "48.000")
    assert asked_question(reply) == "bundesland"
    for bad in BAD_INPUTS:
        reply = stack.send(sender, bad)
        answer = " ".join(texts(reply))
        assert answer, f"no answer to {bad[:30]!r}"
        assert any(w in answer for w in ("Bitte", "bitte", "leider", "Bundesland")), answer
        assert "<script>" not in answer and "DROP TABLE" not in answer
        assert asked_question(reply) == "bundesland", f"form lost after {bad[:30]!r}"
        assert stored(sender)["answers"] == {"kommune_art": "stadt", "einwohner": 48000}
    reply = stack.send(sender, "Hessen")
    assert asked_question(reply) == "ziele_top3"
    progress = [m["custom"]["kommunallotse"] for m in reply if m.get("custom")][-1]
    assert progress["step"] == 4 and progress["total"] == 13
    assert stored(sender)["answers"]["bundesland"] == "HE"
