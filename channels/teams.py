"""Microsoft Teams through the Bot Framework, as a custom Rasa input channel.

Runs inside the Rasa venv (Python 3.10): imports only Rasa, Sanic, aiohttp and PyJWT.

Configured in credentials.yml as ``channels.teams.TeamsInput``. Every key may be left out there
and is then read from the environment, so that no secret is ever stored in the repository:

    app_id                KL_TEAMS_APP_ID                Application (client) ID of the Azure app
    app_password          KL_TEAMS_APP_PASSWORD          its client secret
    tenant_id             KL_TEAMS_TENANT_ID             directory (tenant) ID (single-tenant app)
    login_base_url        KL_TEAMS_LOGIN_URL             default https://login.microsoftonline.com
    openid_metadata_url   KL_TEAMS_OPENID_METADATA_URL   default Bot Framework OpenID metadata

Incoming activities carry a JWT from the Bot Framework; it is checked for signature (JWKS of the
OpenID metadata), issuer, audience (= app_id), expiry and the serviceUrl claim before anything
reaches the bot. Replies go to ``{serviceUrl}/v3/conversations/{id}/activities/{replyToId}`` with
a client-credentials token of the bot's single-tenant app registration.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
DEFAULT_LOGIN_BASE_URL = "https://login.microsoftonline.com"
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TOKEN_SCOPE = "https://api.botframework.com/.default"
CLOCK_SKEW_SECONDS = 300  # the Bot Framework allows five minutes of clock skew
JWKS_MAX_AGE_SECONDS = 24 * 3600
JWKS_MIN_REFRESH_SECONDS = 300
MAX_BUTTONS_PER_CARD = 6  # Teams shows at most six buttons on a hero card
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)

ENV_KEYS = {
    "app_id": "KL_TEAMS_APP_ID",
    "app_password": "KL_TEAMS_APP_PASSWORD",
    "tenant_id": "KL_TEAMS_TENANT_ID",
    "login_base_url": "KL_TEAMS_LOGIN_URL",
    "openid_metadata_url": "KL_TEAMS_OPENID_METADATA_URL",
}
MENTION = re.compile(r"<at>.*?</at>", re.DOTALL)


class AuthError(Exception):
    """An incoming request is not from the Bot Framework for this bot."""


def load_settings(credentials: dict[str, Any] | None) -> dict[str, str]:
    """Credentials from credentials.yml, missing or empty keys from the KL_TEAMS_* variables."""
    credentials = credentials or {}
    settings = {}
    for key, env in ENV_KEYS.items():
        value = credentials.get(key)
        settings[key] = str(value).strip() if value not in (None, "") else os.environ.get(env, "").strip()
    settings["login_base_url"] = (settings["login_base_url"] or DEFAULT_LOGIN_BASE_URL).rstrip("/")
    settings["openid_metadata_url"] = settings["openid_metadata_url"] or DEFAULT_OPENID_METADATA_URL
    return settings


def sender_id_for(activity: dict[str, Any]) -> str:
    """One Rasa conversation per Teams conversation and user, as an id of [A-Za-z0-9_-]."""
    conversation = (activity.get("conversation") or {}).get("id", "")
    user = activity.get("from") or {}
    user_id = user.get("aadObjectId") or user.get("id", "")
    digest = hashlib.sha256(f"{conversation}\n{user_id}".encode()).hexdigest()[:32]
    return f"teams-{digest}"


def progress_line(custom: dict[str, Any]) -> str | None:
    """'Frage 3 von 13' for the progress payload of a question, else None."""
    info = custom.get("kommunallotse") if isinstance(custom, dict) else None
    if isinstance(info, dict) and "step" in info and "total" in info:
        return f"Frage {info['step']} von {info['total']}"
    return None


def render_activities(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn Rasa's bot messages into Bot Framework activity bodies (without addressing).

    Buttons become hero-card imBack actions (several cards when there are more than six);
    the progress payload becomes the subtitle of the question's card, or a short line of its own;
    other custom payloads (such as the machine-readable result) are not shown in Teams.
    """
    activities: list[dict[str, Any]] = []
    for message in messages:
        text = message.get("text") or ""
        buttons = message.get("buttons") or []
        custom = message.get("custom")
        if buttons:
            cards = []
            for start in range(0, len(buttons), MAX_BUTTONS_PER_CARD):
                chunk = buttons[start : start + MAX_BUTTONS_PER_CARD]
                content: dict[str, Any] = {
                    "buttons": [
                        {"type": "imBack", "title": b.get("title", ""), "value": b.get("payload", "")}
                        for b in chunk
                    ]
                }
                if start == 0 and text:
                    content["text"] = text
                cards.append({"contentType": "application/vnd.microsoft.card.hero", "content": content})
            activities.append({"type": "message", "attachmentLayout": "list", "attachments": cards})
        elif text:
            activities.append({"type": "message", "textFormat": "markdown", "text": text})
        if custom is not None:
            line = progress_line(custom)
            if line is None:
                continue
            last = activities[-1] if activities else None
            if last and last.get("attachments") and "subtitle" not in last["attachments"][0]["content"]:
                last["attachments"][0]["content"]["subtitle"] = line
            else:
                activities.append({"type": "message", "textFormat": "plain", "text": line})
    return activities


