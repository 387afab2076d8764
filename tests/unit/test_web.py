"""The web app: demo page from this server only, and a German message when Rasa is down."""

from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web import create_app


def client() -> TestClient:
    return TestClient(create_app(Settings(rasa_url="http://127.0.0.1:9")))  # nothing listens


def test_demo_page_loads_only_local_assets():
    page = client().get("/")
    assert page.status_code == 200
    assert 'lang="de"' in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_chat_when_rasa_is_down_answers_in_german():
    response = client().post("/chat", json={"sender": "web-1", "message": "Hallo"})
    assert response.status_code == 503
    assert "nicht erreichbar" in response.json()[0]["text"]


def test_chat_rejects_odd_sender_ids():
    response = client().post("/chat", json={"sender": "../etc", "message": "Hallo"})
    assert response.status_code == 422
