"""The bad-input corpus and fast repeats through the production layout: nginx in front of two
Rasa instances, PostgreSQL tracker store and advisor data, Redis lock store. Fast repeats of one
sender land on both instances at once; the lock store must keep every one of them."""

import uuid

import pytest

from tests.integration.bad_inputs import check_corpus_mid_assessment, check_fast_repeats

pytestmark = pytest.mark.production


def _send(prod):
    return lambda sender, text: prod.send("nginx", sender, text)


def test_bad_input_corpus_through_nginx_and_postgresql(prod):
    check_corpus_mid_assessment(_send(prod), prod.answers, f"pcorpus-{uuid.uuid4().hex[:8]}")


def test_fast_repeats_spread_over_both_instances_are_all_kept(prod):
    check_fast_repeats(
        _send(prod),
        prod.answers,
        lambda sender: sum(e["event"] == "user" for e in prod.events(sender)),
        f"prepeat-{uuid.uuid4().hex[:8]}",
        repeats=20,
    )
