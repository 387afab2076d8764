"""Tables of the consultant review: accounts, API tokens, sessions, notes, search text, audit log.

They live in the advisor database next to `assessments` (same Base, same Alembic history,
revision 0003). Secrets are never stored in the clear: passwords as argon2 hashes, API tokens
and session ids as SHA-256 hashes, so a copy of the database opens no account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import Assessment, Base, utcnow

ROLES = ("consultant", "admin")
ROLE_NAMES = {"consultant": "Beratung", "admin": "Administration"}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    __tablename__ = "review_sessions"

    # SHA-256 of the random id in the cookie
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # the name is kept as text so the entry survives a renamed or removed account
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class AssessmentNote(Base):
    __tablename__ = "assessment_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class AssessmentSearch(Base):
    """Lower-cased transcript text per assessment for the full-text filter of the list.

    On SQLite an FTS5 table with the trigram tokenizer (assessment_search_fts, kept in step by
    triggers from migration 0003) indexes `content`; elsewhere the list uses LIKE on it.
    """

    __tablename__ = "assessment_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), unique=True)
    content: Mapped[str] = mapped_column(Text, default="")
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Indexes migration 0003 adds to `assessments` for the review's filters and keyset paging.
Index("ix_assessments_started_at_id", Assessment.started_at, Assessment.id)
Index("ix_assessments_updated_at", Assessment.updated_at)
Index("ix_assessments_einwohner", Assessment.einwohner)
Index("ix_assessments_channel", Assessment.channel)
Index("ix_assessments_confirmed_typ", Assessment.confirmed_typ)


def purge_derived(session: Session, sender_id: str) -> None:
    """Remove what the review derived from a conversation (search text, notes) with it."""
    session.execute(delete(AssessmentSearch).where(AssessmentSearch.sender_id == sender_id))
    session.execute(delete(AssessmentNote).where(AssessmentNote.sender_id == sender_id))
