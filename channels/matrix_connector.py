"""Matrix connector: a process of its own that bridges a Matrix account to Rasa's REST channel.

Runs in the core venv (Python 3.11, matrix-nio); start with ``python -m channels.matrix_connector``.
Configuration from the environment:

    KL_MATRIX_HOMESERVER     e.g. https://matrix.kommune.example (required)
    KL_MATRIX_USER           the bot's Matrix ID, e.g. @kommunallotse:kommune.example (required)
    KL_MATRIX_PASSWORD       its password, or instead
    KL_MATRIX_ACCESS_TOKEN   an access token (then KL_MATRIX_DEVICE_ID is recommended)
    KL_MATRIX_DEVICE_NAME    device name shown in the account's sessions (default Kommunallotse)
    KL_RASA_URL              Rasa server, default http://127.0.0.1:5005

The bot joins every room it is invited to. It answers every message in direct chats (rooms with
two members); in larger rooms it answers messages in threads and messages that mention it, and it
replies in the thread. Buttons become numbered options; "2" (or "1, 3" where several answers are
allowed) sends the payload of that option. One Rasa conversation per room and user.
Encrypted rooms are not supported (no end-to-end encryption keys are kept).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import signal
from dataclasses import dataclass, field
from typing import Any

import httpx
from nio import (
    AsyncClient,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomMessageText,
    WhoamiResponse,
)

logger = logging.getLogger("kommunallotse.matrix")

NUMBERS = re.compile(r"^\s*\d{1,2}\s*[).]?\s*((,|;|und|\s)\s*\d{1,2}\s*[).]?\s*)*$")
KEYCAPS = {f"{n}\ufe0f\u20e3": n for n in range(1, 10)}  # reactions 1️⃣ … 9️⃣ pick an option
OPTIONS_HINT = "Antworten Sie mit der Nummer oder in eigenen Worten."


def sender_id(room_id: str, user_id: str) -> str:
    """Rasa sender id for one room and user, within the pattern [A-Za-z0-9_-]."""
    return "matrix-" + hashlib.sha256(f"{room_id}\n{user_id}".encode()).hexdigest()[:32]


def progress_line(custom: Any) -> str | None:
    info = custom.get("kommunallotse") if isinstance(custom, dict) else None
    if isinstance(info, dict) and "step" in info and "total" in info:
        return f"Frage {info['step']} von {info['total']}"
    return None


def render(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Rasa's messages as Matrix message bodies, and the buttons of the last question.

    Buttons become numbered options below the text; the progress payload becomes a short
    line "Frage 3 von 13" above the question; other custom payloads are not shown.
    """
    bodies: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in messages:
        text = message.get("text") or ""
        if message.get("buttons"):
            buttons = message["buttons"]
            options = "\n".join(f"{i}) {b.get('title', '')}" for i, b in enumerate(buttons, start=1))
            bodies.append(f"{text}\n\n{options}\n\n{OPTIONS_HINT}".strip())
        elif text:
            bodies.append(text)
        line = progress_line(message.get("custom"))
        if line and bodies:
            bodies[-1] = f"{line}\n{bodies[-1]}"
        elif line:
            bodies.append(line)
    return bodies, buttons


def choose(text: str, buttons: list[dict[str, Any]]) -> str:
    """The payload(s) for a numbered reply, or the text unchanged."""
    if not buttons or not NUMBERS.match(text):
        return text
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if not all(1 <= n <= len(buttons) for n in numbers):
        return text
    return ", ".join(str(buttons[n - 1].get("payload", "")) for n in dict.fromkeys(numbers))


