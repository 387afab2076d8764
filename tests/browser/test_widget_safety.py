"""Bot and user text cannot inject markup; the widget talks to nobody but its server; CORS embedding."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page
from tests.browser.widget import (
    PageServer,
    bot_texts,
    embed_page,
    launcher,
    open_widget,
    type_message,
    user_texts,
    wait_for_question,
    wait_idle,
)

pytestmark = pytest.mark.browser

ATTACK = "<img src=x onerror=alert(1)>"


def test_markup_in_user_and_bot_text_is_shown_literally(server, page, watched):
    open_widget(page, server.base_url)
    type_message(page, ATTACK)
    assert user_texts(page)[-1] == ATTACK
    expect(page.locator(".kl-msg-user .kl-bubble").last).to_have_text(ATTACK)

    # a bot reply with markup, a script link and the allowed Markdown subset
    crafted = [
        {
            "text": f"{ATTACK} **fett** und *kursiv*, Bericht: https://127.0.0.1/bericht/x. "
            "[böse](javascript:alert(2)) <script>alert(3)</script>"
        },
        {"text": "Bitte wählen:", "buttons": [{"title": ATTACK, "payload": "Gemeinde"}]},
    ]
    page.route(
        "**/chat",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(crafted)),
    )
    type_message(page, "Zeig mal")
    page.unroute("**/chat")
    bubble = page.locator(".kl-msg-bot .kl-bubble").nth(-2)
    expect(bubble).to_contain_text(ATTACK)
    expect(bubble).to_contain_text("<script>alert(3)</script>")
    expect(bubble.locator("strong")).to_have_text("fett")
    expect(bubble.locator("em")).to_have_text("kursiv")
    links = bubble.locator("a")
    expect(links).to_have_count(1)
    assert links.first.get_attribute("href") == "https://127.0.0.1/bericht/x"
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    assert "[böse](javascript:alert(2))" in bubble.inner_text()
    expect(page.locator(".kl-choices button")).to_have_text(ATTACK)

    assert page.locator(".kl-root img, .kl-root script").count() == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0

    page.reload()  # the stored user text comes back from the tracker, still as text
    launcher(page).click()
    expect(page.locator(".kl-msg-user .kl-bubble").first).to_have_text(ATTACK)
    wait_idle(page)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert not watched.dialogs
    assert not watched.errors


def test_only_the_own_server_is_asked(server, page, watched):
    open_widget(page, server.base_url)
    type_message(page, "Kurzcheck starten")
    wait_for_question(page, "kommune_art")
    assert watched.requests, "requests were recorded"
    assert not watched.foreign_requests()
    paths = {r.split("127.0.0.1", 1)[1].split("/", 1)[1] for r in watched.requests}
    assert "static/widget/kommunallotse.css" in paths  # the stylesheet comes from the script's server


def test_embedding_on_an_allowed_origin(server, chromium, watched):
    server.site.pages["/rathaus.html"] = embed_page(server.base_url, title="Kommunallotse", color="#0b5394")
    context, page = new_page(chromium, watched)
    page.goto(f"{server.site.origin}/rathaus.html")
    launcher(page).click()
    expect(page.locator(".kl-msg-bot").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    type_message(page, "Kurzcheck starten")
    wait_for_question(page, "kommune_art")
    assert any("Gemeinde" in t for t in bot_texts(page))
    context.close()
    assert not watched.foreign_requests()
    assert not watched.errors


def test_embedding_elsewhere_is_refused_politely(server, chromium, watched):
    other = PageServer()  # an origin that is not in KL_WIDGET_ORIGINS
    other.pages["/rathaus.html"] = embed_page(server.base_url)
    try:
        context, page = new_page(chromium, watched)
        page.goto(f"{other.origin}/rathaus.html")
        launcher(page).click()
        expect(page.locator(".kl-error")).to_contain_text("Verbindung zum Kommunallotsen", timeout=90_000)
        context.close()
    finally:
        other.close()
