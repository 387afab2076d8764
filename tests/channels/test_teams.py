"""Microsoft Teams: activities signed by a Bot Framework stand-in reach the bot, replies go back
with the bot's own client-credentials token; badly signed requests never reach the bot."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest

from tests.channels.botframework_standin import BotFrameworkStandIn, new_key
from tests.integration.test_short_check import CONVERSATION

pytestmark = pytest.mark.channels

HERO = "application/vnd.microsoft.card.hero"


def teams_sender(conversation_id: str, user_id: str) -> str:
    """The Rasa sender id the channel derives (channels.teams.sender_id_for)."""
    digest = hashlib.sha256(f"{conversation_id}\naad-{user_id}".encode()).hexdigest()[:32]
    return f"teams-{digest}"


def post(stack, activity: dict[str, Any], token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{stack.rasa_url}/webhooks/teams/webhook", json=activity, headers=headers, timeout=90)


def say(stack, bf: BotFrameworkStandIn, conversation_id: str, text: str) -> list[dict[str, Any]]:
    """Send one user message like Teams does; the activities the bot posted in reply."""
    activity = bf.activity(text, conversation_id=conversation_id)
    before = len(bf.replies)
    response = post(stack, activity, bf.activity_token())
    assert response.status_code == 200, response.text
    replies = bf.replies[before:]
    assert replies, f"no reply to {text!r}"
    for reply in replies:
        assert reply["reply_to"] == activity["id"]
        assert reply["conversation_id"] == conversation_id
        assert reply["activity"]["replyToId"] == activity["id"]
        assert reply["activity"]["recipient"]["id"] == activity["from"]["id"]
    return [r["activity"] for r in replies]


def cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a["content"] for act in activities for a in act.get("attachments", []) if a["contentType"] == HERO
    ]


def all_text(activities: list[dict[str, Any]]) -> str:
    parts = [a.get("text", "") for a in activities]
    parts += [c.get("text", "") + " " + c.get("subtitle", "") for c in cards(activities)]
    return "\n".join(parts)


def test_short_check_through_the_bot_framework(channel_stack, botframework, stored):
    bf = botframework
    conversation_id = f"a:conv-{uuid.uuid4().hex}"
    greeting = say(channel_stack, bf, conversation_id, "Guten Tag")
    assert "speichere" in all_text(greeting)
    reply = say(channel_stack, bf, conversation_id, "ja, gerne")
    answered = {}
    for step, (question, answer, value) in enumerate(CONVERSATION[:6], start=1):
        question_cards = cards(reply)
        assert question_cards, (question, reply)
        first = question_cards[0]
        assert first.get("subtitle") == f"Frage {step} von 13", first
        buttons = [b for c in question_cards for b in c["buttons"]]
        assert buttons and all(b["type"] == "imBack" and b["value"] for b in buttons)
        assert all(len(c["buttons"]) <= 6 for c in question_cards)
        assert "kommunallotse" not in str(reply), "the progress payload is not shown raw"
        if step == 1:  # click a button: imBack sends its payload as the user's text
            choice = next(b for b in buttons if "Gemeinde" in b["title"])
            reply = say(channel_stack, bf, conversation_id, choice["value"])
        else:
            reply = say(channel_stack, bf, conversation_id, answer)
        answered[question] = value
    assessment = stored(teams_sender(conversation_id, "29:user-1"))
    assert assessment is not None
    assert assessment["channel"] == "teams"
    assert {q: assessment["answers"].get(q) for q in answered} == answered
    assert bf.token_requests >= 1 and bf.rejected_replies == 0


def bad_tokens(bf: BotFrameworkStandIn) -> dict[str, str | None]:
    return {
        "missing": None,
        "unsigned": bf.activity_token().rsplit(".", 1)[0] + ".",
        "garbage": "not-a-jwt",
        "wrong key": bf.activity_token(key=new_key()),
        "wrong audience": bf.activity_token(audience="99999999-0000-0000-0000-000000000000"),
        "expired": bf.activity_token(lifetime=-3600),
        "wrong issuer": bf.activity_token(issuer="https://evil.example"),
        "other serviceUrl": bf.activity_token(service_url="https://evil.example/teams/"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "unsigned",
        "garbage",
        "wrong key",
        "wrong audience",
        "expired",
        "wrong issuer",
        "other serviceUrl",
    ],
)
def test_bad_tokens_are_rejected_and_never_reach_the_bot(channel_stack, botframework, case):
    bf = botframework
    conversation_id = f"a:bad-{uuid.uuid4().hex}"
    before = len(bf.replies)
    response = post(
        channel_stack, bf.activity("Guten Tag", conversation_id=conversation_id), bad_tokens(bf)[case]
    )
    assert response.status_code == 401
    assert len(bf.replies) == before
    events = channel_stack.tracker_events(teams_sender(conversation_id, "29:user-1"))
    assert not [e for e in events if e["event"] == "user"]


def test_unsigned_token_with_alg_none_is_rejected(channel_stack, botframework):
    import jwt

    bf = botframework
    token = jwt.encode(
        {"iss": "https://api.botframework.com", "aud": bf.app_id, "serviceUrl": bf.service_url},
        None,
        algorithm="none",
    )
    response = post(channel_stack, bf.activity("Hallo", conversation_id="a:none"), token)
    assert response.status_code == 401


def test_activity_from_another_tenant_is_refused(channel_stack, botframework):
    bf = botframework
    conversation_id = f"a:other-{uuid.uuid4().hex}"
    activity = bf.activity("Guten Tag", conversation_id=conversation_id)
    activity["channelData"]["tenant"]["id"] = "another-tenant"
    before = len(bf.replies)
    assert post(channel_stack, activity, bf.activity_token()).status_code == 403
    assert len(bf.replies) == before
    events = channel_stack.tracker_events(teams_sender(conversation_id, "29:user-1"))
    assert not [e for e in events if e["event"] == "user"]
