"""Test data for the review: Rasa's `events` table and stored assessments, written directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from bot import store
from bot.advisor import evaluate

EVENTS_DDL = (
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT)"
)

SMALL_CAUTIOUS = {
    "kommune_name": "Musterdorf",
    "kommune_art": "gemeinde",
    "einwohner": 6000,
    "bundesland": "BY",
    "ziele_top3": ["rechtliche_vorgaben", "foerdermittel", "it_sicherheit"],
    "handlungsfelder_top3": ["verwaltung", "digitale_infrastruktur"],
    "strategie_status": "keine",
    "steuerung": ["it"],
    "basiskomponenten": ["e_payment"],
    "ozg_stand": "einzelne",
    "fim": "unbekannt",
    "wissen": "gering",
    "lotsen": "nein",
    "projekte": "keine",
}
BIG_CITY = {
    "kommune_name": "Großstadt am Fluss",
    "kommune_art": "stadt",
    "einwohner": 250000,
    "bundesland": "NW",
    "ziele_top3": ["daseinsvorsorge", "gemeinschaft"],
    "handlungsfelder_top3": ["gesundheit_pflege", "mobilitaet"],
    "strategie_status": "vorhanden",
    "steuerung": ["cdo"],
    "basiskomponenten": ["e_payment", "servicekonto", "e_akte"],
    "ozg_stand": "viele",
    "fim": "genutzt",
    "wissen": "fortgeschritten",
    "lotsen": "ja",
    "projekte": "mehrere_laufend",
    "glasfaser": "aktiv",
}
MID_TOWN = {
    "kommune_name": "Mittelstadt",
    "kommune_art": "stadt",
    "einwohner": 30000,
    "bundesland": "BW",
    "ziele_top3": ["effizienz", "kosten_personal"],
    "handlungsfelder_top3": ["verwaltung"],
    "strategie_status": "in_entwicklung",
    "steuerung": ["organisation", "hvb"],
    "basiskomponenten": ["formularserver"],
    "ozg_stand": "einzelne",
    "fim": "bekannt",
    "wissen": "grundlagen",
    "lotsen": "in_ausbildung",
    "projekte": "ideen",
}


def create_events_table(engine: Engine) -> None:
    ddl = EVENTS_DDL
    if engine.dialect.name == "postgresql":
        ddl = ddl.replace("id INTEGER PRIMARY KEY", "id SERIAL PRIMARY KEY")
    with engine.begin() as conn:
        conn.execute(text(ddl))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)"))


def add_turns(engine: Engine, sender_id: str, turns: list[tuple[str, str, list[str]]], start: float) -> None:
    """turns: (role 'user' or 'bot', text, button titles); one second apart from `start`."""
    rows = []
    for n, (role, words, buttons) in enumerate(turns):
        stamp = start + n
        if role == "user":
            data = {
                "event": "user",
                "timestamp": stamp,
                "text": words,
                "input_channel": "rest",
                "parse_data": {"intent": {"name": "inform", "confidence": 0.9}, "text": words},
            }
            intent, action = "inform", None
        else:
            data = {
                "event": "bot",
                "timestamp": stamp,
                "text": words,
                "data": {"buttons": [{"title": b, "payload": f"/{b}"} for b in buttons]},
            }
            intent, action = None, None
        rows.append(
            {
                "sender": sender_id,
                "type": role,
                "ts": stamp,
                "intent": intent,
                "action": action,
                "data": json.dumps(data, ensure_ascii=False),
            }
        )
    rows.append(
        {
            "sender": sender_id,
            "type": "action",
            "ts": start + len(turns),
            "intent": None,
            "action": "action_listen",
            "data": json.dumps({"event": "action", "name": "action_listen"}),
        }
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES (:sender, :type, :ts, :intent, :action, :data)"
            ),
            rows,
        )


def seed_assessment(
    sender_id: str,
    answers: dict[str, Any],
    *,
    channel: str = "rest",
    completed: bool = True,
    started_at: datetime | None = None,
    handover: bool = False,
    deletion_requested: bool = False,
    engine: Engine | None = None,
) -> dict[str, Any]:
    engine = engine or store.get_engine()
    if completed:
        store.save_result(sender_id, channel, answers, evaluate(answers), engine=engine)
    else:
        store.save_answers(sender_id, channel, answers, engine=engine)
    values: dict[str, Any] = {}
    if started_at is not None:
        values["started_at"] = started_at
        values["updated_at"] = started_at + timedelta(minutes=10)
    if handover:
        values["handover_requested_at"] = datetime.now(UTC)
        values["handover_contact"] = "it@musterdorf.example"
    if deletion_requested:
        values["deletion_requested_at"] = datetime.now(UTC)
    if values:
        with Session(engine) as session, session.begin():
            session.execute(
                update(store.Assessment).where(store.Assessment.sender_id == sender_id).values(**values)
            )
    return store.get_assessment(sender_id, engine=engine)


def conversation_for(answers: dict[str, Any], extra_user_text: str = "") -> list[tuple[str, str, list[str]]]:
    """A plausible transcript: greeting, the questions with buttons, the user's answers."""
    turns: list[tuple[str, str, list[str]]] = [
        ("user", "Hallo", []),
        ("bot", "Guten Tag! Ich bin der Kommunallotse.", []),
    ]
    if answers.get("kommune_name"):
        turns += [("bot", "Wie heißt Ihre Kommune?", []), ("user", str(answers["kommune_name"]), [])]
    turns += [
        (
            "bot",
            "Ist Ihre Kommune eine Gemeinde, eine Stadt oder ein Landkreis?",
            ["Gemeinde", "Stadt", "Landkreis"],
        ),
        ("user", str(answers.get("kommune_art", "weiß nicht")), []),
        ("bot", "Wie viele Einwohner hat Ihre Kommune?", []),
        ("user", f"so um die {answers.get('einwohner', 'keine Ahnung')}", []),
    ]
    if extra_user_text:
        turns.append(("user", extra_user_text, []))
    turns.append(("bot", "Danke, hier ist Ihr Ergebnis.", []))
    return turns


def seed_standard(tracker: Engine, engine: Engine | None = None) -> dict[str, dict[str, Any]]:
    """Three assessments (two completed, one open) with transcripts, in different months."""
    create_events_table(tracker)
    made = {}
    specs = [
        (
            "dorf-1",
            SMALL_CAUTIOUS,
            dict(started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), handover=True),
            "Wir planen den Glasfaserausbau im Ortsteil",
        ),
        (
            "stadt-2",
            BIG_CITY,
            dict(started_at=datetime(2026, 4, 15, 14, 0, tzinfo=UTC), channel="socketio"),
            "Unser Mängelmelder läuft seit 2021",
        ),
        (
            "mitte-3",
            MID_TOWN,
            dict(
                started_at=datetime(2026, 5, 20, 8, 0, tzinfo=UTC), completed=False, deletion_requested=True
            ),
            "Bitte löschen Sie später alles",
        ),
    ]
    for sender_id, answers, options, extra in specs:
        made[sender_id] = seed_assessment(sender_id, answers, engine=engine, **options)
        add_turns(tracker, sender_id, conversation_for(answers, extra), options["started_at"].timestamp())
    return made