class BotFrameworkClient:
    """Token handling in both directions; one per channel, with cached keys and tokens."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._jwks: dict[str, dict[str, Any]] = {}
        self._jwks_fetched = 0.0
        self._token: str | None = None
        self._token_expires = 0.0

    @property
    def configured(self) -> bool:
        return all(self.settings.get(k) for k in ("app_id", "app_password", "tenant_id"))

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=HTTP_TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # -- incoming: verify the Bot Framework's token ------------------------------------------

    async def _fetch_jwks(self) -> None:
        async with self.session().get(self.settings["openid_metadata_url"]) as resp:
            resp.raise_for_status()
            metadata = await resp.json(content_type=None)
        async with self.session().get(metadata["jwks_uri"]) as resp:
            resp.raise_for_status()
            jwks = await resp.json(content_type=None)
        self._jwks = {k["kid"]: k for k in jwks.get("keys", []) if "kid" in k}
        self._jwks_fetched = time.monotonic()

    async def _signing_key(self, kid: str) -> dict[str, Any]:
        age = time.monotonic() - self._jwks_fetched
        if (
            not self._jwks
            or age > JWKS_MAX_AGE_SECONDS
            or (kid not in self._jwks and age > JWKS_MIN_REFRESH_SECONDS)
        ):
            try:
                await self._fetch_jwks()
            except (aiohttp.ClientError, KeyError, ValueError) as exc:
                raise AuthError(f"cannot load the Bot Framework keys: {exc}") from exc
        if kid not in self._jwks:
            raise AuthError("unknown signing key")
        return self._jwks[kid]

    async def verify(self, authorization: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        """Check the bearer token of an incoming activity; the claims, or AuthError."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("no bearer token")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {exc}") from exc
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise AuthError("token not signed with RS256 and a key id")
        jwk = await self._signing_key(header["kid"])
        endorsements = jwk.get("endorsements")
        channel_id = activity.get("channelId")
        if endorsements is not None and channel_id not in endorsements:
            raise AuthError(f"signing key not endorsed for channel {channel_id!r}")
        try:
            key = jwt.PyJWK(jwk, algorithm="RS256").key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.settings["app_id"],
                issuer=BOT_FRAMEWORK_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        service_url = activity.get("serviceUrl")
        if not service_url or claims.get("serviceUrl") != service_url:
            raise AuthError("serviceUrl claim does not match the activity")
        return claims

    # -- outgoing: the bot's own token and replies --------------------------------------------

    async def access_token(self) -> str:
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        tenant = quote(self.settings["tenant_id"], safe="")
        url = f"{self.settings['login_base_url']}/{tenant}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.settings["app_id"],
            "client_secret": self.settings["app_password"],
            "scope": TOKEN_SCOPE,
        }
        async with self.session().post(url, data=form) as resp:
            if resp.status != 200:
                raise RuntimeError(f"token endpoint answered {resp.status}: {(await resp.text())[:200]}")
            body = await resp.json(content_type=None)
        self._token = body["access_token"]
        self._token_expires = time.monotonic() + max(0, int(body.get("expires_in", 3600)) - 300)
        return self._token

    async def reply(self, incoming: dict[str, Any], activity: dict[str, Any]) -> None:
        conversation = incoming["conversation"]
        body = {
            **activity,
            "from": incoming.get("recipient"),
            "recipient": incoming.get("from"),
            "conversation": conversation,
            "replyToId": incoming.get("id"),
        }
        url = (
            f"{incoming['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation['id'], safe='')}"
            f"/activities/{quote(incoming.get('id', ''), safe='')}"
        )
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {await self.access_token()}"}
            async with self.session().post(url, json=body, headers=headers) as resp:
                if resp.status == 401 and attempt == 0:  # token revoked or expired early: fetch anew
                    self._token = None
                    continue
                if resp.status >= 300:
                    text = await resp.text()
                    raise RuntimeError(f"reply to the Bot Framework failed with {resp.status}: {text[:200]}")
                return


class TeamsOutput(OutputChannel):
    """Collects the bot's messages of one turn; the input channel posts them afterwards."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "teams"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(message)


class TeamsInput(InputChannel):
    """Webhook for the Bot Framework at /webhooks/teams/webhook."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TeamsInput:
        return cls(load_settings(credentials))

    def __init__(self, settings: dict[str, str]) -> None:
        self.client = BotFrameworkClient(settings)
        if not self.client.configured:
            logger.info("Teams channel not configured (KL_TEAMS_APP_ID/-APP_PASSWORD/-TENANT_ID)")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("teams_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.client.configured})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.client.configured:
                return response.json({"error": "Teams channel not configured"}, status=503)
            try:
                activity = request.json
            except Exception:  # sanic raises its own error type for broken JSON
                activity = None
            if not isinstance(activity, dict):
                return response.json({"error": "activity expected"}, status=400)
            try:
                await self.client.verify(request.headers.get("Authorization"), activity)
            except AuthError as exc:
                logger.warning("rejected a Teams request: %s", exc)
                return response.json({"error": "unauthorized"}, status=401)
            tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
            if tenant and tenant != self.client.settings["tenant_id"]:  # single tenant: own org only
                logger.warning("rejected a Teams activity from tenant %s", tenant)
                return response.json({"error": "forbidden"}, status=403)
            if activity.get("type") != "message" or not activity.get("conversation", {}).get("id"):
                return response.empty(status=200)
            text = MENTION.sub("", activity.get("text") or "").strip()
            if not text:
                return response.empty(status=200)
            collector = TeamsOutput()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id_for(activity),
                    input_channel=self.name(),
                    metadata={"teams": {"tenant": (activity.get("channelData") or {}).get("tenant")}},
                )
            )
            try:
                for reply in render_activities(collector.messages):
                    await self.client.reply(activity, reply)
            except (aiohttp.ClientError, RuntimeError, KeyError) as exc:
                logger.error("could not deliver the reply to Teams: %s", exc)
                return response.json({"error": "reply failed"}, status=502)
            return response.empty(status=200)

        @bp.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.client.close()

        return bp
