"""Deleting a conversation removes the transcript from Rasa's tracker store and the assessment."""

import uuid

import pytest

from bot import conversations, store
from tests.integration.stack import asked_question

pytestmark = pytest.mark.integration


def test_forget_removes_events_and_assessment(stack):
    sender = f"forget-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "Kurzcheck starten")
    assert asked_question(stack.send(sender, "Landkreis")) == "einwohner"
    tracker_db = conversations.tracker_engine(stack.tracker_db_url)
    advisor_db = store.get_engine(stack.database_url)

    turns = conversations.transcript(sender, engine=tracker_db)
    assert [t["text"] for t in turns if t["role"] == "nutzer"] == ["Kurzcheck starten", "Landkreis"]
    assert store.get_assessment(sender, engine=advisor_db)["answers"] == {"kommune_art": "landkreis"}

    deleted = conversations.forget(sender, tracker=tracker_db, advisor=advisor_db)
    assert deleted["events"] > 0 and deleted["assessments"] == 1
    assert conversations.transcript(sender, engine=tracker_db) == []
    assert store.get_assessment(sender, engine=advisor_db) is None
    assert not [e for e in stack.tracker_events(sender) if e["event"] == "user"]
    # the next message starts from scratch, nothing of the old answers is left
    reply = stack.send(sender, "Kurzcheck starten")
    assert asked_question(reply) == "kommune_art"
