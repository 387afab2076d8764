"""The widget's endpoints: history after a reload, deletion by the visitor, CORS for embedding sites."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bot import conversations
from bot.settings import Settings, load_settings
from bot.web import create_app

SENDER = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"

OFFER = {
    "text": "Wollen wir beginnen?",
    "buttons": [
        {"title": "Kurzcheck starten", "payload": "/start_check"},
        {"title": "Was speichern Sie?", "payload": "/ask_privacy"},
    ],
}
SIZE_QUESTION = {
    "text": "Wie viele Einwohnerinnen und Einwohner hat Ihre Kommune ungefähr?",
    "buttons": [{"title": "unter 5.000", "payload": "ca. 3000"}],
    "custom": {"kommunallotse": {"question_id": "einwohner", "step": 2, "total": 13, "kind": "number"}},
}
GOALS_QUESTION = {
    "text": "Was soll die Digitalisierung bei Ihnen vor allem erreichen?",
    "buttons": [{"title": "Fördermittel", "payload": "Fördermittel"}],
    "custom": {
        "kommunallotse": {
            "question_id": "ziele_top3",
            "step": 4,
            "total": 13,
            "kind": "multi",
            "max_choices": 3,
        }
    },
}


def _events(sender: str, turns: list[tuple[str, dict]]) -> list[dict]:
    rows = []
    for n, (kind, body) in enumerate(turns):
        if kind == "user":
            data = {"event": "user", "text": body["text"], "parse_data": {"intent": {"name": "inform"}}}
        else:
            data = {
                "event": "bot",
                "text": body.get("text"),
                "data": {k: v for k, v in body.items() if k != "text"},
            }
        rows.append({"sender": sender, "type": kind, "ts": 1_700_000_000 + n, "data": json.dumps(data)})
    return rows


@pytest.fixture()
def app_client(tmp_path, temp_db):
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(tracker_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
                " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
            )
        )
        rows = _events(
            SENDER,
            [
                ("user", {"text": "/greet"}),
                ("bot", {"text": "Guten Tag! Ich bin der **Kommunallotse**."}),
                ("bot", OFFER),
                ("user", {"text": "/start_check"}),
                ("bot", {"text": "Ist sie eine Gemeinde, eine Stadt oder ein Landkreis?"}),
                ("user", {"text": "Gemeinde"}),
                ("bot", SIZE_QUESTION),
                ("user", {"text": "ca. 3000"}),
                ("bot", GOALS_QUESTION),
            ],
        ) + _events(OTHER, [("user", {"text": "/greet"}), ("bot", OFFER), ("user", {"text": "Hallo"})])
        conn.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "VALUES (:sender, :type, :ts, :data)"
            ),
            rows,
        )
    settings = Settings(rasa_url="http://127.0.0.1:9", tracker_db_url=tracker_url, database_url=temp_db)
    yield TestClient(create_app(settings))
    conversations.tracker_engine.cache_clear()


def test_history_shows_turns_open_choices_and_progress(app_client):
    response = app_client.get(f"/chat/{SENDER}/verlauf")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["turns"][0] == {"role": "bot", "text": "Guten Tag! Ich bin der **Kommunallotse**."}
    said = [turn["text"] for turn in body["turns"] if turn["role"] == "nutzer"]
    # the start message is hidden, clicked buttons show their titles, typed text stays as typed
    assert said == ["Kurzcheck starten", "Gemeinde", "unter 5.000"]
    assert body["progress"] == {
        "question_id": "ziele_top3",
        "step": 4,
        "total": 13,
        "kind": "multi",
        "max_choices": 3,
    }
    assert body["choices"] == {
        "buttons": [{"title": "Fördermittel", "payload": "Fördermittel"}],
        "kind": "multi",
        "max_choices": 3,
    }


def test_history_drops_answered_choices(app_client):
    body = app_client.get(f"/chat/{OTHER}/verlauf").json()
    assert body["choices"] is None and body["progress"] is None
    assert [t["role"] for t in body["turns"]] == ["bot", "nutzer"]


def test_unknown_conversation_is_empty(app_client):
    body = app_client.get(f"/chat/{'a' * 32}/verlauf").json()
    assert body == {"turns": [], "choices": None, "progress": None}


@pytest.mark.parametrize("sender", ["kurz", "gemeinde-musterstadt", "../" + "a" * 32, "a" * 129])
def test_short_or_odd_ids_are_refused(app_client, sender):
    assert app_client.get(f"/chat/{sender}/verlauf").status_code in (404, 422)
    assert app_client.delete(f"/chat/{sender}").status_code in (404, 405, 422)


def test_delete_removes_only_this_conversation(app_client):
    response = app_client.delete(f"/chat/{SENDER}")
    assert response.status_code == 200
    assert response.json()["events"] == 9
    assert app_client.get(f"/chat/{SENDER}/verlauf").json()["turns"] == []
    assert app_client.get(f"/chat/{OTHER}/verlauf").json()["turns"] != []


def test_demo_page_embeds_the_widget_with_one_script_tag():
    page = TestClient(create_app(Settings(rasa_url="http://127.0.0.1:9"))).get("/")
    assert page.text.count("<script") == 1
    assert 'src="/static/widget/kommunallotse.js"' in page.text


def test_widget_assets_are_served():
    client = TestClient(create_app(Settings(rasa_url="http://127.0.0.1:9")))
    script = client.get("/static/widget/kommunallotse.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text
    assert client.get("/static/widget/kommunallotse.css").status_code == 200


def test_cors_only_for_configured_origins():
    preflight = {
        "Origin": "https://www.lindenau.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    closed = TestClient(create_app(Settings(rasa_url="http://127.0.0.1:9")))
    assert "access-control-allow-origin" not in closed.options("/chat", headers=preflight).headers

    settings = load_settings({"KL_WIDGET_ORIGINS": "https://www.lindenau.example, https://lindenau.example/"})
    assert settings.widget_origins == ["https://www.lindenau.example", "https://lindenau.example"]
    opened = TestClient(create_app(settings))
    response = opened.options("/chat", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://www.lindenau.example"
    other = opened.options("/chat", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_widget_origins_must_be_origins():
    with pytest.raises(ValueError, match="KL_WIDGET_ORIGINS"):
        load_settings({"KL_WIDGET_ORIGINS": "https://ok.example, *"})
