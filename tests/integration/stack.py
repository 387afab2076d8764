"""The real Rasa server and action server on loopback, for integration tests and benchmarks.

Each stack gets its own tracker database and assessment database under a temporary
directory; `running_stack` stops the servers when it is left.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "rasa" / "current.tar.gz"
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: a server exited with {proc.returncode}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not come up within {seconds} s")


@dataclass
class Stack:
    """The running servers and how to talk to them like a channel does."""

    rasa_url: str
    action_url: str
    database_url: str
    tracker_db_url: str
    tmp: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    credentials: Path = ROOT / "credentials.yml"

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()["events"]


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def asked_question(messages: list[dict[str, Any]]) -> str | None:
    """The question id of the last question in a reply (from the progress payload)."""
    ids = [
        m["custom"]["kommunallotse"]["question_id"]
        for m in messages
        if isinstance(m.get("custom"), dict)
        and "question_id" in m["custom"].get("kommunallotse", {})
    ]
    return ids[-1] if ids else None


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def start_action_server(stack: Stack) -> subprocess.Popen:
    port = stack.action_url.rsplit(":", 1)[1].split("/")[0]
    proc = _start(
        [sys.executable, "-m", "actions.server", "--actions", "actions", "--port", port],
        stack.env,
        stack.tmp / "actions.log",
    )
    stack.procs["actions"] = proc
    wait_until(
        lambda: (
            httpx.get(stack.action_url.replace("/webhook", "/health"), timeout=2).status_code == 200
        ),
        60,
        "action server",
        [proc],
    )
    return proc


def start_rasa(stack: Stack) -> subprocess.Popen:
    port = stack.rasa_url.rsplit(":", 1)[1]
    proc = _start(
        [
            str(RASA_BIN),
            "run",
            "--model",
            str(MODEL),
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            port,
            "--endpoints",
            str(stack.tmp / "endpoints.yml"),
            "--credentials",
            str(stack.credentials),
        ],
        stack.env,
        stack.tmp / "rasa.log",
    )
    stack.procs["rasa"] = proc
    wait_until(
        lambda: httpx.get(f"{stack.rasa_url}/status", timeout=2).status_code == 200,
        STARTUP_SECONDS,
        "Rasa server",
        [proc],
    )
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_stack(tmp: Path, credentials: Path | None = None) -> Iterator[Stack]:
    """Start action server and Rasa with fresh databases in `tmp`; stop them afterwards.

    `credentials` replaces credentials.yml, e.g. to load a channel configured for a test.
    """
    if not MODEL.exists() or not RASA_BIN.exists():
        raise RuntimeError("Rasa model or venv missing: run `make setup` first")
    database_url = f"sqlite:///{tmp / 'kommunallotse.db'}"
    action_port, rasa_port = free_port(), free_port()
    (tmp / "endpoints.yml").write_text(
        json.dumps(
            {
                "action_endpoint": {
                    "url": f"http://127.0.0.1:{action_port}/webhook",
                    "enable_selective_domain": True,
                },
                "tracker_store": {
                    "type": "deploy.rasa_tracker_store.PrePingSQLTrackerStore",
                    "dialect": "sqlite",
                    "db": str(tmp / "tracker.db"),
                },
            }
        )
    )
    env = {
        **os.environ,
        "KL_DATABASE_URL": database_url,
        "KL_TRACKER_DB_URL": f"sqlite:///{tmp / 'tracker.db'}",
        "SANIC_HOST": "127.0.0.1",
        "ACTION_SERVER_SANIC_WORKERS": "1",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True)
    sqlite3.connect(tmp / "tracker.db").execute("PRAGMA journal_mode=WAL").close()
    stack = Stack(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}/webhook",
        database_url=database_url,
        tracker_db_url=f"sqlite:///{tmp / 'tracker.db'}",
        tmp=tmp,
        env=env,
        credentials=credentials or ROOT / "credentials.yml",
    )
    try:
        start_action_server(stack)
        start_rasa(stack)
        yield stack
    finally:
        for proc in stack.procs.values():
            stop(proc)
