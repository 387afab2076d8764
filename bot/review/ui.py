"""The consultants' web pages under /beratung (server-rendered, German, no JavaScript needed).

Login sets a random session id in a cookie (HttpOnly, SameSite=Strict, Secure in production);
the session row in the database holds the CSRF token that every POST form must send back.
Before login a double-submit cookie protects the login form itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import conversations, store
from bot.models import DIMENSION_IDS, PHASE_IDS, TYPE_IDS
from bot.review import audit, auth, labels, queries, search, svg
from bot.review.api import export_response
from bot.review.api import router as api_router
from bot.review.models import ROLE_NAMES, ROLES
from bot.review.queries import Filters
from bot.settings import Settings, get_settings

try:  # the report route comes from bot/report.py; without it the detail page shows no link
    from bot.report import report_link
except ImportError:  # pragma: no cover
    report_link = None

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SESSION_COOKIE = "kl_beratung"
LOGIN_CSRF_COOKIE = "kl_beratung_login"
PREFIX = "/beratung"
MAX_NOTE = 5000
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html
templates.env.filters["zeit"] = labels.local_time
templates.env.filters["datum"] = lambda v: labels.local_time(v, with_time=False)
templates.env.filters["zahl"] = labels.number
templates.env.filters["url"] = lambda v: quote(str(v), safe="")
templates.env.globals.update(
    type_names=labels.type_names,
    phase_names=labels.phase_names,
    dimension_names=labels.dimension_names,
    land_names=labels.land_names,
    kind_names=labels.kind_names,
    size_classes=labels.SIZE_CLASSES,
    role_names=ROLE_NAMES,
    action_names=audit.ACTION_NAMES,
    TYPE_IDS=TYPE_IDS,
    PHASE_IDS=PHASE_IDS,
    DIMENSION_IDS=DIMENSION_IDS,
    ROLES=ROLES,
)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class ReviewError(Exception):
    """An error page for a signed-in user (403 wrong role or bad CSRF token, 404 unknown)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "review_settings", None) or get_settings()


def db(request: Request) -> Engine:
    """The advisor database of this app (create_app may be given other settings than the env's)."""
    return store.get_engine(_settings(request).database_url)


def tracker(request: Request) -> Engine:
    return conversations.tracker_engine(_settings(request).tracker_db_url)


def _secure(request: Request) -> bool:
    return _settings(request).env == "production"


def current(request: Request, admin: bool = False) -> auth.SessionInfo:
    info = auth.load_session(request.cookies.get(SESSION_COOKIE), db(request))
    if info is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if admin and not info.principal.is_admin:
        raise ReviewError(403, "Diese Seite ist der Administration vorbehalten.")
    return info


async def checked_form(request: Request, info: auth.SessionInfo) -> dict[str, str]:
    """The posted form, after the CSRF token in it matched the session's."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    if not auth.same_secret(info.csrf_token, data.get("csrf_token")):
        raise ReviewError(
            403, "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen. Bitte laden Sie die Seite neu."
        )
    return data


def render(request: Request, template: str, info: auth.SessionInfo | None, status: int = 200, **context: Any):
    context.update(
        user=info.principal if info else None,
        csrf=info.csrf_token if info else None,
        prefix=PREFIX,
    )
    return templates.TemplateResponse(request, f"review/{template}", context, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: str | None) -> str:
    """Only paths inside the review UI, so the login cannot be used to send users elsewhere."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/"


def detail_url(sender_id: str) -> str:
    return f"{PREFIX}/einschaetzung/{quote(sender_id, safe='')}"


# --------------------------------------------------------------------------- login


