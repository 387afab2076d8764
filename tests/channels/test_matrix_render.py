"""How the Matrix connector shows buttons and reads numbered replies (no servers needed)."""

import pytest

pytestmark = pytest.mark.channels
connector = pytest.importorskip("channels.matrix_connector")

BUTTONS = [{"title": "Gemeinde", "payload": "Gemeinde"}, {"title": "Stadt", "payload": "Stadt"}]


def test_buttons_become_numbered_options_with_progress_line():
    bodies, buttons = connector.render(
        [
            {"text": "Sind Sie eine Gemeinde oder eine Stadt?", "buttons": BUTTONS},
            {"custom": {"kommunallotse": {"question_id": "kommune_art", "step": 1, "total": 13}}},
            {"custom": {"kommunallotse": {"result": {"typ": "x"}}}},
        ]
    )
    assert bodies == [
        "Frage 1 von 13\nSind Sie eine Gemeinde oder eine Stadt?\n\n1) Gemeinde\n2) Stadt\n\n"
        + connector.OPTIONS_HINT
    ]
    assert buttons == BUTTONS


@pytest.mark.parametrize(
    ("reply", "sent"),
    [
        ("2", "Stadt"),
        ("2)", "Stadt"),
        ("1, 2", "Gemeinde, Stadt"),
        ("3", "3"),
        ("12000", "12000"),
        ("eine Stadt", "eine Stadt"),
    ],
)
def test_numbered_reply_sends_the_payload(reply, sent):
    assert connector.choose(reply, BUTTONS) == sent


def test_sender_id_fits_the_pattern_and_separates_rooms_and_users():
    a = connector.sender_id("!room:example.org", "@erika:example.org")
    assert a.startswith("matrix-") and a.replace("-", "").isalnum()
    assert a != connector.sender_id("!other:example.org", "@erika:example.org")
    assert a != connector.sender_id("!room:example.org", "@max:example.org")
