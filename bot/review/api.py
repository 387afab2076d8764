"""The review JSON API (architecture.md): bearer tokens, documented in /api/openapi.json.

Every route depends on `require(...)`: no or an unknown token gives 401 and no data; an account
whose role is not on the route's allow-list gives 403. Roles are an allow-list, so a role the
code does not know (say, from a newer version or a hand-edited row) is refused everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from bot import conversations, store
from bot.models import PHASE_IDS, TYPE_IDS
from bot.review import audit, auth, queries
from bot.review.queries import Filters
from bot.settings import Settings, get_settings

LAENDER = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH")
READ_ROLES = ("consultant", "admin")
ADMIN_ROLES = ("admin",)
MAX_ID = 255

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="API-Token aus `lotse users add NAME --role consultant|admin` (einmalig ausgegeben).",
)


class ErrorOut(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Kein oder ungültiges Token"},
    403: {"model": ErrorOut, "description": "Die Rolle des Kontos erlaubt das nicht"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Nicht gefunden"}}


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "review_settings", None) or get_settings()


def db(request: Request) -> Engine:
    return store.get_engine(_settings(request).database_url)


def tracker(request: Request) -> Engine:
    return conversations.tracker_engine(_settings(request).tracker_db_url)


def require(*roles: str):
    """Dependency: the account behind the bearer token, if its role is allowed here."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> auth.Principal:
        principal = auth.principal_for_token(credentials.credentials, db(request)) if credentials else None
        if principal is None:
            raise HTTPException(
                401,
                "Gültiges API-Token erforderlich (Authorization: Bearer …)",
                {"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in roles:
            raise HTTPException(403, "Ihre Rolle erlaubt diesen Zugriff nicht.")
        return principal

    dependency.allowed_roles = roles  # read by the tests that walk every route
    return dependency


class RecommendationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    reason: str | None = None
    knowledge_ids: list[str] = Field(default_factory=list)


class AssessmentOut(BaseModel):
    """The stored assessment with the ids of assessment.md."""

    model_config = ConfigDict(extra="allow")
    sender_id: str
    channel: str | None = None
    mode: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    typ: str | None = None
    typ_scores: dict[str, float] | None = None
    phase: str | None = None
    phase_reason: str | None = None
    reifegrad: dict[str, float | None] | None = None
    recommendations: list[RecommendationOut] | None = None
    model_version: str | None = None
    confirmed_typ: str | None = None
    handover_requested_at: str | None = None
    deletion_requested_at: str | None = None


class AssessmentList(BaseModel):
    items: list[AssessmentOut]
    total: int
    limit: int
    offset: int


class TurnOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    text: str
    time: str
    intent: str | None = None
    channel: str | None = None
    buttons: list[str | None] | None = None


class ConversationOut(BaseModel):
    sender_id: str
    turns: list[TurnOut]


class DeletedOut(BaseModel):
    sender_id: str
    events: int
    assessments: int


router = APIRouter(prefix="/api", tags=["Beratung"])


def _filters(
    typ: Annotated[Literal[TYPE_IDS] | None, Query(description="vorhergesagter Typ")] = None,
    phase: Annotated[Literal[PHASE_IDS] | None, Query(description="Phase")] = None,
    bundesland: Annotated[Literal[LAENDER] | None, Query(description="Land (Kürzel)")] = None,
    from_: Annotated[date | None, Query(alias="from", description="begonnen ab (JJJJ-MM-TT)")] = None,
    to: Annotated[date | None, Query(description="begonnen bis einschließlich (JJJJ-MM-TT)")] = None,
) -> Filters:
    return Filters(typ=typ, phase=phase, bundesland=bundesland, von=from_, bis=to)


FilterParams = Annotated[Filters, Depends(_filters)]
ReadUser = Annotated[auth.Principal, Depends(require(*READ_ROLES))]
AdminUser = Annotated[auth.Principal, Depends(require(*ADMIN_ROLES))]


def _check_id(sender_id: str) -> None:
    if len(sender_id) > MAX_ID or "\x00" in sender_id:
        raise HTTPException(404, "Nicht gefunden")


@router.get(
    "/assessments",
    response_model=AssessmentList,
    responses=ERRORS,
    summary="Einschätzungen auflisten (neueste zuerst)",
)
def list_assessments(
    request: Request,
    filters: FilterParams,
    user: ReadUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    items, total = queries.api_list(filters, limit, offset, db(request))
    audit.log(user.name, "list", None, {"api": True, "anzahl": len(items), **filters.params()}, db(request))
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/assessments/{sender_id}",
    response_model=AssessmentOut,
    responses={**ERRORS, **NOT_FOUND},
    summary="Eine gespeicherte Einschätzung",
)
def get_assessment(request: Request, sender_id: str, user: ReadUser) -> dict[str, Any]:
    _check_id(sender_id)
    row = queries.get_row(sender_id, db(request))
    if row is None:
        raise HTTPException(404, "Keine Einschätzung mit dieser Kennung")
    audit.log(user.name, "view", sender_id, {"api": True}, db(request))
    return row


@router.get(
    "/conversations/{sender_id}",
    response_model=ConversationOut,
    responses={**ERRORS, **NOT_FOUND},
    summary="Gesprächsverlauf (Nutzer- und Bot-Beiträge)",
)
def get_conversation(request: Request, sender_id: str, user: ReadUser) -> dict[str, Any]:
    _check_id(sender_id)
    turns = conversations.transcript(sender_id, tracker(request))
    if not turns and queries.get_row(sender_id, db(request)) is None:
        raise HTTPException(404, "Kein Gespräch mit dieser Kennung")
    audit.log(user.name, "view", sender_id, {"api": True, "verlauf": True}, db(request))
    return {"sender_id": sender_id, "turns": turns}


@router.delete(
    "/conversations/{sender_id}",
    response_model=DeletedOut,
    responses={**ERRORS, **NOT_FOUND},
    summary="Gespräch und Einschätzung löschen (nur Administration)",
)
def delete_conversation(request: Request, sender_id: str, user: AdminUser) -> dict[str, Any]:
    _check_id(sender_id)
    counts = queries.forget(sender_id, tracker(request), db(request))
    if not counts["events"] and not counts["assessments"]:
        raise HTTPException(404, "Kein Gespräch mit dieser Kennung")
    audit.log(user.name, "delete", sender_id, {"api": True, **counts}, db(request))
    return {"sender_id": sender_id, **counts}


@router.get(
    "/export",
    responses={
        **ERRORS,
        200: {
            "description": "CSV (eine Zeile je Einschätzung, Antworten als Spalten je Frage-ID, "
            "Listen mit | verbunden) oder JSON (Liste gespeicherter Einschätzungen)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        },
    },
    response_class=StreamingResponse,
    summary="Alle (gefilterten) Einschätzungen exportieren",
)
def export(
    request: Request,
    filters: FilterParams,
    user: ReadUser,
    format: Literal["csv", "json"] = "csv",  # the documented parameter name
) -> StreamingResponse:
    audit.log(user.name, "export", None, {"api": True, "format": format, **filters.params()}, db(request))
    return export_response(filters, format, db(request))


def export_response(filters: Filters, fmt: str, engine: Engine) -> StreamingResponse:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if fmt == "json":
        body, media = queries.export_json(filters, engine), "application/json"
    else:
        body, media = queries.export_csv(filters, engine), "text/csv; charset=utf-8"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="kommunallotse-einschaetzungen-{stamp}.{fmt}"'
        },
    )
