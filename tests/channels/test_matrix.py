"""Matrix end to end: a real Synapse on loopback, the connector process, and a real Matrix user
(matrix-nio) who invites the bot and goes through the short check, with numbered options,
a reaction and a question in a thread."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.channels.synapse import SERVER_NAME, running_synapse, synapse_python
from tests.integration.stack import ROOT, stop
from tests.integration.test_short_check import CONVERSATION

pytestmark = pytest.mark.channels

nio = pytest.importorskip("nio")
if synapse_python() is None:
    pytest.skip("Synapse-Umgebung fehlt (.venv-matrix); `make setup` legt sie an", allow_module_level=True)

TURN_SECONDS = 90


def matrix_sender(room_id: str, user_id: str) -> str:
    """The Rasa sender id of the connector (channels.matrix_connector.sender_id)."""
    return "matrix-" + hashlib.sha256(f"{room_id}\n{user_id}".encode()).hexdigest()[:32]


@pytest.fixture(scope="module")
def homeserver(tmp_path_factory):
    with running_synapse(tmp_path_factory.mktemp("synapse")) as hs:
        yield hs


@pytest.fixture(scope="module")
def connector(homeserver, channel_stack, tmp_path_factory):
    bot_id = homeserver.register("kommunallotse", "bot-password-for-tests")
    log_path = tmp_path_factory.mktemp("connector") / "connector.log"
    env = {
        **channel_stack.env,
        "KL_MATRIX_HOMESERVER": homeserver.url,
        "KL_MATRIX_USER": bot_id,
        "KL_MATRIX_PASSWORD": "bot-password-for-tests",
        "KL_RASA_URL": channel_stack.rasa_url,
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "channels.matrix_connector"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    deadline = time.monotonic() + 60
    while "listening for messages" not in log_path.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)
    yield bot_id
    stop(proc)


class User:
    """A real Matrix account talking to the bot in one room."""

    def __init__(self, client: Any, bot_id: str) -> None:
        self.client, self.bot_id = client, bot_id
        self.room_id = ""
        self.from_bot: list[Any] = []
        client.add_event_callback(self._collect, nio.RoomMessageText)

    async def _collect(self, room: Any, event: Any) -> None:
        if event.sender == self.bot_id and room.room_id == self.room_id:
            self.from_bot.append(event)

    async def wait(self, done: Callable[[list[Any]], bool], start: int, what: str) -> list[Any]:
        deadline = time.monotonic() + TURN_SECONDS
        while time.monotonic() < deadline:
            new = self.from_bot[start:]
            if done(new):
                return new
            await self.client.sync(timeout=1000)
        raise AssertionError(f"no answer for {what}: {[e.body for e in self.from_bot[start:]]}")

    async def say(self, text: str, done: Callable[[list[Any]], bool], thread: str | None = None) -> list[Any]:
        start = len(self.from_bot)
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if thread:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread}
        sent = await self.client.room_send(self.room_id, "m.room.message", content)
        self.last_event_id = sent.event_id
        return await self.wait(done, start, text)


def asks(step: int) -> Callable[[list[Any]], bool]:
    return lambda events: any(f"Frage {step} von 13" in e.body for e in events)


def option_number(body: str, title: str) -> str:
    match = re.search(rf"^(\d+)\) {re.escape(title)}$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


async def chat(hs_url: str, user_id: str, bot_id: str) -> tuple[str, list[str]]:
    client = nio.AsyncClient(hs_url, user_id)
    try:
        assert isinstance(await client.login("erika-password"), nio.LoginResponse)
        user = User(client, bot_id)
        created = await client.room_create(
            is_direct=True, invite=[bot_id], preset=nio.RoomPreset.trusted_private_chat
        )
        user.room_id = created.room_id
        await client.sync(timeout=0, full_state=True)
        deadline = time.monotonic() + 60
        while True:  # the connector joins on the invitation
            members = await client.joined_members(user.room_id)
            if bot_id in [m.user_id for m in members.members]:
                break
            assert time.monotonic() < deadline, "the bot did not join"
            await asyncio.sleep(0.3)

        greeting = await user.say("Guten Tag", lambda ev: any("speichere" in e.body for e in ev))
        first_event = user.last_event_id
        assert greeting
        reply = await user.say("ja, gerne", asks(1))
        bodies: list[str] = []
        for step, (_question, answer, _value) in enumerate(CONVERSATION[:5], start=1):
            question = next(e for e in reply if f"Frage {step} von 13" in e.body)
            assert "1) " in question.body and "2) " in question.body, question.body
            bodies.append(question.body)
            if step == 1:  # a numbered reply picks that option
                answer = option_number(question.body, "Gemeinde")
            reply = await user.say(answer, asks(step + 1))

        # a question in a thread is answered in that thread
        start = len(user.from_bot)
        await user.say("Warum fragen Sie das?", lambda ev: len(ev) > 0, thread=first_event)
        settle = time.monotonic() + 3
        while time.monotonic() < settle:  # collect the rest of this turn
            await client.sync(timeout=500)
        in_thread = user.from_bot[start:]
        relation = in_thread[0].source["content"].get("m.relates_to", {})
        assert relation.get("rel_type") == "m.thread" and relation.get("event_id") == first_event

        # a reaction 1️⃣… on the options picks that option
        options = next(e for e in reversed(user.from_bot) if "1) " in e.body)
        bodies.append(options.body)
        start = len(user.from_bot)
        await client.room_send(
            user.room_id,
            "m.reaction",
            {
                "m.relates_to": {
                    "rel_type": "m.annotation",
                    "event_id": options.event_id,
                    "key": "1\ufe0f\u20e3",
                }
            },
        )
        await user.wait(lambda ev: len(ev) > 0, start, "reaction")
        return user.room_id, bodies
    finally:
        await client.close()


def test_short_check_in_a_matrix_direct_chat(homeserver, connector, stored):
    user_id = homeserver.register("erika", "erika-password")
    assert user_id == f"@erika:{SERVER_NAME}"
    room_id, bodies = asyncio.run(chat(homeserver.url, user_id, connector))
    assessment = stored(matrix_sender(room_id, user_id))
    assert assessment is not None
    expected = {q: v for q, _, v in CONVERSATION[:5]}
    assert {q: assessment["answers"].get(q) for q in expected} == expected
    assert "Frage 1 von 13" in bodies[0]
    assert "strategie_status" in assessment["answers"]  # answered by the reaction 1️⃣
