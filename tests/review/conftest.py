"""Fixtures for the review tests: temp advisor DB (temp_db), temp tracker store, accounts, app."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from bot import conversations, db, store
from bot.review import auth
from bot.settings import get_settings
from bot.web import create_app
from tests.review import seed

PASSWORD = "richtig-langes-passwort"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2 parameters in tests; production keeps argon2-cffi's defaults (RFC 9106)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", hasher)
    monkeypatch.setattr(auth, "_DUMMY_HASH", hasher.hash("kein-konto-vorhanden"))


@dataclass
class Env:
    engine: Engine
    tracker: Engine
    tokens: dict[str, str]
    seeded: dict


def _fresh_postgres(url: str) -> str:
    """Empty the given PostgreSQL database (it must be a throwaway one) and return its URL."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture()
def review_env(temp_db, tmp_path, monkeypatch) -> Env:
    """Migrated advisor DB, a tracker store with Rasa's events table, three assessments, two accounts.

    SQLite files by default. With KL_TEST_POSTGRES_URL and KL_TEST_POSTGRES_TRACKER_URL set (two
    throwaway databases, emptied per test) the same tests run against PostgreSQL.
    """
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    if os.environ.get("KL_TEST_POSTGRES_URL"):
        url = _fresh_postgres(os.environ["KL_TEST_POSTGRES_URL"])
        tracker_url = _fresh_postgres(os.environ["KL_TEST_POSTGRES_TRACKER_URL"])
        store.get_engine.cache_clear()
        monkeypatch.setenv("KL_DATABASE_URL", url)
        db.upgrade(url)
    monkeypatch.setenv("KL_TRACKER_DB_URL", tracker_url)
    monkeypatch.setenv("KL_RASA_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    conversations.tracker_engine.cache_clear()
    engine, tracker = store.get_engine(), conversations.tracker_engine()
    seeded = seed.seed_standard(tracker, engine)
    tokens = {}
    for name, role in (("berta", "consultant"), ("anton", "admin")):
        _user, tokens[role] = auth.create_user(name, role, PASSWORD, engine)
    yield Env(engine, tracker, tokens, seeded)
    engine.dispose()
    tracker.dispose()
    conversations.tracker_engine.cache_clear()
    store.get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture()
def client(review_env) -> TestClient:
    return TestClient(create_app())


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without CSRF token"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, follow: bool = True):
    page = client.get("/beratung/anmelden")
    return client.post(
        "/beratung/anmelden",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text), "weiter": "/beratung/"},
        follow_redirects=follow,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
