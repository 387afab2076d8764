"""Full-text search over transcripts, through a search table in the advisor database.

The transcripts live in Rasa's tracker store (maybe another database), so the list cannot join
them. Instead `assessment_search` keeps one lower-cased text per assessment (user and bot turns
plus the municipality's name). It is refreshed whenever a consultant opens a detail page and in
bulk by `lotse review reindex` (schedulable, e.g. nightly).

Matching is case-insensitive substring search, so "faser" finds "Glasfaserausbau" (German
compounds). On SQLite an FTS5 table with the trigram tokenizer serves terms of three or more
characters from an index; shorter terms, and PostgreSQL, use LIKE on the same column (with a
pg_trgm GIN index when that extension is installed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, Integer, and_, bindparam, column, delete, insert, inspect, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.conversations import tracker_engine
from bot.review.models import AssessmentSearch
from bot.store import Assessment, get_engine, utcnow

MAX_TERMS = 8
BATCH = 500


def normalise(value: str) -> str:
    return re.sub(r"\s+", " ", value.casefold()).strip()


def content_of(turn_texts: Iterable[str], kommune_name: Any = None) -> str:
    parts = [str(kommune_name)] if kommune_name else []
    parts.extend(t for t in turn_texts if t)
    return normalise("\n".join(parts))


def _store(session: Session, sender_id: str, content: str) -> None:
    row = session.scalar(select(AssessmentSearch).where(AssessmentSearch.sender_id == sender_id))
    if row is None:
        session.add(AssessmentSearch(sender_id=sender_id, content=content, indexed_at=utcnow()))
        return
    if row.content != content:  # the FTS trigger fires only when the content changes
        row.content = content
    row.indexed_at = utcnow()


def refresh(sender_id: str, turns: list[dict[str, Any]], kommune_name: Any = None, engine=None) -> None:
    """Index one conversation from the turns the detail page has loaded anyway."""
    content = content_of((t.get("text") or "" for t in turns), kommune_name)
    with Session(engine or get_engine()) as session, session.begin():
        if session.scalar(select(Assessment.id).where(Assessment.sender_id == sender_id)) is None:
            return  # nothing to find it by; never keep text of a deleted assessment
        _store(session, sender_id, content)


def _tracker_texts(tracker: Engine) -> Iterator[tuple[str, list[str]]]:
    """(sender_id, texts of user and bot turns in order), one conversation at a time."""
    if not inspect(tracker).has_table("events"):
        return
    with tracker.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
            text(
                "SELECT sender_id, data FROM events WHERE type_name IN ('user', 'bot') ORDER BY sender_id, id"
            )
        )
        current: str | None = None
        texts: list[str] = []
        for sender_id, data in rows:
            if sender_id != current:
                if current is not None:
                    yield current, texts
                current, texts = sender_id, []
            value = _text_of(data)
            if value:
                texts.append(value)
        if current is not None:
            yield current, texts


def reindex(engine: Engine | None = None, tracker: Engine | None = None) -> dict[str, int]:
    """Rebuild the search text of every assessment from the tracker store in one pass.

    Reads the tracker once in sender order and writes in bulk: new rows are inserted, changed
    ones updated (the FTS trigger only fires for those), text of deleted assessments removed.
    """
    engine = engine or get_engine()
    tracker = tracker or tracker_engine()
    with Session(engine) as session:
        names = {
            sender: (answers or {}).get("kommune_name")
            for sender, answers in session.execute(select(Assessment.sender_id, Assessment.answers))
        }
        existing = dict(session.execute(select(AssessmentSearch.sender_id, AssessmentSearch.content)).all())
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []

    def collect(sender_id: str, content: str) -> None:
        if sender_id not in existing:
            new_rows.append({"sender_id": sender_id, "content": content, "indexed_at": now})
        elif existing[sender_id] != content:
            changed.append({"s": sender_id, "c": content})

    seen: set[str] = set()
    for sender_id, texts in _tracker_texts(tracker):
        if sender_id in names:
            collect(sender_id, content_of(texts, names[sender_id]))
            seen.add(sender_id)
    for sender_id in names.keys() - seen:  # assessments without a transcript: the name only
        collect(sender_id, content_of([], names[sender_id]))
    table = AssessmentSearch.__table__
    with engine.begin() as conn:
        for i in range(0, len(new_rows), BATCH):
            conn.execute(insert(table), new_rows[i : i + BATCH])
        if changed:
            conn.execute(
                update(table).where(table.c.sender_id == bindparam("s")).values(content=bindparam("c")),
                changed,
            )
        conn.execute(update(table).values(indexed_at=now))
        removed = conn.execute(
            delete(table).where(table.c.sender_id.not_in(select(Assessment.sender_id)))
        ).rowcount
    return {"indexed": len(names), "new": len(new_rows), "changed": len(changed), "removed": removed}


def refresh_stale(engine: Engine | None = None, tracker: Engine | None = None, limit: int = 1000) -> int:
    """Index assessments changed since they were last indexed (or never indexed).

    Run before a search, so new conversations are found without waiting for the nightly
    `lotse review reindex`; with nothing stale it costs one indexed query.
    """
    engine = engine or get_engine()
    tracker = tracker or tracker_engine()
    a, s = Assessment, AssessmentSearch
    with Session(engine) as session:
        stale = session.execute(
            select(a.sender_id, a.answers)
            .outerjoin(s, s.sender_id == a.sender_id)
            .where((s.id.is_(None)) | (s.indexed_at < a.updated_at))
            .limit(limit)
        ).all()
    if not stale:
        return 0
    names = {sender: (answers or {}).get("kommune_name") for sender, answers in stale}
    texts: dict[str, list[str]] = {sender: [] for sender in names}
    if inspect(tracker).has_table("events"):
        with tracker.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT sender_id, data FROM events WHERE sender_id IN :senders "
                    "AND type_name IN ('user', 'bot') ORDER BY sender_id, id"
                ).bindparams(bindparam("senders", expanding=True)),
                {"senders": list(names)},
            )
            for sender_id, data in rows:
                value = _text_of(data)
                if value:
                    texts[sender_id].append(value)
    with Session(engine) as session, session.begin():
        for sender_id, turn_texts in texts.items():
            _store(session, sender_id, content_of(turn_texts, names[sender_id]))
    return len(texts)


def _text_of(data: str | None) -> str | None:
    try:
        value = json.loads(data or "{}").get("text")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def terms_of(query: str | None) -> list[str]:
    return [t for t in normalise(query or "").split(" ") if t][:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_senders(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A condition on assessments.sender_id for the search terms (all must occur), or None."""
    terms = terms_of(query)
    if not terms:
        return None
    conditions = []
    fts_terms = [t for t in terms if len(t) >= 3] if dialect == "sqlite" else []
    if fts_terms:
        match = " ".join('"' + t.replace('"', '""') + '"' for t in fts_terms)
        rowids = (
            text("SELECT rowid FROM assessment_search_fts WHERE assessment_search_fts MATCH :fts_match")
            .bindparams(fts_match=match)
            .columns(column("rowid", Integer))
        )
        conditions.append(AssessmentSearch.id.in_(rowids))
    for term in terms:
        if term not in fts_terms:
            conditions.append(AssessmentSearch.content.like(_like(term), escape="\\"))
    return Assessment.sender_id.in_(select(AssessmentSearch.sender_id).where(and_(*conditions)))
