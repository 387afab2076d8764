"""The web chat widget: bytes shipped, time to the greeting in headless Chromium, axe-core findings.

Starts the real Rasa server, action server and web app on loopback. The greeting time runs
from the start of the navigation of the demo page to the moment the bot's first message is in
the page (the launcher is clicked as soon as the page has loaded), median of fresh contexts.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import record  # noqa: E402
from tests.browser.widget import (  # noqa: E402
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    launcher,
    run_axe,
    start_web_app,
    wait_idle,
)
from tests.integration.stack import ROOT, free_port, running_stack, stop  # noqa: E402

ASSETS = [ROOT / "bot/static/widget/kommunallotse.js", ROOT / "bot/static/widget/kommunallotse.css"]
IMPACTS = ("critical", "serious", "moderate", "minor")

# records when the bot's first message enters the page, in ms since the navigation started
WATCH_GREETING = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('.kl-msg-bot')) {
    window.__klGreeting = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def shipped() -> dict[str, int]:
    raw = b"".join(path.read_bytes() for path in ASSETS)
    zipped = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in ASSETS)
    return {"raw": len(raw), "gzip": zipped}


def time_to_greeting(browser, base_url: str) -> tuple[float, float]:
    """(ms from navigation start to the greeting, ms of which the POST /chat took).

    Demo page loaded, launcher clicked as soon as the page has loaded, greeting in the DOM.
    """
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    page = context.new_page()
    page.add_init_script(WATCH_GREETING)
    page.goto(base_url)
    launcher(page).click()
    page.wait_for_function("window.__klGreeting !== undefined", timeout=120_000)
    total = page.evaluate("window.__klGreeting")
    chat = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.endsWith('/chat'))"
        ".map(e => e.duration)[0] || 0"
    )
    context.close()
    return total, chat


def axe_counts(browser, base_url: str, viewport: dict[str, int]) -> dict[str, int]:
    """Violations on the demo page with the panel open at the first question."""
    context = browser.new_context(viewport=viewport, locale="de-DE")
    page = context.new_page()
    page.goto(base_url)
    launcher(page).click()
    page.locator(".kl-choices").first.wait_for(timeout=120_000)
    wait_idle(page)
    page.locator(".kl-choices button", has_text="Kurzcheck starten").click()
    page.locator('.kl-progress[data-question="kommune_art"]').wait_for(timeout=120_000)
    wait_idle(page)
    violations = run_axe(page, AXE)
    context.close()
    counts = {impact: 0 for impact in IMPACTS}
    for violation in violations:
        counts[violation.get("impact") or "minor"] += 1
        print(f"  [{violation.get('impact')}] {violation['id']}: {violation['help']}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    size = shipped()
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        port = free_port()
        web = start_web_app(stack, port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                time_to_greeting(browser, base_url)  # warm-up: first turn loads Rasa's caches
                runs = [time_to_greeting(browser, base_url) for _ in range(args.runs)]
                print("axe-core, Desktop:")
                desktop = axe_counts(browser, base_url, DESKTOP)
                print("axe-core, Telefon:")
                phone = axe_counts(browser, base_url, PHONE)
                browser.close()
        finally:
            stop(web)
    totals, chats = [r[0] for r in runs], [r[1] for r in runs]

    def fmt(counts: dict[str, int]) -> str:
        return ", ".join(f"{impact} {counts[impact]}" for impact in IMPACTS)

    figures = {
        "Ausgeliefert (JS + CSS, roh)": f"{size['raw'] / 1024:.1f} KiB ({size['raw']} Bytes)",
        "Ausgeliefert (JS + CSS, gzip -9)": f"{size['gzip'] / 1024:.1f} KiB ({size['gzip']} Bytes)",
        "Seitenaufruf bis Begrüßung sichtbar (Median)": f"{statistics.median(totals):.0f} ms",
        "davon Antwort von /chat (Median)": f"{statistics.median(chats):.0f} ms",
        "Seitenaufruf bis Begrüßung (min–max)": f"{min(totals):.0f}–{max(totals):.0f} ms",
        "axe-core Desktop 1280×800": fmt(desktop),
        "axe-core Telefon 375×667": fmt(phone),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    record(
        name="widget",
        title="Web-Widget",
        figures=figures,
        notes=(
            f"Headless Chromium ({CHROMIUM}), je Lauf ein frischer Browserkontext, {args.runs} Läufe nach "
            "einem Aufwärmlauf: Demoseite aufrufen, nach dem Laden den Startknopf klicken, gemessen vom "
            "Beginn der Navigation bis zur ersten Bot-Nachricht im DOM (echter Rasa- und Aktionsserver). "
            "axe-core mit allen Standardregeln auf der Demoseite, Chat offen bei der ersten Frage."
        ),
    )


if __name__ == "__main__":
    main()
