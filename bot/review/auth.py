"""Accounts, passwords, API tokens, browser sessions and the lock-out after failed logins.

Passwords are argon2 hashes (argon2-cffi). API tokens and session ids are random
(secrets.token_urlsafe) and stored only as SHA-256 hashes: they carry enough entropy that a
fast hash is safe, and lookups stay a single indexed query. Sessions live in the database
(no signed cookies), so logout, disabling an account and expiry take effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from bot.review.models import ROLES, ApiToken, User, WebSession
from bot.store import get_engine, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
TOKEN_TOUCH = timedelta(minutes=5)  # how exactly api_tokens.last_used_at is kept
MIN_PASSWORD = 10
NAME_PATTERN = r"^[A-Za-z0-9._@-]{2,64}$"

_hasher = PasswordHasher()
# verified against when the account is unknown, so a login takes as long either way
_DUMMY_HASH = _hasher.hash("kein-konto-vorhanden")


class AccountError(ValueError):
    """A German message for the person creating or changing an account."""


@dataclass(frozen=True)
class Principal:
    """Who is acting: enough to authorise and to write the audit log."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns; they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen lang sein.")
    if len(password) > 1024:
        raise AccountError("Das Passwort ist zu lang (höchstens 1024 Zeichen).")


def create_user(name: str, role: str, password: str, engine: Engine | None = None) -> tuple[User, str]:
    """Create an account and its first API token; the token is returned once, in the clear."""
    if not re.match(NAME_PATTERN, name or ""):
        raise AccountError("Der Name darf 2 bis 64 Zeichen aus Buchstaben, Ziffern und . _ @ - enthalten.")
    if role not in ROLES:
        raise AccountError(f"Unbekannte Rolle '{role}'; erlaubt: {', '.join(ROLES)}.")
    check_password_rules(password)
    with Session(engine or get_engine(), expire_on_commit=False) as session, session.begin():
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(f"Ein Konto '{name}' gibt es schon.")
        user = User(
            name=name,
            role=role,
            password_hash=hash_password(password),
            active=True,
            failed_logins=0,
        )
        session.add(user)
        session.flush()
        token = _add_token(session, user.id)
    return user, token


def _add_token(session: Session, user_id: int) -> str:
    token = new_secret()
    session.add(ApiToken(user_id=user_id, token_hash=sha256(token)))
    return token


def issue_token(user_id: int, revoke_others: bool = True, engine: Engine | None = None) -> str:
    """A new API token for an account (the old ones stop working unless told otherwise)."""
    with Session(engine or get_engine()) as session, session.begin():
        if revoke_others:
            session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return _add_token(session, user_id)


def set_password(user_id: int, password: str, engine: Engine | None = None) -> None:
    check_password_rules(password)
    with Session(engine or get_engine()) as session, session.begin():
        session.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def set_active(user_id: int, active: bool, engine: Engine | None = None) -> None:
    """Disable or enable an account; disabling also ends its sessions."""
    with Session(engine or get_engine()) as session, session.begin():
        session.execute(update(User).where(User.id == user_id).values(active=active))
        if not active:
            session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def reset_lockout(user_id: int, engine: Engine | None = None) -> None:
    with Session(engine or get_engine()) as session, session.begin():
        session.execute(update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None))


def list_users(engine: Engine | None = None) -> list[User]:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        return list(session.scalars(select(User).order_by(User.name)))


def get_user(user_id: int, engine: Engine | None = None) -> User | None:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        return session.get(User, user_id)


def is_locked(user: User, now: datetime | None = None) -> bool:
    locked_until = aware(user.locked_until)
    return locked_until is not None and locked_until > (now or utcnow())


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    locked: bool = False


def authenticate(name: str, password: str, engine: Engine | None = None) -> LoginResult:
    """Check name and password, counting failures per account in the database.

    After MAX_FAILED_LOGINS failures in a row the account is locked for LOCKOUT; while locked
    even the right password is refused. A lock that has run out starts a fresh count.
    """
    now = utcnow()
    with Session(engine or get_engine()) as session, session.begin():
        user = session.scalar(select(User).where(User.name == name).with_for_update())
        if user is None:
            _verify(_DUMMY_HASH, password)
            return LoginResult(None)
        if is_locked(user, now):
            _verify(_DUMMY_HASH, password)
            return LoginResult(None, locked=True)
        if user.locked_until is not None:  # an expired lock: start counting again
            user.locked_until = None
            user.failed_logins = 0
        if not _verify(user.password_hash, password) or not user.active:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                return LoginResult(None, locked=True)
            return LoginResult(None)
        user.failed_logins = 0
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return LoginResult(Principal(user.id, user.name, user.role))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --------------------------------------------------------------------------- API tokens


def principal_for_token(token: str, engine: Engine | None = None) -> Principal | None:
    """The active account behind a bearer token, or None (unknown, revoked or disabled)."""
    if not token or len(token) > 256:
        return None
    with Session(engine or get_engine()) as session, session.begin():
        row = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == sha256(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        api_token, user = row
        if not user.active:
            return None
        now = utcnow()
        last = aware(api_token.last_used_at)
        if last is None or now - last > TOKEN_TOUCH:  # no write on every request
            api_token.last_used_at = now
        return Principal(user.id, user.name, user.role)


# --------------------------------------------------------------------------- browser sessions


def start_session(principal: Principal, engine: Engine | None = None) -> tuple[str, str]:
    """(session id for the cookie, CSRF token for the forms); expired sessions are swept."""
    session_id, csrf = new_secret(), new_secret()
    now = utcnow()
    with Session(engine or get_engine()) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                id_hash=sha256(session_id),
                user_id=principal.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return session_id, csrf


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    csrf_token: str


def load_session(session_id: str | None, engine: Engine | None = None) -> SessionInfo | None:
    if not session_id or len(session_id) > 256:
        return None
    with Session(engine or get_engine()) as session:
        row = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.id_hash == sha256(session_id))
        ).first()
        if row is None:
            return None
        web_session, user = row
        if aware(web_session.expires_at) <= utcnow() or not user.active:
            return None
        return SessionInfo(Principal(user.id, user.name, user.role), web_session.csrf_token)


def end_session(session_id: str | None, engine: Engine | None = None) -> None:
    if not session_id:
        return
    with Session(engine or get_engine()) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.id_hash == sha256(session_id)))


def same_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison for CSRF tokens."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