@dataclass
class Settings:
    homeserver: str
    user: str
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    device_name: str = "Kommunallotse"
    rasa_url: str = "http://127.0.0.1:5005"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        homeserver, user = env.get("KL_MATRIX_HOMESERVER", ""), env.get("KL_MATRIX_USER", "")
        if not homeserver or not user:
            raise SystemExit("KL_MATRIX_HOMESERVER und KL_MATRIX_USER müssen gesetzt sein.")
        password, token = env.get("KL_MATRIX_PASSWORD", ""), env.get("KL_MATRIX_ACCESS_TOKEN", "")
        if not password and not token:
            raise SystemExit("Bitte KL_MATRIX_PASSWORD oder KL_MATRIX_ACCESS_TOKEN setzen.")
        return cls(
            homeserver=homeserver.rstrip("/"),
            user=user,
            password=password,
            access_token=token,
            device_id=env.get("KL_MATRIX_DEVICE_ID", ""),
            device_name=env.get("KL_MATRIX_DEVICE_NAME", "Kommunallotse"),
            rasa_url=env.get("KL_RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        )


@dataclass
class Connector:
    settings: Settings
    client: AsyncClient = field(init=False)
    http: httpx.AsyncClient = field(init=False)
    # last buttons per Rasa sender, and the event id of the message that showed them
    buttons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    options_event: dict[str, tuple[str, str]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    warned_encrypted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.client = AsyncClient(self.settings.homeserver, self.settings.user)
        self.http = httpx.AsyncClient(timeout=120)

    async def login(self) -> None:
        if self.settings.access_token:
            self.client.access_token = self.settings.access_token
            whoami = await self.client.whoami()
            if not isinstance(whoami, WhoamiResponse):
                raise SystemExit(f"Zugangstoken ungültig: {whoami}")
            self.client.user_id = whoami.user_id
            self.client.device_id = self.settings.device_id or whoami.device_id or ""
        else:
            response = await self.client.login(self.settings.password, device_name=self.settings.device_name)
            if not isinstance(response, LoginResponse):
                raise SystemExit(f"Anmeldung bei Matrix fehlgeschlagen: {response}")
        logger.info("logged in as %s", self.client.user_id)

    # -- events ---------------------------------------------------------------------------------

    async def on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            await self.client.join(room.room_id)
            logger.info("joined %s", room.room_id)

    def _thread_root(self, event_source: dict[str, Any]) -> str | None:
        relates = (event_source.get("content") or {}).get("m.relates_to") or {}
        return relates.get("event_id") if relates.get("rel_type") == "m.thread" else None

    def _mentions_me(self, room: MatrixRoom, source: dict[str, Any], body: str) -> bool:
        mentions = (source.get("content") or {}).get("m.mentions") or {}
        if self.client.user_id in (mentions.get("user_ids") or []):
            return True
        names = {self.client.user_id, room.user_name(self.client.user_id) or ""}
        return any(name and name.lower() in body.lower() for name in names)

    async def on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == self.client.user_id:
            return
        source = event.source or {}
        thread = self._thread_root(source)
        direct = room.member_count <= 2
        if not direct and not thread and not self._mentions_me(room, source, event.body):
            return
        if not direct and not thread:
            thread = event.event_id  # start a thread at the message that mentioned the bot
        text = event.body
        if room.user_name(self.client.user_id):  # drop "Kommunallotse: " in front of the text
            text = re.sub(rf"^\s*{re.escape(room.user_name(self.client.user_id))}\s*:?\s*", "", text)
        await self.handle(room.room_id, event.sender, text, thread, event.event_id)

    async def on_encrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if room.room_id not in self.warned_encrypted:
            self.warned_encrypted.add(room.room_id)
            logger.warning(
                "room %s is encrypted; the bot cannot read it (use an unencrypted room)", room.room_id
            )

    async def on_reaction(self, room: MatrixRoom, event: ReactionEvent) -> None:
        """Reactions 1️⃣ … 9️⃣ on the message with the options pick that option."""
        if event.sender == self.client.user_id:
            return
        number = KEYCAPS.get(event.key)
        sender = sender_id(room.room_id, event.sender)
        shown = self.options_event.get(sender)
        if number is None or not shown or event.reacts_to != shown[0]:
            return
        await self.handle(room.room_id, event.sender, str(number), shown[1] or None, event.event_id)

    # -- talking to Rasa ------------------------------------------------------------------------

    async def handle(self, room_id: str, user_id: str, text: str, thread: str | None, event_id: str) -> None:
        sender = sender_id(room_id, user_id)
        async with self.locks.setdefault(sender, asyncio.Lock()):
            message = choose(text, self.buttons.get(sender, []))
            await self.client.room_typing(room_id, True, timeout=30000)
            try:
                response = await self.http.post(
                    f"{self.settings.rasa_url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": message},
                )
                response.raise_for_status()
                bodies, buttons = render(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                logger.error("Rasa did not answer: %s", exc)
                bodies, buttons = (
                    ["Entschuldigung, ich bin gerade nicht erreichbar. Bitte später erneut."],
                    [],
                )
            finally:
                await self.client.room_typing(room_id, False)
            if buttons or message != text:
                self.buttons[sender] = buttons
            for i, body in enumerate(bodies):
                content: dict[str, Any] = {"msgtype": "m.text", "body": body}
                if thread:
                    content["m.relates_to"] = {
                        "rel_type": "m.thread",
                        "event_id": thread,
                        "is_falling_back": True,
                        "m.in_reply_to": {"event_id": event_id},
                    }
                sent = await self.client.room_send(room_id, "m.room.message", content)
                if buttons and i == len(bodies) - 1 and getattr(sent, "event_id", None):
                    self.options_event[sender] = (sent.event_id, thread or "")

    # -- main loop ------------------------------------------------------------------------------

    async def run(self) -> None:
        await self.login()
        # Skip what happened while the bot was away; join the invitations that are waiting.
        await self.client.sync(timeout=0, full_state=True)
        for room_id in list(self.client.invited_rooms):
            await self.client.join(room_id)
        self.client.add_event_callback(self.on_invite, InviteMemberEvent)
        self.client.add_event_callback(self.on_message, RoomMessageText)
        self.client.add_event_callback(self.on_reaction, ReactionEvent)
        self.client.add_event_callback(self.on_encrypted, MegolmEvent)
        logger.info("listening for messages")
        await self.client.sync_forever(timeout=30000)

    async def close(self) -> None:
        await self.client.close()
        await self.http.aclose()


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    connector = Connector(Settings.from_env())
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(connector.run())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await connector.close()


if __name__ == "__main__":
    asyncio.run(main())
