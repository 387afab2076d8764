"""A local stand-in for the Bot Framework service, Azure AD's token endpoint included.

Serves the OpenID metadata and the JWKS of a freshly generated RSA key, signs the tokens of
incoming activities with that key (RS256, like the Bot Framework), issues client-credentials
tokens to the bot, and receives the bot's replies, accepting only the tokens it issued.
Runs with uvicorn in a thread on 127.0.0.1.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Header, HTTPException, Request
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
CHANNEL_ID = "msteams"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class BotFrameworkStandIn:
    app_id: str
    app_password: str
    tenant_id: str
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    aad_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    replies: list[dict[str, Any]] = field(default_factory=list)
    rejected_replies: int = 0
    token_requests: int = 0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/teams/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    # -- tokens ---------------------------------------------------------------------------------

    def activity_token(
        self,
        *,
        audience: str | None = None,
        lifetime: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        service_url: str | None = None,
        issuer: str = ISSUER,
    ) -> str:
        """A token like the Bot Framework sends with an activity (changeable for negative tests)."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceUrl": service_url or self.service_url,
            "nbf": now - 60 if lifetime > 0 else now + lifetime - 3600,
            "iat": now - 60 if lifetime > 0 else now + lifetime - 3600,
            "exp": now + lifetime,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def _bot_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0",
            "aud": "https://api.botframework.com",
            "appid": self.app_id,
            "tid": self.tenant_id,
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self.aad_key, algorithm="RS256")

    def _check_bot_token(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "no bearer token")
        try:
            claims = jwt.decode(
                authorization[7:],
                self.aad_key.public_key(),
                algorithms=["RS256"],
                audience="https://api.botframework.com",
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(401, f"bad token: {exc}") from exc
        if claims.get("appid") != self.app_id or claims.get("tid") != self.tenant_id:
            raise HTTPException(401, "token of another app")

    # -- activities -----------------------------------------------------------------------------

    def activity(self, text: str, *, conversation_id: str, user_id: str = "29:user-1") -> dict[str, Any]:
        return {
            "type": "message",
            "id": uuid.uuid4().hex,
            "timestamp": "2026-01-01T10:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": CHANNEL_ID,
            "from": {"id": user_id, "name": "Erika Mustermann", "aadObjectId": f"aad-{user_id}"},
            "conversation": {
                "id": conversation_id,
                "conversationType": "personal",
                "tenantId": self.tenant_id,
            },
            "recipient": {"id": f"28:{self.app_id}", "name": "Kommunallotse"},
            "text": text,
            "channelData": {"tenant": {"id": self.tenant_id}},
        }

    # -- the server -----------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/.well-known/openidconfiguration")
        def metadata() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{self.base_url}/v1/authorize",
                "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }

        @app.get("/v1/.well-known/keys")
        def keys() -> dict[str, Any]:
            jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            jwk.update(kid=self.kid, use="sig", endorsements=[CHANNEL_ID])
            return {"keys": [jwk]}

        @app.post("/{tenant}/oauth2/v2.0/token")
        def token(
            tenant: str,
            grant_type: str = Form(...),
            client_id: str = Form(...),
            client_secret: str = Form(...),
            scope: str = Form(...),
        ) -> dict[str, Any]:
            self.token_requests += 1
            if tenant != self.tenant_id:
                raise HTTPException(400, "unknown tenant")
            if grant_type != "client_credentials" or scope != "https://api.botframework.com/.default":
                raise HTTPException(400, "unsupported grant")
            if client_id != self.app_id or not secrets.compare_digest(client_secret, self.app_password):
                raise HTTPException(401, "invalid_client")
            return {"token_type": "Bearer", "expires_in": 3599, "access_token": self._bot_token()}

        @app.post("/teams/v3/conversations/{conversation_id}/activities/{activity_id}")
        async def reply(
            conversation_id: str,
            activity_id: str,
            request: Request,
            authorization: str | None = Header(default=None),
        ) -> dict[str, Any]:
            try:
                self._check_bot_token(authorization)
            except HTTPException:
                self.rejected_replies += 1
                raise
            body = await request.json()
            self.replies.append(
                {"conversation_id": conversation_id, "reply_to": activity_id, "activity": body}
            )
            return {"id": uuid.uuid4().hex}

        return app

    def serve(self) -> tuple[uvicorn.Server, threading.Thread]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.metadata_url, timeout=1).status_code == 200:
                    return server, thread
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("Bot Framework stand-in did not start")
