"""Browser tests of the chat widget: real Rasa, action server and web app, Debian's Chromium.

One stack and one web app per session; every test gets a fresh browser context (empty
localStorage) and fails if the page asked any host other than 127.0.0.1.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.widget import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PageServer, start_web_app
from tests.integration.stack import ROOT, Stack, free_port, running_stack, stop

ARTIFACTS = ROOT / "tests" / "artifacts" / "widget"


@dataclass
class WidgetServer:
    stack: Stack
    base_url: str
    site: PageServer  # a second origin, listed in KL_WIDGET_ORIGINS, that embeds the widget
    proc: subprocess.Popen


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[WidgetServer]:
    with running_stack(tmp_path_factory.mktemp("widget-stack")) as stack:
        port = free_port()
        site = PageServer()  # the municipal website allowed to embed the widget
        proc = start_web_app(stack, port, {"KL_WIDGET_ORIGINS": site.origin})
        try:
            yield WidgetServer(stack, f"http://127.0.0.1:{port}", site, proc)
        finally:
            stop(proc)
            site.close()


@pytest.fixture(scope="module")  # not longer: only one Playwright (sync API) may run at a time
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium fehlt (/usr/bin/chromium). Bitte `make test-tools` als root ausführen oder "
            "`sudo apt-get install chromium chromium-driver`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Watched:
    """What a page did: every requested URL, dialogs (alert/confirm) and uncaught script errors."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if urlsplit(u).hostname not in ("127.0.0.1", None)]


def new_page(chromium, watched: Watched, viewport: dict[str, int] = DESKTOP, **context_args: Any):
    context = chromium.new_context(viewport=viewport, locale="de-DE", **context_args)
    context.set_default_timeout(90_000)  # a turn can take a while on a busy two-core machine
    page = context.new_page()
    page.on("request", lambda request: watched.requests.append(request.url))

    def on_dialog(dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return context, page


@pytest.fixture()
def watched() -> Watched:
    return Watched()


@pytest.fixture()
def page(chromium, watched):
    context, page = new_page(chromium, watched)
    yield page
    context.close()
    assert not watched.foreign_requests(), f"requests to other hosts: {watched.foreign_requests()}"
    assert not watched.dialogs, f"unexpected dialogs: {watched.dialogs}"
    assert not watched.errors, f"script errors: {watched.errors}"


@pytest.fixture()
def stored(server):
    from bot import store

    engine = store.get_engine(server.stack.database_url)
    return lambda sender: store.get_assessment(sender, engine=engine)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
