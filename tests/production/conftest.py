"""Fixtures of the production tests: PostgreSQL, Redis, nginx, two Rasa instances and two action
servers on loopback (deploy/local.py), started once per session and stopped afterwards."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local import ADVISOR_DB, TRACKER_DB, Ports, ProdLayout


class Prod:
    """The running layout and how to talk to it."""

    def __init__(self, layout: ProdLayout) -> None:
        self.layout = layout

    def post(self, url: str, sender: str, text: str) -> httpx.Response:
        return httpx.post(url, json={"sender": sender, "message": text}, timeout=90)

    def send(self, instance: int | str, sender: str, text: str) -> list[dict[str, Any]]:
        """instance: 0/1 for a Rasa instance directly, "nginx" for the load balancer."""
        base = self.layout.nginx_url if instance == "nginx" else self.layout.rasa_url(int(instance))
        response = self.post(f"{base}/webhooks/rest/webhook", sender, text)
        response.raise_for_status()
        return response.json()

    def chat(self, sender: str, text: str) -> httpx.Response:
        """Through the web app, like the widget."""
        return self.post(f"{self.layout.web_url}/chat", sender, text)

    def events(self, sender: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.layout.nginx_url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()["events"]

    def user_texts(self, sender: str) -> list[str]:
        return [e.get("text") or "" for e in self.events(sender) if e["event"] == "user"]

    def stored(self, sender: str) -> dict[str, Any] | None:
        from bot import store

        engine = store.get_engine(self.layout.db_url(ADVISOR_DB))
        return store.get_assessment(sender, engine=engine)

    def answers(self, sender: str) -> dict[str, Any]:
        row = self.stored(sender)
        return row["answers"] if row else {}


@pytest.fixture(scope="session")
def prod() -> Prod:
    if not shutil.which("redis-server") or not shutil.which("nginx"):
        pytest.fail("redis-server oder nginx fehlt: bitte `make setup` (installiert sie als root)")
    state = Path(tempfile.mkdtemp(prefix="kl-prod-"))
    state.chmod(0o755)  # PostgreSQL runs as the postgres user and must reach its data directory
    layout = ProdLayout(state=state, ports=Ports.free())
    try:
        layout.start()
        yield Prod(layout)
    finally:
        layout.stop()
        shutil.rmtree(state, ignore_errors=True)


__all__ = ["Prod", "TRACKER_DB"]
