"""Accessibility of the widget (BITV 2.0 / WCAG 2.1 AA): keyboard, axe-core, zoom, phone, colours, motion."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page
from tests.browser.widget import (
    AXE,
    DESKTOP,
    PHONE,
    choice,
    click_choice,
    contrast,
    launcher,
    log,
    open_widget,
    panel,
    progress,
    report_violations,
    rgb_of,
    run_axe,
    user_texts,
    wait_for_question,
    wait_idle,
)

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")


def press_until_focused(page, key: str, target, presses: int = 40) -> None:
    for _ in range(presses):
        page.keyboard.press(key)
        if target.evaluate("e => e === document.activeElement"):
            return
    pytest.fail(f"{key} does not reach {target}")


def test_keyboard_only(server, page):
    page.goto(server.base_url)
    press_until_focused(page, "Tab", launcher(page))  # through the page to the launcher
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    box = page.get_by_role("textbox", name="Ihre Nachricht an den Kommunallotsen")
    expect(box).to_be_focused()  # focus moves into the panel
    expect(choice(page, "Kurzcheck starten")).to_be_visible(timeout=90_000)
    wait_idle(page)

    # Shift+Tab from the input reaches the quick replies (last one first)
    page.keyboard.press("Shift+Tab")
    expect(choice(page, "Was speichern Sie?")).to_be_focused()
    press_until_focused(page, "Shift+Tab", choice(page, "Kurzcheck starten"))
    page.keyboard.press("Enter")
    expect(box).to_be_focused()  # the clicked button goes away, the focus does not get lost
    wait_for_question(page, "kommune_art")

    page.keyboard.type("Stadt")
    page.keyboard.press("Enter")
    wait_for_question(page, "einwohner")
    assert user_texts(page)[-1] == "Stadt"

    page.keyboard.press("Shift+Tab")  # a size button, answered with the space bar
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    wait_for_question(page, "bundesland")

    page.keyboard.press("Escape")  # closes the panel, focus back on the launcher
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")  # and opens it again, the conversation is still there
    expect(panel(page)).to_be_visible()
    expect(box).to_be_focused()
    assert user_texts(page)[:2] == ["Kurzcheck starten", "Stadt"]
    close = page.get_by_role("button", name="Chat schließen")
    close.focus()
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_be_focused()


def test_structure_for_assistive_technology(server, page):
    open_widget(page, server.base_url)
    dialog = panel(page)
    expect(dialog).to_have_attribute("role", "dialog")
    expect(log(page)).to_have_attribute("aria-live", "polite")
    assert dialog.locator("label[for=kl-input]").inner_text() == "Ihre Nachricht an den Kommunallotsen"
    expect(page.locator(".kl-typing[role=status]")).to_have_count(1)  # typing indicator, always there
    click_choice(page, "Kurzcheck starten")
    click_choice(page, "Gemeinde")
    click_choice(page, "unter 5.000")
    click_choice(page, "Hessen")
    wait_for_question(page, "ziele_top3")
    group = page.get_by_role("group", name="Antwortmöglichkeiten")
    expect(page.locator(f"#{group.get_attribute('aria-describedby')}")).to_contain_text("bis zu 3")
    for title in ("Fördermittel", "IT-Sicherheit", "Bürgerservice"):
        choice(page, title).click()
    expect(choice(page, "Daseinsvorsorge")).to_have_attribute("aria-disabled", "true")  # at most three
    choice(page, "Daseinsvorsorge").click(force=True)  # Playwright waits for aria-disabled otherwise
    expect(choice(page, "Daseinsvorsorge")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"#{group.get_attribute('aria-describedby')}")).to_contain_text("schon 3 Punkte")
    choice(page, "Bürgerservice").click()  # unpress one, another becomes possible
    expect(choice(page, "Daseinsvorsorge")).not_to_have_attribute("aria-disabled", "true")


def prepare_for_audit(page, base_url: str) -> None:
    """Panel open at a multi-select question with one toggle pressed and the privacy note shown."""
    open_widget(page, base_url)
    click_choice(page, "Kurzcheck starten")
    click_choice(page, "Gemeinde")
    click_choice(page, "5.000 bis 20.000")
    click_choice(page, "Baden-Württemberg")
    wait_for_question(page, "ziele_top3")
    choice(page, "Fördermittel").click()
    if page.get_by_role("button", name="Datenschutz").get_attribute("aria-expanded") == "false":
        page.get_by_role("button", name="Datenschutz").click()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_axe_and_screenshots(server, chromium, watched, artifacts, name, viewport):
    context, page = new_page(chromium, watched, viewport=viewport)
    page.goto(server.base_url)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"{name}-geschlossen.png"))
    closed = run_axe(page, AXE)
    print(report_violations(f"{name}, geschlossen", closed))

    prepare_for_audit(page, server.base_url)
    page.screenshot(path=str(artifacts / f"{name}.png"))
    opened = run_axe(page, AXE)
    print(report_violations(f"{name}, Kurzcheck offen", opened))

    page.get_by_role("button", name="Gespräch löschen").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.screenshot(path=str(artifacts / f"{name}-loeschen.png"))
    confirm = run_axe(page, AXE)
    print(report_violations(f"{name}, Löschdialog", confirm))
    page.keyboard.press("Escape")
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    expect(panel(page)).to_be_visible()  # Escape closed only the confirmation
    context.close()

    blocking = [v for v in closed + opened + confirm if v.get("impact") in BLOCKING]
    assert not blocking, report_violations(name, blocking)
    assert not watched.foreign_requests()


def full_screen(page) -> bool:
    box = panel(page).bounding_box()
    size = page.viewport_size
    return abs(box["x"]) < 1 and abs(box["y"]) < 1 and box["width"] >= size["width"] - 1


def test_phone_and_200_percent_zoom(server, chromium, watched, artifacts):
    # 200 % zoom on a 1280x800 screen leaves 640x400 CSS pixels
    for name, viewport, scale in [("phone", PHONE, 1), ("zoom-200", {"width": 640, "height": 400}, 2)]:
        context, page = new_page(chromium, watched, viewport=viewport, device_scale_factor=scale)
        open_widget(page, server.base_url)
        click_choice(page, "Kurzcheck starten")
        wait_for_question(page, "kommune_art")
        assert full_screen(page), f"{name}: panel not full screen"
        for part in (page.get_by_role("textbox"), page.get_by_role("button", name="Senden")):
            box = part.bounding_box()
            assert box["y"] + box["height"] <= viewport["height"] + 1, f"{name}: input off screen"
            assert box["x"] + box["width"] <= viewport["width"] + 1, f"{name}: input off screen"
        overflow = panel(page).evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, f"{name}: panel scrolls sideways"
        expect(choice(page, "Landkreis")).to_be_in_viewport()
        page.screenshot(path=str(artifacts / f"{name}-check.png"))
        page.keyboard.press("Escape")
        expect(launcher(page)).to_be_visible()
        context.close()


@pytest.mark.parametrize("color", ["#ffd54f", "#7fb3ff", "#0b5394", "#222222", "#e4003a"])
def test_custom_colour_keeps_text_readable(server, chromium, watched, color):
    context, page = new_page(chromium, watched)
    page.goto(f"{server.base_url}/health")
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Test</title></head><body><main><h1>Test</h1></main>'
        f'<script src="{server.base_url}/static/widget/kommunallotse.js" data-color="{color}" '
        'data-title="Lotse" data-open="true" defer></script></body></html>'
    )
    expect(page.get_by_role("dialog", name="Lotse – Chat").locator(".kl-msg-bot").first).to_be_visible(
        timeout=90_000
    )
    wait_idle(page)
    # data-open opens the panel without taking the focus from the page
    assert page.evaluate("document.activeElement === document.body")

    def colours(selector: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        style = page.locator(selector).first.evaluate(
            "e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor]; }"
        )
        return rgb_of(style[0]), rgb_of(style[1])

    header_text, header_bg = colours(".kl-header")
    assert contrast(header_text, header_bg) >= 4.5, (color, "header")
    choice_text, _ = colours(".kl-choice")
    assert contrast(choice_text, (255, 255, 255)) >= 4.5, (color, "quick reply")
    assert contrast(choice_text, (0xEE, 0xF1, 0xF4)) >= 4.5, (color, "quick reply on hover")
    send_text, send_bg = colours(".kl-send")
    assert contrast(send_text, send_bg) >= 4.5, (color, "send button")
    violations = [v for v in run_axe(page, AXE) if v["id"] == "color-contrast"]
    assert not violations, report_violations(color, violations)
    context.close()


def test_reduced_motion(server, chromium, watched):
    context, page = new_page(chromium, watched, reduced_motion="reduce")
    open_widget(page, server.base_url)
    assert panel(page).evaluate("e => getComputedStyle(e).animationName") == "none"
    held = []  # the answer is held back: the typing indicator stays
    page.route("**/chat", lambda route: held.append(route))
    page.get_by_role("button", name="Kurzcheck starten").click()
    dots = page.locator(".kl-dots span").first
    expect(dots).to_be_visible()
    assert dots.evaluate("e => getComputedStyle(e).animationName") == "none"
    expect(progress(page)).to_be_hidden()
    for route in held:
        route.abort()
    context.close()
