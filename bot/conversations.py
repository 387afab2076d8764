"""Conversations as Rasa stored them: transcripts for review, deletion for privacy.

Reads and deletes rows of Rasa's SQL tracker store (table ``events``) directly with
SQLAlchemy, so the core needs no Rasa import. Deletion must happen between turns (from
the web app or the CLI), never inside an action: Rasa would write the events back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bot import store
from bot.settings import get_settings

SHOWN_EVENTS = ("user", "bot")


@cache
def tracker_engine(url: str | None = None) -> Engine:
    url = store.driver_url(url or get_settings().tracker_db_url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        return create_engine(url)
    connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, pool_timeout=10, connect_args=connect_args)


def _has_events_table(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("events")


def transcript(sender_id: str, engine: Engine | None = None) -> list[dict[str, Any]]:
    """User and bot turns in order: role, text, time, buttons and the user's intent."""
    engine = engine or tracker_engine()
    if not _has_events_table(engine):
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type_name, timestamp, data FROM events "
                "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
            ),
            {"sender": sender_id},
        )
        turns: list[dict[str, Any]] = []
        for type_name, timestamp, data in rows:
            event = json.loads(data or "{}")
            turn: dict[str, Any] = {
                "role": "nutzer" if type_name == "user" else "bot",
                "text": event.get("text") or "",
                "time": datetime.fromtimestamp(timestamp or 0, UTC).isoformat(timespec="seconds"),
            }
            if type_name == "user":
                turn["intent"] = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
                turn["channel"] = event.get("input_channel")
            else:
                bot_data = event.get("data") or {}
                turn["buttons"] = [b.get("title") for b in bot_data.get("buttons") or []]
                if bot_data.get("custom") and not turn["text"]:
                    continue  # progress payloads are for widgets, not for readers
            turns.append(turn)
        return turns


def forget(sender_id: str, tracker: Engine | None = None, advisor: Engine | None = None) -> dict[str, int]:
    """Delete the transcript (all tracker events) and the stored assessment of a sender."""
    tracker = tracker or tracker_engine()
    deleted_events = 0
    if _has_events_table(tracker):
        with tracker.begin() as conn:
            deleted_events = conn.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}
            ).rowcount
    deleted_assessment = int(store.delete_assessment(sender_id, engine=advisor))
    return {"events": deleted_events, "assessments": deleted_assessment}
