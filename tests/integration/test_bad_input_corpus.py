"""More than 200 hostile or broken messages against the live stack in the middle of a check:
no server error, a German answer to each, nothing stored that should not be, and the check
goes on afterwards; fast repeats of one sender are all answered. The same checks run through
nginx, two Rasa instances and PostgreSQL in tests/production/test_bad_input_production.py."""

import uuid

import pytest

from tests.integration.bad_inputs import check_corpus_mid_assessment, check_fast_repeats

pytestmark = pytest.mark.integration


def _answers(stored):
    return lambda sender: (stored(sender) or {}).get("answers", {})


def test_bad_input_corpus_against_the_live_stack(stack, stored):
    check_corpus_mid_assessment(stack.send, _answers(stored), f"corpus-{uuid.uuid4().hex[:8]}")


def test_fast_repeats_of_one_sender_are_all_answered(stack, stored):
    check_fast_repeats(
        stack.send,
        _answers(stored),
        lambda sender: sum(e["event"] == "user" for e in stack.tracker_events(sender)),
        f"repeat-{uuid.uuid4().hex[:8]}",
    )