def _login_page(request: Request, status: int = 200, **context: Any) -> Response:
    """The login form with a fresh double-submit nonce (cookie and hidden field)."""
    nonce = auth.new_secret()
    response = render(request, "login.html", None, status=status, login_csrf=nonce, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/anmelden", response_class=HTMLResponse)
def login_form(request: Request, weiter: str | None = None) -> Response:
    if auth.load_session(request.cookies.get(SESSION_COOKIE), db(request)):
        return redirect(_safe_next(weiter))
    return _login_page(request, weiter=_safe_next(weiter))


@router.post("/anmelden", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")[:64]
    password = str(form.get("password") or "")[:1024]
    weiter = _safe_next(str(form.get("weiter") or ""))
    if not auth.same_secret(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token") or "")):
        return _login_page(
            request,
            status=403,
            weiter=weiter,
            login_name=name,
            error="Die Sicherheitsprüfung ist fehlgeschlagen. Bitte melden Sie sich erneut an.",
        )
    result = auth.authenticate(name, password, db(request))
    if result.principal is None:
        audit.log(name or "?", "login_failed", None, {"gesperrt": result.locked}, db(request))
        return _login_page(
            request,
            status=401,
            weiter=weiter,
            login_name=name,
            error="Die Anmeldung ist fehlgeschlagen: Name oder Passwort stimmen nicht, oder das Konto "
            "ist nach fünf Fehlversuchen für 15 Minuten gesperrt.",
        )
    auth.end_session(request.cookies.get(SESSION_COOKIE), db(request))
    session_id, _csrf = auth.start_session(result.principal, db(request))
    audit.log(result.principal.name, "login", engine=db(request))
    response = redirect(weiter)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/abmelden")
async def logout(request: Request) -> Response:
    info = current(request)
    await checked_form(request, info)
    auth.end_session(request.cookies.get(SESSION_COOKIE), db(request))
    audit.log(info.principal.name, "logout", engine=db(request))
    response = redirect(f"{PREFIX}/anmelden")
    response.delete_cookie(
        SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


# --------------------------------------------------------------------------- list, detail, statistics


@router.get("/", response_class=HTMLResponse)
def list_view(request: Request, vor: str | None = None, nach: str | None = None) -> Response:
    info = current(request)
    filters = Filters.from_params(request.query_params)
    _refresh_for(request, filters)
    page = queries.list_page(filters, older_than=vor, newer_than=nach, engine=db(request))
    if filters.q:
        audit.log(info.principal.name, "search", None, filters.params(), db(request))
    return render(
        request,
        "list.html",
        info,
        filters=filters,
        page=page,
        channels=queries.channels(db(request)),
        query=filters.query_string(),
        notice=_notice(request),
    )


def _refresh_for(request: Request, filters: Filters) -> None:
    """A text search needs the search table to know the newest conversations."""
    if filters.q:
        search.refresh_stale(db(request), tracker(request))


NOTICES = {
    "typ": "Der bestätigte Typ wurde gespeichert.",
    "notiz": "Die Notiz wurde gespeichert.",
    "geloescht": "Das Gespräch und die Einschätzung wurden gelöscht.",
}


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("hinweis") or "")


@router.get("/einschaetzung/{sender_id}", response_class=HTMLResponse)
def detail_view(request: Request, sender_id: str) -> Response:
    info = current(request)
    row = queries.get_row(sender_id, db(request))
    if row is None:
        raise ReviewError(404, "Zu dieser Kennung gibt es keine Einschätzung (mehr).")
    try:
        turns: list[dict[str, Any]] | None = conversations.transcript(sender_id, tracker(request))
    except SQLAlchemyError:
        turns = None
    if turns is not None:
        search.refresh(sender_id, turns, (row.get("answers") or {}).get("kommune_name"), db(request))
    audit.log(info.principal.name, "view", sender_id, engine=db(request))
    scores = row.get("typ_scores") or {}
    names = labels.type_names()
    type_chart = svg.hbars(
        [(names[t], float(scores.get(t) or 0)) for t in TYPE_IDS if t in scores],
        "Wahrscheinlichkeit je Kommunentyp",
        max_value=1,
        unit="%",
        highlight=names.get(row.get("typ") or ""),
    )
    reifegrad = row.get("reifegrad") or {}
    dims = labels.dimension_names()
    maturity_chart = svg.hbars(
        [(dims[d], float(reifegrad[d])) for d in DIMENSION_IDS if reifegrad.get(d) is not None],
        "Reifegrad je Dimension (0 bis 100)",
        max_value=100,
    )
    link = None
    if report_link is not None and row.get("completed_at"):
        link = report_link(sender_id, _settings(request).public_url)
    return render(
        request,
        "detail.html",
        info,
        a=row,
        sender_id=sender_id,
        url=detail_url(sender_id),
        turns=turns,
        answers=queries.answers_table(row.get("answers") or {}),
        type_chart=type_chart,
        maturity_chart=maturity_chart,
        unjudged=[dims[d] for d in DIMENSION_IDS if d in reifegrad and reifegrad[d] is None],
        report_url=link,
        notes=queries.notes(sender_id, db(request)),
        notice=_notice(request),
    )


@router.post("/einschaetzung/{sender_id}/typ")
async def confirm_type(request: Request, sender_id: str) -> Response:
    info = current(request)
    form = await checked_form(request, info)
    typ = form.get("typ") or None
    if typ is not None and typ not in TYPE_IDS:
        raise ReviewError(400, "Unbekannter Typ.")
    before = queries.get_row(sender_id, db(request))
    if before is None or not queries.confirm_type(sender_id, typ, db(request)):
        raise ReviewError(404, "Zu dieser Kennung gibt es keine Einschätzung (mehr).")
    audit.log(
        info.principal.name,
        "confirm",
        sender_id,
        {"typ": typ, "vorher": before.get("confirmed_typ")},
        db(request),
    )
    return redirect(detail_url(sender_id) + "?hinweis=typ#typ")


@router.post("/einschaetzung/{sender_id}/notiz")
async def add_note(request: Request, sender_id: str) -> Response:
    info = current(request)
    form = await checked_form(request, info)
    note = (form.get("text") or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise ReviewError(400, f"Eine Notiz braucht Text (höchstens {MAX_NOTE} Zeichen).")
    if not queries.add_note(sender_id, info.principal.name, note, db(request)):
        raise ReviewError(404, "Zu dieser Kennung gibt es keine Einschätzung (mehr).")
    audit.log(info.principal.name, "note", sender_id, engine=db(request))
    return redirect(detail_url(sender_id) + "?hinweis=notiz#notizen")


@router.get("/einschaetzung/{sender_id}/loeschen", response_class=HTMLResponse)
def delete_confirm(request: Request, sender_id: str) -> Response:
    info = current(request, admin=True)
    row = queries.get_row(sender_id, db(request))
    try:
        turn_count = len(conversations.transcript(sender_id, tracker(request)))
    except SQLAlchemyError:
        turn_count = None
    if row is None and not turn_count:
        raise ReviewError(404, "Zu dieser Kennung gibt es kein Gespräch (mehr).")
    return render(
        request,
        "confirm_delete.html",
        info,
        a=row,
        sender_id=sender_id,
        url=detail_url(sender_id),
        turns=turn_count,
    )


@router.post("/einschaetzung/{sender_id}/loeschen")
async def delete(request: Request, sender_id: str) -> Response:
    info = current(request, admin=True)
    form = await checked_form(request, info)
    if form.get("bestaetigt") != "ja":
        raise ReviewError(400, "Bitte bestätigen Sie das Löschen ausdrücklich.")
    counts = queries.forget(sender_id, tracker(request), db(request))
    audit.log(info.principal.name, "delete", sender_id, counts, db(request))
    return redirect(f"{PREFIX}/?hinweis=geloescht")


@router.get("/statistik", response_class=HTMLResponse)
def statistics_view(request: Request) -> Response:
    info = current(request)
    filters = Filters.from_params(request.query_params)
    _refresh_for(request, filters)
    stats = queries.statistics_for(filters, db(request))
    names = labels.type_names()
    series = [names[t] for t in TYPE_IDS]
    lands, sizes = labels.land_names(), {s[0]: s[1] for s in labels.SIZE_CLASSES}
    phases, dims = labels.phase_names(), labels.dimension_names()
    charts = {
        "land": svg.stacked(
            [(lands.get(k, "ohne Angabe") if k else "ohne Angabe", v) for k, v in stats.by_land],
            series,
            "Kommunentypen nach Bundesland",
        ),
        "size": svg.stacked(
            [(sizes.get(k, "ohne Angabe") if k else "ohne Angabe", v) for k, v in stats.by_size],
            series,
            "Kommunentypen nach Größenklasse",
        ),
        "phase": svg.hbars([(phases[p], n) for p, n in stats.phases], "Verteilung der Phasen"),
        "maturity": svg.ranges(
            [(dims[d], lo, mid, hi) for d, lo, mid, hi, _n in stats.maturity],
            "Reifegrad je Dimension: Minimum, Median, Maximum",
        ),
        "recs": svg.hbars(
            [(title, n) for _id, title, n in stats.recommendations], "Häufigste Empfehlungen", label_width=420
        ),
    }
    return render(
        request,
        "stats.html",
        info,
        filters=filters,
        stats=stats,
        charts=charts,
        channels=queries.channels(db(request)),
        query=filters.query_string(),
        series=series,
    )


@router.get("/export.{fmt}")
def export(request: Request, fmt: str) -> Response:
    info = current(request)
    if fmt not in ("csv", "json"):
        raise ReviewError(404, "Export gibt es als CSV und JSON.")
    filters = Filters.from_params(request.query_params)
    _refresh_for(request, filters)
    audit.log(info.principal.name, "export", None, {"format": fmt, **filters.params()}, db(request))
    return export_response(filters, fmt, db(request))


# --------------------------------------------------------------------------- administration


def _users_page(request: Request, info: auth.SessionInfo, status: int = 200, **extra: Any) -> Response:
    users = auth.list_users(db(request))
    locked = {u.id for u in users if auth.is_locked(u)}
    return render(request, "admin_users.html", info, status=status, users=users, locked=locked, **extra)


@router.get("/admin/konten", response_class=HTMLResponse)
def users_view(request: Request) -> Response:
    info = current(request, admin=True)
    return _users_page(request, info)


@router.post("/admin/konten", response_class=HTMLResponse)
async def users_create(request: Request) -> Response:
    info = current(request, admin=True)
    form = await checked_form(request, info)
    name, role, password = form.get("name", "").strip(), form.get("role", ""), form.get("password", "")
    try:
        user, token = auth.create_user(name, role, password, db(request))
    except auth.AccountError as exc:
        return _users_page(request, info, status=400, error=str(exc), form=form)
    audit.log(info.principal.name, "user_create", user.name, {"rolle": role}, db(request))
    return _users_page(request, info, new_token=token, token_for=user.name)


@router.post("/admin/konten/{user_id}/{action}", response_class=HTMLResponse)
async def users_change(request: Request, user_id: int, action: str) -> Response:
    info = current(request, admin=True)
    await checked_form(request, info)
    user = auth.get_user(user_id, db(request))
    if user is None:
        raise ReviewError(404, "Dieses Konto gibt es nicht.")
    if action in ("deaktivieren", "aktivieren"):
        if user.id == info.principal.id:
            return _users_page(
                request, info, status=400, error="Sie können Ihr eigenes Konto nicht deaktivieren."
            )
        auth.set_active(user.id, action == "aktivieren", db(request))
        event = "user_enable" if action == "aktivieren" else "user_disable"
        audit.log(info.principal.name, event, user.name, engine=db(request))
        return redirect(f"{PREFIX}/admin/konten")
    if action == "entsperren":
        auth.reset_lockout(user.id, db(request))
        audit.log(info.principal.name, "lockout_reset", user.name, engine=db(request))
        return redirect(f"{PREFIX}/admin/konten")
    if action == "token":
        token = auth.issue_token(user.id, engine=db(request))
        audit.log(info.principal.name, "token_new", user.name, engine=db(request))
        return _users_page(request, info, new_token=token, token_for=user.name)
    raise ReviewError(404, "Unbekannte Aktion.")


AUDIT_PAGE = 100


@router.get("/admin/protokoll", response_class=HTMLResponse)
def audit_view(
    request: Request, seite: int = 1, aktion: str | None = None, ziel: str | None = None
) -> Response:
    info = current(request, admin=True)
    seite = max(1, min(seite, 100_000))
    aktion = aktion if aktion in audit.ACTION_NAMES else None
    rows, total = audit.entries(
        AUDIT_PAGE, (seite - 1) * AUDIT_PAGE, action=aktion, target=ziel or None, engine=db(request)
    )
    base = {k: v for k, v in (("aktion", aktion), ("ziel", ziel)) if v}
    return render(
        request,
        "audit.html",
        info,
        rows=rows,
        total=total,
        seite=seite,
        pages=max(1, -(-total // AUDIT_PAGE)),
        aktion=aktion,
        ziel=ziel or "",
        base_query=urlencode(base),
    )


@router.get("/admin/loeschwuensche", response_class=HTMLResponse)
def deletion_requests(request: Request) -> Response:
    info = current(request, admin=True)
    page = queries.list_page(Filters(loeschwunsch="ja"), size=500, engine=db(request))
    return render(request, "deletions.html", info, page=page)


# --------------------------------------------------------------------------- wiring


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the review pages and the JSON API to the web app (called from bot.web.create_app)."""
    app.state.review_settings = settings
    app.include_router(router)
    app.include_router(api_router)

    @app.get(PREFIX, include_in_schema=False)
    def review_root() -> Response:
        return redirect(PREFIX + "/")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return redirect(f"{PREFIX}/anmelden?{urlencode({'weiter': exc.next_url})}")

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        info = auth.load_session(request.cookies.get(SESSION_COOKIE), db(request))
        return render(
            request, "error.html", info, status=exc.status, message=exc.message, status_code=exc.status
        )

    @app.middleware("http")
    async def _review_headers(request: Request, call_next):
        response = await call_next(request)
        path = request.url.path
        if path.startswith((PREFIX, "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        if path.startswith(PREFIX):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
