"""Shared fixtures: an isolated database per test, so tests never touch var/."""

from __future__ import annotations

import pytest

from bot import db, store
from bot.settings import get_settings


@pytest.fixture()
def temp_db(tmp_path, monkeypatch):
    """A migrated SQLite database in tmp_path, used by bot.store for this test."""
    url = f"sqlite:///{tmp_path / 'kommunallotse.db'}"
    monkeypatch.setenv("KL_DATABASE_URL", url)
    get_settings.cache_clear()
    store.get_engine.cache_clear()
    db.upgrade(url)
    yield url
    store.get_engine.cache_clear()
    get_settings.cache_clear()
