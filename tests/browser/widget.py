"""Helpers to drive the chat widget like a visitor does (Playwright, sync API)."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.integration.stack import ROOT, Stack, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
LAUNCHER = "Kommunallotse – Chat öffnen"
SLOW = 90_000  # ms; one turn can take long on a busy machine


def start_web_app(stack: Stack, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**stack.env, "KL_RASA_URL": stack.rasa_url, **(extra_env or {})}
    log = (stack.tmp / f"web-{port}.log").open("w")
    cmd = [sys.executable, "-m", "uvicorn", "bot.web:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_until(
        lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
        60,
        "web app",
        [proc],
    )
    return proc


class PageServer:
    """A website on its own loopback origin that embeds the widget (pages: path -> HTML).

    A real server, not page.route: Chromium only lets loopback pages talk to loopback servers.
    """

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = pages.get(self.path.split("?", 1)[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "nicht gefunden").encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def embed_page(base_url: str, **data: str) -> str:
    """A municipal page that embeds the widget of `base_url` with one script tag."""
    attrs = "".join(f' data-{name.replace("_", "-")}="{value}"' for name, value in data.items())
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Gemeinde Beispiel</title></head>'
        "<body><main><h1>Gemeinde Beispiel</h1><p>Willkommen im Rathaus.</p></main>"
        f'<script src="{base_url}/static/widget/kommunallotse.js" data-server-url="{base_url}"{attrs} defer>'
        "</script></body></html>"
    )


def launcher(page: Page) -> Locator:
    return page.get_by_role("button", name=LAUNCHER)


def panel(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Kommunallotse – Chat")


def log(page: Page) -> Locator:
    return page.get_by_role("log")


def progress(page: Page) -> Locator:
    return page.get_by_role("progressbar")


def wait_idle(page: Page) -> None:
    """Until the bot has answered (the typing indicator is gone)."""
    expect(page.locator(".kl-typing-on")).to_have_count(0, timeout=SLOW)


def open_widget(page: Page, base_url: str) -> None:
    page.goto(base_url)
    launcher(page).click()
    expect(panel(page)).to_be_visible()
    expect(page.locator(".kl-msg-bot").first).to_be_visible(timeout=SLOW)
    wait_idle(page)


def sender_id(page: Page) -> str | None:
    return page.evaluate("localStorage.getItem('kommunallotse.sender')")


def question(page: Page) -> str | None:
    """The question the bot is asking now (from the progress payload the widget shows)."""
    bar = progress(page)
    return bar.get_attribute("data-question") if bar.is_visible() else None


def wait_for_question(page: Page, question_id: str) -> None:
    expect(page.locator(f'.kl-progress[data-question="{question_id}"]')).to_be_visible(timeout=SLOW)
    wait_idle(page)


def choice(page: Page, title: str) -> Locator:
    return page.locator(".kl-choices").get_by_role("button", name=title, exact=True)


def click_choice(page: Page, title: str) -> None:
    choice(page, title).click()
    wait_idle(page)


def choose_many(page: Page, titles: list[str]) -> None:
    for title in titles:
        toggle = choice(page, title)
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Auswahl senden").click()
    wait_idle(page)


def type_message(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Ihre Nachricht an den Kommunallotsen")
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def user_texts(page: Page) -> list[str]:
    return page.locator(".kl-msg-user .kl-bubble").all_inner_texts()


def bot_texts(page: Page) -> list[str]:
    return page.locator(".kl-msg-bot .kl-bubble").all_inner_texts()


def run_axe(page: Page, axe_path: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_path))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def report_violations(name: str, violations: list[dict[str, Any]]) -> str:
    order = ["critical", "serious", "moderate", "minor"]
    lines = [f"axe-core ({name}): {len(violations)} Verstöße"]
    for impact in order:
        for v in (v for v in violations if v.get("impact") == impact):
            targets = ", ".join(str(node["target"]) for node in v["nodes"][:5])
            lines.append(f"  [{impact}] {v['id']}: {v['help']} ({len(v['nodes'])}x: {targets})")
    return "\n".join(lines)


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb_of(css: str) -> tuple[int, int, int]:
    """'rgb(11, 83, 148)' or 'rgba(…)' -> (11, 83, 148)."""
    parts = css[css.index("(") + 1 : css.index(")")].split(",")
    r, g, b = (int(float(p)) for p in parts[:3])
    return r, g, b
