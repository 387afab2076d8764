"""The advisor's storage: one assessment row per conversation (SQLAlchemy 2).

SQLite under var/ by default, PostgreSQL in production (same code, URL from KL_DATABASE_URL).
The schema is managed by Alembic (bot/migrations); `lotse db upgrade` applies it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot.models import Result
from bot.settings import get_settings


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    channel: Mapped[str] = mapped_column(String(64), default="rest")
    mode: Mapped[str] = mapped_column(String(16), default="kurz")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kommune_art: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    bundesland: Mapped[str | None] = mapped_column(String(2), nullable=True, index=True)
    einwohner: Mapped[int | None] = mapped_column(Integer, nullable=True)
    typ: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    typ_scores: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    phase: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    phase_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reifegrad: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    recommendations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confirmed_typ: Mapped[str | None] = mapped_column(String(32), nullable=True)
    handover_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    handover_contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    # set when the municipality asks for deletion in the chat; admins see it in the review UI
    deletion_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def to_dict(self) -> dict[str, Any]:
        """The stored assessment with the field names of assessment.md."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "sender_id": self.sender_id,
            "channel": self.channel,
            "mode": self.mode,
            "started_at": iso(self.started_at),
            "updated_at": iso(self.updated_at),
            "completed_at": iso(self.completed_at),
            "answers": self.answers or {},
            "typ": self.typ,
            "typ_scores": self.typ_scores,
            "phase": self.phase,
            "phase_reason": self.phase_reason,
            "reifegrad": self.reifegrad,
            "recommendations": self.recommendations,
            "model_version": self.model_version,
            "confirmed_typ": self.confirmed_typ,
            "handover_requested_at": iso(self.handover_requested_at),
            "handover_contact": self.handover_contact,
            "deletion_requested_at": iso(self.deletion_requested_at),
        }


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def driver_url(url: str) -> str:
    """SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; the project ships psycopg2."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url.removeprefix(plain)
    return url


@cache
def get_engine(url: str | None = None) -> Engine:
    url = driver_url(url or get_settings().database_url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # fail fast with a clear error instead of hanging when the database is unreachable
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=10,
        connect_args={"connect_timeout": 5} if url.startswith("postgresql") else {},
    )


def _get_or_create(session: Session, sender_id: str, channel: str) -> Assessment:
    row = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
    if row is None:
        row = Assessment(sender_id=sender_id, channel=channel, answers={})
        session.add(row)
    return row


def save_answers(
    sender_id: str,
    channel: str,
    answers: dict[str, Any],
    mode: str = "kurz",
    engine: Engine | None = None,
) -> None:
    """Store the answers so far (called as answers arrive, so a paused check is kept)."""
    with Session(engine or get_engine()) as session, session.begin():
        row = _get_or_create(session, sender_id, channel)
        row.answers = dict(answers)
        row.mode = mode
        row.kommune_art = answers.get("kommune_art")
        row.bundesland = answers.get("bundesland")
        row.einwohner = answers.get("einwohner")
        row.updated_at = utcnow()


def save_result(
    sender_id: str,
    channel: str,
    answers: dict[str, Any],
    result: Result,
    mode: str = "kurz",
    engine: Engine | None = None,
) -> None:
    """Store the completed assessment with its result."""
    save_answers(sender_id, channel, answers, mode, engine)
    with Session(engine or get_engine()) as session, session.begin():
        row = _get_or_create(session, sender_id, channel)
        row.typ = result.typ
        row.typ_scores = result.typ_scores
        row.phase = result.phase
        row.phase_reason = result.phase_reason
        row.reifegrad = result.reifegrad
        row.recommendations = [r.model_dump() for r in result.recommendations]
        row.model_version = result.model_version
        row.completed_at = utcnow()


def request_handover(sender_id: str, channel: str, engine: Engine | None = None) -> None:
    """Mark the conversation for a consultant (the review list shows it)."""
    with Session(engine or get_engine()) as session, session.begin():
        row = _get_or_create(session, sender_id, channel)
        row.handover_requested_at = row.handover_requested_at or utcnow()
        row.updated_at = utcnow()


def set_handover_contact(sender_id: str, contact: str, engine: Engine | None = None) -> None:
    with Session(engine or get_engine()) as session, session.begin():
        row = _get_or_create(session, sender_id, "rest")
        row.handover_contact = contact[:200]
        row.updated_at = utcnow()


def get_assessment(sender_id: str, engine: Engine | None = None) -> dict[str, Any] | None:
    with Session(engine or get_engine()) as session:
        row = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
        return row.to_dict() if row else None


def list_assessments(limit: int = 100, engine: Engine | None = None) -> list[dict[str, Any]]:
    with Session(engine or get_engine()) as session:
        rows = session.scalars(
            select(Assessment).order_by(Assessment.updated_at.desc()).limit(limit)
        )
        return [r.to_dict() for r in rows]


def delete_assessment(sender_id: str, engine: Engine | None = None) -> bool:
    with Session(engine or get_engine()) as session, session.begin():
        row = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
        if row is None:
            return False
        session.delete(row)
        from bot.review.models import purge_derived  # search text and notes go with it

        purge_derived(session, sender_id)
        return True
