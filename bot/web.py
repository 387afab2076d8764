"""The web app (port 8080): demo page with the chat, health, and the chat proxy to Rasa.

The page and the chat run on one origin: the browser talks to /chat, which forwards to
Rasa's REST channel, so no CORS opening of Rasa and no third-party requests are needed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.messages import system_message
from bot.settings import Settings, get_settings

HERE = Path(__file__).parent
MAX_MESSAGE = 10_000


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")
    message: str = Field(default="", max_length=MAX_MESSAGE)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Kommunallotse", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "index.html", {"title": "Kommunallotse"})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/chat")
    async def chat(body: ChatIn) -> JSONResponse:
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(
                    f"{settings.rasa_url}/webhooks/rest/webhook",
                    json={"sender": body.sender, "message": body.message},
                )
                response.raise_for_status()
                return JSONResponse(response.json())
        except (httpx.HTTPError, ValueError):
            return JSONResponse([{"text": system_message("rasa_unreachable")}], status_code=503)

    return app
