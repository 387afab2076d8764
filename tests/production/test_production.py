"""The production layout: state shared by two Rasa instances (PostgreSQL tracker store, Redis
lock store), and faults with nothing lost (action server, Rasa instance, PostgreSQL, web app).

Each test counts the user events in the tracker and the stored answers before and after.
"""

from __future__ import annotations

import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.stack import asked_question, texts
from tests.integration.test_short_check import CONVERSATION

pytestmark = pytest.mark.production

EXPECTED = {q: value for q, _, value in CONVERSATION}


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def start_check(prod, sender, via="nginx", upto=0):
    """Greeting, consent and the first `upto` answers; returns the last reply."""
    prod.send(via, sender, "Guten Tag")
    reply = prod.send(via, sender, "ja, gerne")
    for question, answer, _ in CONVERSATION[:upto]:
        assert asked_question(reply) == question, (question, reply)
        reply = prod.send(via, sender, answer)
    return reply


def chat_until_answered(prod, sender, text, attempts=4):
    """Send through the web app; on a German error message the user simply sends again."""
    for _ in range(attempts):
        response = prod.chat(sender, text)
        messages = response.json()
        assert messages and all(m.get("text") or m.get("custom") for m in messages), messages
        if response.status_code == 200:
            return messages
        assert "noch einmal" in messages[0]["text"], messages
    raise AssertionError(f"no answer to {text!r} after {attempts} attempts")


def test_turns_alternating_between_instances_keep_the_state(prod):
    sender = new_sender("ab")
    prod.send(0, sender, "Guten Tag")
    reply = prod.send(1, sender, "ja, gerne")
    for n, (question, answer, _) in enumerate(CONVERSATION):
        assert asked_question(reply) == question, (n, question, reply)
        if n + 1 < len(CONVERSATION):
            progress = [m["custom"]["kommunallotse"] for m in reply if m.get("custom")][-1]
            assert progress["step"] == n + 1 and progress["total"] == 13
        reply = prod.send(n % 2, sender, answer)
    assert "Ihre Phase" in "\n".join(texts(reply))
    assert prod.answers(sender) == EXPECTED
    assert prod.stored(sender)["completed_at"] is not None
    assert len(prod.user_texts(sender)) == 2 + len(CONVERSATION)


def test_concurrent_messages_of_one_sender_are_processed_in_order(prod):
    sender = new_sender("lock")
    start_check(prod, sender, upto=0)
    questions = [
        "Was bedeutet FIM?",
        "Was bedeutet OZG?",
        "Warum fragen Sie das?",
        "Was ist die BundID?",
        "Was speichern Sie?",
    ]
    before = len(prod.user_texts(sender))
    with ThreadPoolExecutor(len(questions)) as pool:
        replies = list(pool.map(lambda iq: prod.send(iq[0] % 2, sender, iq[1]), enumerate(questions)))
    assert all(texts(r) for r in replies), replies
    events = prod.events(sender)
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == before + len(questions)
    assert sorted(e["text"] for e in users[before:]) == sorted(questions)
    # with the lock store a turn completes before the next starts: between two user messages
    # (and after the last) there is at least one bot message
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    for i, kind in enumerate(kinds):
        if kind == "user":
            assert i + 1 < len(kinds) and kinds[i + 1] == "bot", kinds


def test_action_server_down_gives_a_german_message_and_loses_nothing(prod):
    layout = prod.layout
    sender = new_sender("act")
    reply = start_check(prod, sender, upto=3)
    assert asked_question(reply) == "ziele_top3"
    stored_before, users_before = prod.answers(sender), len(prod.user_texts(sender))
    for i in range(len(layout.ports.actions)):
        layout.kill(f"actions{i}", signal.SIGKILL)
    try:
        response = prod.chat(sender, CONVERSATION[3][1])
        messages = response.json()
        assert response.status_code == 503 and len(messages) == 1, messages
        assert "noch einmal" in messages[0]["text"] and "Antworten bleiben erhalten" in messages[0]["text"]
        assert prod.answers(sender) == stored_before
    finally:
        for i in range(len(layout.ports.actions)):
            layout.start_action_server(i)
    # the user sends the answer again; the assessment continues where it was
    messages = chat_until_answered(prod, sender, CONVERSATION[3][1])
    assert asked_question(messages) == "handlungsfelder_top3", messages
    assert prod.answers(sender) == {**stored_before, "ziele_top3": CONVERSATION[3][2]}
    assert len(prod.user_texts(sender)) == users_before + 2


def test_postgresql_restart_loses_nothing(prod):
    sender = new_sender("pg")
    start_check(prod, sender, upto=4)
    stored_before, users_before = prod.answers(sender), len(prod.user_texts(sender))
    assert len(stored_before) == 4
    prod.layout.restart_postgres()
    messages = chat_until_answered(prod, sender, CONVERSATION[4][1])
    assert asked_question(messages) == "strategie_status", messages
    messages = chat_until_answered(prod, sender, CONVERSATION[5][1])
    assert asked_question(messages) == "steuerung", messages
    assert prod.answers(sender) == {q: EXPECTED[q] for q, _, _ in CONVERSATION[:6]}
    assert len(prod.user_texts(sender)) >= users_before + 2


def test_web_app_restart_continues_the_conversation(prod):
    sender = new_sender("web")
    start_check(prod, sender, upto=2)
    stored_before = prod.answers(sender)
    prod.layout.kill("web")
    prod.layout.start_web()
    messages = chat_until_answered(prod, sender, CONVERSATION[2][1])
    assert asked_question(messages) == "ziele_top3", messages
    assert prod.answers(sender) == {**stored_before, "bundesland": "BW"}


def test_killed_rasa_instance_the_other_one_continues(prod):
    """Last: the killed instance is not restarted (that would take 40 s)."""
    sender = new_sender("kill")
    start_check(prod, sender, upto=2)
    stored_before, users_before = prod.answers(sender), len(prod.user_texts(sender))
    prod.layout.kill("rasa0", signal.SIGKILL)
    reply = None
    for n, (_, answer, _) in enumerate(CONVERSATION[2:6], start=2):
        reply = prod.send("nginx", sender, answer)
        assert asked_question(reply) == CONVERSATION[n + 1][0], reply
    assert prod.answers(sender) == {
        **stored_before, **{q: EXPECTED[q] for q, _, _ in CONVERSATION[2:6]}
    }
    assert len(prod.user_texts(sender)) == users_before + 4
