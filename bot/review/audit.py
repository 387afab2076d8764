"""The audit log: who viewed, exported, deleted or confirmed what, and when.

Written in its own transaction so an entry is kept even when the request fails afterwards;
the log holds conversation ids and account names, never conversation content.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.review.models import AuditEntry
from bot.store import get_engine

ACTION_NAMES = {
    "login": "Anmeldung",
    "login_failed": "Anmeldung fehlgeschlagen",
    "lockout": "Konto gesperrt (Fehlversuche)",
    "logout": "Abmeldung",
    "view": "Angesehen",
    "list": "Liste abgerufen (API)",
    "search": "Gesucht",
    "export": "Exportiert",
    "confirm": "Typ bestätigt",
    "note": "Notiz geschrieben",
    "delete": "Gelöscht",
    "retention": "Aufbewahrungsfrist angewandt",
    "user_create": "Konto angelegt",
    "user_disable": "Konto deaktiviert",
    "user_enable": "Konto aktiviert",
    "lockout_reset": "Sperre aufgehoben",
    "token_new": "Neues API-Token",
    "password": "Passwort gesetzt",
    "reindex": "Suchindex erneuert",
}


def log(
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | str | None = None,
    engine: Engine | None = None,
) -> None:
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    with Session(engine or get_engine()) as session, session.begin():
        session.add(AuditEntry(actor=actor[:128], action=action, target=(target or None), detail=detail))


def entries(
    limit: int = 100,
    offset: int = 0,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    engine: Engine | None = None,
) -> tuple[list[AuditEntry], int]:
    """Newest first, with the total for paging."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if target:
        query = query.where(AuditEntry.target == target)
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), total
