"""The web chat widget's view of a conversation: what a visitor sees again after a reload.

The turns come from `bot.conversations.transcript` (Rasa's tracker store). On top of that the
widget needs what a reader of the transcript does not: the quick replies of the bot's last
reply with their payloads (so the visitor can go on clicking) and the last progress payload
(so the progress bar is back). Both are read from the same tracker events.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, inspect, text

from bot import conversations

# What the widget sends to open a conversation; it is not shown as a turn of the visitor.
START_MESSAGE = "/greet"
PROGRESS_KEYS = ("question_id", "step", "total", "kind", "max_choices")


def _progress_of(custom: Any) -> dict[str, Any] | None:
    data = custom.get("kommunallotse") if isinstance(custom, dict) else None
    if not isinstance(data, dict):
        return None
    if "question_id" in data:
        return {key: data.get(key) for key in PROGRESS_KEYS}
    if "result" in data:
        return {"done": True}
    return None


def _open_state(sender_id: str, engine: Engine) -> tuple[dict[str, Any] | None, dict | None, dict]:
    """The unanswered quick replies, the last progress and the titles of all button payloads."""
    choices: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    titles: dict[str, str] = {}
    if not inspect(engine).has_table("events"):
        return choices, progress, titles
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type_name, data FROM events "
                "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
            ),
            {"sender": sender_id},
        )
        for type_name, data in rows:
            if type_name == "user":
                choices = None  # answered: the widget drops quick replies once the visitor speaks
                continue
            bot_data = json.loads(data or "{}").get("data") or {}
            event_progress = _progress_of(bot_data.get("custom"))
            if event_progress is not None:
                progress = event_progress
            buttons = [
                {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
                for b in bot_data.get("buttons") or []
                if isinstance(b, dict)
            ]
            if buttons:
                titles.update({b["payload"]: b["title"] for b in buttons if b["title"]})
                kind = (event_progress or {}).get("kind") or "single"
                max_choices = (event_progress or {}).get("max_choices")
                choices = {"buttons": buttons, "kind": kind, "max_choices": max_choices}
    return choices, progress, titles


def history(sender_id: str, engine: Engine | None = None) -> dict[str, Any]:
    """The visible conversation: turns (role "nutzer" or "bot", text), open quick replies, progress.

    A clicked button shows as its title, as it did in the widget, not as its payload.
    """
    engine = engine or conversations.tracker_engine()
    choices, progress, titles = _open_state(sender_id, engine)
    turns: list[dict[str, str]] = []
    for turn in conversations.transcript(sender_id, engine=engine):
        said = turn.get("text") or ""
        if turn["role"] == "nutzer":
            if not said or said == START_MESSAGE:
                continue
            turns.append({"role": "nutzer", "text": titles.get(said, said)})
        elif said:
            turns.append({"role": "bot", "text": said})
    return {"turns": turns, "choices": choices, "progress": progress}
