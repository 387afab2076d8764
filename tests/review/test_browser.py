"""The review UI in Debian's headless Chromium: login, filter, detail, confirm type, export.

The web app runs with uvicorn on a free loopback port against a temp database seeded with a few
assessments and transcripts; no Rasa is needed for the review pages.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot import db, store
from bot.review import auth
from tests.review import seed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
PASSWORD = "browser-passwort-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def review_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'advisor.db'}"
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    db.upgrade(url)
    engine, tracker = store.get_engine(url), create_engine(tracker_url)
    seed.seed_standard(tracker, engine)
    auth.create_user("berta", "consultant", PASSWORD, engine)
    port = free_port()
    env = {
        **os.environ,
        "KL_DATABASE_URL": url,
        "KL_TRACKER_DB_URL": tracker_url,
        "KL_RASA_URL": "http://127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bot.web:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"web app did not start: {(tmp_path / 'web.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield base, engine
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        store.get_engine.cache_clear()


@pytest.fixture()
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium fehlt (/usr/bin/chromium): `apt-get install chromium chromium-driver`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def test_login_filter_detail_confirm_export(review_server, browser, tmp_path):
    base, engine = review_server
    context = browser.new_context(
        locale="de-DE", accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # login (the list redirects to the login form first)
    page.goto(f"{base}/beratung/")
    assert "/beratung/anmelden" in page.url
    page.get_by_label("Name").fill("berta")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{base}/beratung/")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 3

    # filter by Land, then search the transcripts
    page.get_by_label("Land").select_option("NW")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_url("**bundesland=NW**")
    assert rows.count() == 1 and "Großstadt am Fluss" in rows.first.inner_text()
    page.get_by_role("link", name="Filter zurücksetzen").click()
    page.get_by_label("Suche im Gesprächsverlauf").fill("Glasfaser")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_url("**q=Glasfaser**")
    assert rows.count() == 1 and "Musterdorf" in rows.first.inner_text()
    page.screenshot(path=str(tmp_path / "liste.png"), full_page=True)

    # detail page: transcript, charts; confirm the type
    page.get_by_role("link", name="Musterdorf").click()
    page.wait_for_url("**/beratung/einschaetzung/dorf-1")
    assert page.get_by_text("Wir planen den Glasfaserausbau im Ortsteil").is_visible()
    assert page.locator("svg.chart").count() == 2
    page.get_by_label("Typ bestätigen oder korrigieren").select_option("optimierer")
    page.get_by_role("button", name="Typ speichern").click()
    page.wait_for_url("**hinweis=typ**")
    assert page.get_by_role("status").inner_text().startswith("Der bestätigte Typ wurde gespeichert")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    with engine.connect() as conn:
        confirmed = conn.execute(
            text("SELECT confirmed_typ FROM assessments WHERE sender_id = 'dorf-1'")
        ).scalar()
    assert confirmed == "optimierer"

    # export the list as CSV
    page.get_by_role("link", name="← Zur Liste").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("kommunallotse-einschaetzungen-")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("sender_id,") and "dorf-1" in content and "optimierer" in content

    # statistics render too; nothing was fetched from another host, no script errors
    page.get_by_role("link", name="Statistik", exact=True).click()
    assert page.locator("svg.chart").count() == 5
    assert not [u for u in requested if urlsplit(u).hostname != "127.0.0.1"]
    assert not errors
    context.close()
