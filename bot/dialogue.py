"""What one user message means for the open question of the assessment.

Pure functions between the Rasa action (which knows the tracker) and the parser (which
knows the questionnaire): they decide whether a message answers the question, skips it,
is unclear (ask again with a hint), or is something else that a rule should handle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.parsing import parse_answer
from bot.questionnaire import Mode, load_questionnaire

DIALOGUE_FILE = Path(__file__).parent / "data" / "dialogue.yml"

Outcome = Literal["answered", "skipped", "unclear", "interrupt"]


@cache
def dialogue_settings() -> dict[str, Any]:
    with open(DIALOGUE_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def skip_value() -> str:
    return dialogue_settings()["skip_value"]


@dataclass(frozen=True)
class TurnResult:
    outcome: Outcome
    question_id: str
    value: Any = None
    reason: str | None = None
    failures: int = 0  # consecutive unclear answers to this question
    details: dict[str, Any] = field(default_factory=dict)


def interpret_message(
    question_id: str, text: str, intent: str | None, confidence: float, failures: int
) -> TurnResult:
    """Decide what a message means for the open question `question_id`."""
    qn = load_questionnaire()
    question = qn.get(question_id)
    parsed = parse_answer(question, text, qn)
    if parsed.status == "ok":
        return TurnResult("answered", question_id, parsed.value)
    if parsed.status == "skip":
        return TurnResult("skipped", question_id, skip_value())
    settings = dialogue_settings()
    if (
        intent in settings["interrupt_intents"]
        and confidence >= settings["interrupt_min_confidence"]
    ):
        return TurnResult("interrupt", question_id, reason=intent, failures=failures)
    details: dict[str, Any] = {"hint": question.hint, "why": question.why}
    if parsed.reason == "too_many":
        details["max"] = question.max_choices
    if parsed.reason == "out_of_range":
        details.update(
            value=_format_int(parsed.value),
            min=_format_int(question.min),
            max=_format_int(question.max),
        )
    return TurnResult(
        "unclear", question_id, reason=parsed.reason, failures=failures + 1, details=details
    )


def _format_int(value: Any) -> str:
    return f"{int(value):,}".replace(",", ".") if value is not None else ""


def answers_from_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """Slot values -> stored answers: only asked questions, 'weiß nicht' as null."""
    qn = load_questionnaire()
    skip = skip_value()
    answers: dict[str, Any] = {}
    for qid in qn.ids:
        value = slots.get(qid)
        if value is None:
            continue
        answers[qid] = None if value == skip else value
    return answers


def progress(slots: dict[str, Any], question_id: str, mode: Mode = "kurz") -> dict[str, Any]:
    """The progress payload sent with every question (architecture.md)."""
    ids = load_questionnaire().ids_for(mode)
    answered = sum(1 for q in ids if slots.get(q) is not None and q != question_id)
    return {
        "kommunallotse": {
            "question_id": question_id,
            "step": min(answered + 1, len(ids)),
            "total": len(ids),
        }
    }
