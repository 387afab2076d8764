"""A visitor does the short check in the widget: by buttons, by typing, after a reload, and deletes it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from bot.questionnaire import load_questionnaire
from tests.browser.widget import (
    bot_texts,
    choice,
    choose_many,
    click_choice,
    launcher,
    open_widget,
    panel,
    progress,
    question,
    sender_id,
    type_message,
    user_texts,
    wait_for_question,
    wait_idle,
)
from tests.integration.test_short_check import CONVERSATION

pytestmark = pytest.mark.browser

# what a visitor clicks for each question of the short check (several titles: multi-select)
CLICKS = {
    "kommune_art": ["Gemeinde"],
    "einwohner": ["5.000 bis 20.000"],
    "bundesland": ["Hessen"],
    "ziele_top3": ["Rechtliche Vorgaben (OZG)", "Fördermittel", "Bürgerservice"],
    "handlungsfelder_top3": ["Verwaltung", "Digitale Infrastruktur"],
    "strategie_status": ["In Entwicklung"],
    "steuerung": ["Bürgermeister:in / Landrat", "IT-Abteilung"],
    "basiskomponenten": ["E-Payment", "Servicekonto / BundID", "E-Akte"],
    "ozg_stand": ["Einzelne"],
    "fim": ["Bekannt, nicht genutzt"],
    "wissen": ["Grundlagen vorhanden"],
    "lotsen": ["In Ausbildung"],
    "projekte": ["Erste umgesetzt"],
}


def expected_from_clicks() -> dict:
    qn = load_questionnaire()
    answers = {}
    for qid, titles in CLICKS.items():
        q = qn.get(qid)
        if q.kind == "number":
            payload = next(b.payload for b in q.buttons if b.label == titles[0])
            answers[qid] = int(payload.removeprefix("ca. "))
            continue
        ids = [next(o.id for o in q.options if o.label == title) for title in titles]
        answers[qid] = sorted(ids) if q.kind == "multi" else ids[0]
    return answers


def normalized(answers: dict) -> dict:
    return {k: sorted(v) if isinstance(v, list) else v for k, v in answers.items()}


def assert_result_shown(page) -> None:
    expect(progress(page)).to_have_attribute("aria-valuetext", "Kurzcheck abgeschlossen")
    result = "\n".join(bot_texts(page))
    for part in ("Typ", "%", "Ihre Phase", "Reifegrad", "Empfehlungen"):
        assert part in result, part


def test_short_check_by_buttons(server, page, stored):
    open_widget(page, server.base_url)
    assert any("speichere" in text for text in bot_texts(page)), "the bot says what it stores"
    click_choice(page, "Kurzcheck starten")
    wait_for_question(page, "kommune_art")
    bar = progress(page)
    expect(bar).to_have_attribute("aria-valuenow", "1")
    expect(bar).to_have_attribute("aria-valuemax", "13")
    expect(bar).to_have_attribute("aria-valuetext", "Frage 1 von 13")
    expect(bar).to_contain_text("Frage 1 von 13")

    asked = []
    while (current := question(page)) and len(asked) < 20:
        assert current not in asked, f"{current} asked again after {asked}"
        asked.append(current)
        titles = CLICKS[current]
        multi = page.locator(".kl-choices-multi").count() > 0
        if len(titles) > 1 or multi:
            assert multi, f"{current}: no multi-select"
            choose_many(page, titles)
            assert user_texts(page)[-1] == ", ".join(titles)
        else:
            click_choice(page, titles[0])
            assert user_texts(page)[-1] == titles[0]  # the title is shown, not the payload
        if question(page):
            expect(progress(page)).to_contain_text(f"Frage {len(asked) + 1} von 13")
    assert asked == list(CLICKS)
    assert_result_shown(page)

    assessment = stored(sender_id(page))
    assert assessment is not None and assessment["completed_at"] is not None
    assert normalized(assessment["answers"]) == expected_from_clicks()


def test_short_check_by_typing(server, page, stored):
    open_widget(page, server.base_url)
    type_message(page, "ja, gerne")
    for question_id, answer, _ in CONVERSATION:
        wait_for_question(page, question_id)
        type_message(page, answer)
        assert user_texts(page)[-1] == answer
    assert_result_shown(page)
    assessment = stored(sender_id(page))
    assert assessment["answers"] == {q: value for q, _, value in CONVERSATION}


def test_resume_after_reload(server, page):
    open_widget(page, server.base_url)
    sender = sender_id(page)
    assert sender and len(sender) == 32 and int(sender, 16) >= 0  # 128 random bits as hex
    click_choice(page, "Kurzcheck starten")
    click_choice(page, "Stadt")
    click_choice(page, "20.000 bis 100.000")
    wait_for_question(page, "bundesland")

    page.reload()
    expect(panel(page)).to_be_hidden()
    launcher(page).click()
    expect(page.locator(".kl-msg-user")).to_have_count(3)
    assert user_texts(page) == ["Kurzcheck starten", "Stadt", "20.000 bis 100.000"]
    assert any("Bundesland" in text for text in bot_texts(page))
    wait_for_question(page, "bundesland")
    expect(progress(page)).to_have_attribute("aria-valuetext", "Frage 3 von 13")
    assert sender_id(page) == sender

    click_choice(page, "Bayern")  # the conversation goes on with the restored buttons
    wait_for_question(page, "ziele_top3")
    expect(progress(page)).to_contain_text("Frage 4 von 13")

    page.reload()  # a multi-select question comes back as toggle buttons
    launcher(page).click()
    wait_for_question(page, "ziele_top3")
    expect(page.locator(".kl-toggle")).to_have_count(9)
    choose_many(page, ["IT-Sicherheit", "Effiziente Abläufe"])
    wait_for_question(page, "handlungsfelder_top3")
    assert user_texts(page)[-1] == "IT-Sicherheit, Effiziente Abläufe"


def test_delete_conversation(server, page, stored):
    open_widget(page, server.base_url)
    click_choice(page, "Kurzcheck starten")
    click_choice(page, "Landkreis")
    wait_for_question(page, "einwohner")
    old = sender_id(page)
    history_url = f"{server.base_url}/chat/{old}/verlauf"
    assert httpx.get(history_url).json()["turns"]
    assert stored(old)["answers"] == {"kommune_art": "landkreis"}

    delete = page.get_by_role("button", name="Gespräch löschen")
    delete.click()
    confirm = page.get_by_role("alertdialog", name="Gespräch löschen?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("endgültig gelöscht")
    confirm.get_by_role("button", name="Abbrechen").click()
    expect(confirm).to_be_hidden()
    expect(delete).to_be_focused()
    assert httpx.get(history_url).json()["turns"], "cancel keeps the conversation"

    delete.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Ja, löschen").click()
    expect(page.locator(".kl-msg-notice")).to_contain_text("gelöscht")
    expect(page.locator(".kl-msg-bot").first).to_be_visible()
    wait_idle(page)
    new = sender_id(page)
    assert new and new != old
    assert user_texts(page) == []
    expect(progress(page)).to_be_hidden()
    assert httpx.get(history_url).json() == {"turns": [], "choices": None, "progress": None}
    assert stored(old) is None
    assert httpx.get(f"{server.base_url}/chat/{new}/verlauf").json()["turns"], "a new conversation began"


def test_network_error_keeps_the_message(server, page):
    open_widget(page, server.base_url)
    page.route("**/chat", lambda route: route.abort("connectionrefused"))
    choice(page, "Kurzcheck starten").click()
    error = page.locator(".kl-error")
    expect(error).to_contain_text("Verbindung zum Kommunallotsen ist gerade unterbrochen")
    assert user_texts(page) == ["Kurzcheck starten"]
    page.unroute("**/chat")
    error.get_by_role("button", name="Erneut senden").click()
    wait_for_question(page, "kommune_art")
    expect(page.locator(".kl-error")).to_have_count(0)
    assert user_texts(page) == ["Kurzcheck starten"]
