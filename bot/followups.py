"""Answers to follow-up questions: terms from the knowledge base, details of a recommendation,
costs, who helps in a Land, and the contact for a handover.

Each function returns chat messages as dicts for the dispatcher ({"response": name, **vars}
or {"text": ..., "buttons": ...}); the wording is in the domain's responses.
"""

from __future__ import annotations

import re
from typing import Any

from bot.parsing import parse_answer, phrase_found
from bot.questionnaire import load_questionnaire

_ORDINALS = {
    "erste": 1,
    "ersten": 1,
    "eins": 1,
    "zweite": 2,
    "zweiten": 2,
    "zwei": 2,
    "dritte": 3,
    "dritten": 3,
    "drei": 3,
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+?\d[\d /()-]{5,}\d)")
_DECLINE = ["nein", "lieber nicht", "keine", "nicht nötig", "brauche ich nicht", "möchte ich nicht", "nö"]


def _sources_line(sources: list[Any]) -> str:
    parts = []
    for s in sources[:2]:
        data = s if isinstance(s, dict) else s.model_dump()
        where = data.get("url") or (f"Quelltext {data['seed']}" if data.get("seed") else "")
        parts.append(f"{data['title']} ({where})" if where else data["title"])
    return "; ".join(parts)


def knowledge_answer(question: str) -> list[dict[str, Any]]:
    from bot.knowledge import ask

    answer = ask(question)
    if answer.knowledge_id is None:
        buttons = [{"title": r.title, "payload": f"Was ist {r.title}?"} for r in answer.related]
        return [{"text": answer.answer, "buttons": buttons}]
    return [
        {
            "response": "utter_knowledge_answer",
            "answer": answer.answer,
            "sources": _sources_line(answer.sources),
        }
    ]


def _article(knowledge_id: str):
    from bot.knowledge import load_articles

    return next((a for a in load_articles() if a.id == knowledge_id), None)


def _number_in(text: str) -> int | None:
    digits = re.search(r"\b([1-9])\b", text)
    if digits:
        return int(digits.group(1))
    for word in re.findall(r"[a-zäöü]+", text.lower()):
        if word in _ORDINALS:
            return _ORDINALS[word]
    return None


def _land_in(text: str, answers: dict[str, Any]) -> str | None:
    question = load_questionnaire().get("bundesland")
    parsed = parse_answer(question, text)
    if parsed.status == "ok":
        return str(parsed.value)
    return answers.get("bundesland")


def result_followup(
    intent: str, text: str, answers: dict[str, Any], stored: dict[str, Any] | None
) -> list[dict[str, Any]]:
    recommendations = (stored or {}).get("recommendations") or []
    if intent == "ask_cost":
        article = _article("foerdermittel")
        return [{"response": "utter_cost", "funding": article.short_answer if article else ""}]
    if intent == "ask_who_helps":
        return _who_helps(_land_in(text, answers), recommendations)
    if not recommendations:
        return [{"response": "utter_no_result_yet"}]
    number = _number_in(text)
    if number is None or not 1 <= number <= len(recommendations):
        buttons = [
            {"title": f"Mehr zu Empfehlung {i}", "payload": f"Mehr zu Empfehlung {i}"}
            for i in range(1, len(recommendations) + 1)
        ]
        return [{"response": "utter_which_recommendation", "buttons": buttons}]
    rec = recommendations[number - 1]
    article = _article(rec["knowledge_ids"][0]) if rec.get("knowledge_ids") else None
    return [
        {
            "response": "utter_recommendation_details",
            "number": number,
            "title": rec["title"],
            "reason": rec["reason"],
            "first_step": rec.get("first_step", ""),
            "who_helps": rec.get("who_helps", ""),
            "background": article.short_answer if article else "",
            "sources": _sources_line(article.sources) if article else "",
        }
    ]


def _who_helps(land: str | None, recommendations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from bot.recommend import load_catalogue

    if land is None:
        return [{"response": "utter_which_land"}]
    land_name = load_questionnaire().get("bundesland").option(land).label
    wanted = {r["id"] for r in recommendations}
    lines = []
    for entry in load_catalogue().recommendations:
        if land in entry.who_helps and (entry.id in wanted or entry.id == "lotsen-ausbilden"):
            lines.append(f"• {entry.title}: {entry.who_helps[land]}")
    for rec in recommendations:
        if not any(rec["title"] in line for line in lines):
            lines.append(f"• {rec['title']}: {rec.get('who_helps', '')}")
    if not lines:
        return [{"response": "utter_who_helps_general", "land": land_name}]
    return [{"response": "utter_who_helps", "land": land_name, "items": "\n".join(lines)}]


def contact_in(text: str) -> str | None:
    """An e-mail address or phone number the user chose to give, else None."""
    match = _EMAIL.search(text) or _PHONE.search(text)
    return match.group(0).strip() if match else None


def declines(text: str) -> bool:
    return phrase_found(_DECLINE, text)
