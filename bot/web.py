"""The web app (port 8080): demo page with the chat, health, and the chat proxy to Rasa.

The page and the chat run on one origin: the browser talks to /chat, which forwards to
Rasa's REST channel, so no CORS opening of Rasa and no third-party requests are needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
from fastapi import FastAPI, Request
from fastapi import Path as UrlPath
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot import conversations, report, store, widget
from bot.messages import system_message
from bot.review.ui import install as install_review
from bot.settings import Settings, get_settings

HERE = Path(__file__).parent
MAX_MESSAGE = 10_000
SENDER_PATTERN = r"^[A-Za-z0-9_\-]+$"
# The widget's ids are 128-bit random hex (32 characters). Reading and deleting a conversation
# by id is refused for shorter ids, so short hand-made REST ids cannot be guessed through it.
WidgetSenderId = Annotated[str, UrlPath(min_length=32, max_length=128, pattern=SENDER_PATTERN)]


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=128, pattern=SENDER_PATTERN)
    message: str = Field(default="", max_length=MAX_MESSAGE)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Kommunallotse", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None
    )
    if settings.widget_origins:  # websites that embed the widget (KL_WIDGET_ORIGINS)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.widget_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type"],
            max_age=600,
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
            # connect fails fast; a turn may take long (Rasa waits for actions and the database)
            async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=5)) as client:
                response = await client.post(
                    f"{settings.rasa_url}/webhooks/rest/webhook",
                    json={"sender": body.sender, "message": body.message},
                )
                response.raise_for_status()
                messages = response.json()
                if not messages:  # Rasa swallowed a failed action (action server down)
                    return JSONResponse([{"text": system_message("no_reply")}], status_code=503)
                return JSONResponse(messages)
        except (httpx.HTTPError, ValueError):
            return JSONResponse([{"text": system_message("rasa_unreachable")}], status_code=503)

    @app.get("/chat/{sender_id}/verlauf")
    def chat_history(sender_id: WidgetSenderId) -> JSONResponse:
        """What the widget shows again after a reload: turns, open quick replies, progress."""
        shown = widget.history(sender_id, engine=conversations.tracker_engine(settings.tracker_db_url))
        return JSONResponse(shown, headers={"Cache-Control": "no-store"})

    @app.delete("/chat/{sender_id}")
    def chat_forget(sender_id: WidgetSenderId) -> JSONResponse:
        """The visitor deletes the conversation: transcript and stored assessment."""
        deleted = conversations.forget(
            sender_id,
            tracker=conversations.tracker_engine(settings.tracker_db_url),
            advisor=store.get_engine(settings.database_url),
        )
        return JSONResponse({"geloescht": True, **deleted}, headers={"Cache-Control": "no-store"})

    report_headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the link carries the token: never pass it on
        "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex, nofollow",
    }

    def report_assessment(sender_id: str, token: str | None) -> dict | Response:
        """The completed assessment behind a signed report link, or the 403/404 answer."""
        if not report.check_token(sender_id, token, settings.secret_key):
            text = report.texts()["error_forbidden"]
            return PlainTextResponse(text, status_code=403, headers=report_headers)
        assessment = store.get_assessment(sender_id, engine=store.get_engine(settings.database_url))
        if not assessment or not assessment.get("completed_at") or not assessment.get("typ"):
            text = report.texts()["error_not_found"]
            return PlainTextResponse(text, status_code=404, headers=report_headers)
        return assessment

    # the .pdf route first: /bericht/{sender_id} would also match "<id>.pdf"
    @app.get("/bericht/{sender_id}.pdf", response_class=Response, include_in_schema=False)
    def report_pdf(sender_id: str, t: str | None = None) -> Response:
        """The result report as PDF (signed link, t = HMAC of the sender id)."""
        assessment = report_assessment(sender_id, t)
        if isinstance(assessment, Response):
            return assessment
        headers = {
            **report_headers,
            "Content-Disposition": f'attachment; filename="{report.file_name(assessment)}"',
        }
        return Response(report.render_pdf(assessment), media_type="application/pdf", headers=headers)

    @app.get("/bericht/{sender_id}", response_class=HTMLResponse, include_in_schema=False)
    def report_page(sender_id: str, t: str | None = None) -> Response:
        """The result report as a self-contained HTML page (signed link)."""
        assessment = report_assessment(sender_id, t)
        if isinstance(assessment, Response):
            return assessment
        pdf_url = report.report_link(sender_id, settings.public_url, pdf=True, secret_key=settings.secret_key)
        headers = {**report_headers, "Content-Security-Policy": report.CSP}
        return HTMLResponse(report.render_html(assessment, pdf_url=pdf_url), headers=headers)

    install_review(app, settings)  # consultants' pages under /beratung and the JSON API under /api
    return app
