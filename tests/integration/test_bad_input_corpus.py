"""More than 200 hostile or broken messages against the live stack in the middle of a check:
no server error, a German answer to each, nothing stored that should not be, and the check
goes on afterwards; fast repeats of one sender are all answered."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.bad_inputs import corpus
from tests.integration.stack import asked_question, texts

pytestmark = pytest.mark.integration

GERMAN = ("Sie", "Ich", "ich", "bitte", "Bitte", "leider", "nicht", "Frage", "Bundesland", "Gern")


def test_bad_input_corpus_against_the_live_stack(stack, stored):
    items = corpus()
    assert len(items) >= 200
    sender = f"corpus-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "Kurzcheck starten")
    stack.send(sender, "Stadt")
    assert asked_question(stack.send(sender, "48.000")) == "bundesland"
    before = stored(sender)["answers"]
    failures = []
    for category, message in items:
        reply = stack.send(sender, message)  # raises on any 4xx/5xx
        answer = " ".join(texts(reply))
        if not answer or not any(word in answer for word in GERMAN):
            failures.append((category, message[:40], answer[:80]))
        if "<script" in answer or "DROP TABLE" in answer:
            failures.append((category, message[:40], "echoed markup"))
    assert not failures, failures[:10]
    assert stored(sender)["answers"] == before  # nothing from the corpus was stored as an answer
    # whatever state the corpus left (a question asked back, a paused check), the answer counts
    reply = stack.send(sender, "Hessen")
    assert asked_question(reply) == "ziele_top3"
    assert stored(sender)["answers"] == {**before, "bundesland": "HE"}


def test_fast_repeats_of_one_sender_are_all_answered(stack, stored):
    sender = f"repeat-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "Kurzcheck starten")
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda _: stack.send(sender, "asdf"), range(10)))
    assert all(texts(r) for r in replies)
    assert asked_question(stack.send(sender, "Gemeinde")) == "einwohner"
    assert stored(sender)["answers"] == {"kommune_art": "gemeinde"}
    user_events = [e for e in stack.tracker_events(sender) if e["event"] == "user"]
    assert len(user_events) == 12  # start, ten repeats, the answer: none lost
