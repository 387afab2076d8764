"""What one user message means for the assessment.

Pure functions between the Rasa actions (which know the tracker) and the parser and
extractor (which know the questionnaire): they decide whether a message answers the open
question, skips it, also answers or corrects other questions, is unclear (ask again with a
hint), or is something else that a rule should handle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.questionnaire import Mode, load_questionnaire

DIALOGUE_FILE = Path(__file__).parent / "data" / "dialogue.yml"

Outcome = Literal["answered", "skipped", "others", "unclear", "interrupt"]


@cache
def dialogue_settings() -> dict[str, Any]:
    with open(DIALOGUE_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def skip_value() -> str:
    return dialogue_settings()["skip_value"]


@dataclass(frozen=True)
class TurnResult:
    outcome: Outcome
    question_id: str | None
    value: Any = None
    reason: str | None = None
    failures: int = 0  # consecutive unclear answers to the open question
    details: dict[str, Any] = field(default_factory=dict)
    filled: dict[str, Any] = field(default_factory=dict)  # answers to other questions
    corrected: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def slot_updates(self) -> dict[str, Any]:
        """All slot values this message sets (open question, others, corrections)."""
        updates = dict(self.filled)
        updates.update({qid: new for qid, (_, new) in self.corrected.items()})
        if self.outcome in ("answered", "skipped") and self.question_id:
            updates[self.question_id] = self.value
        return updates


def interpret_message(
    question_id: str | None,
    text: str,
    intent: str | None,
    confidence: float,
    failures: int,
    known: dict[str, Any] | None = None,
) -> TurnResult:
    """Decide what a message means; `question_id` is the open question (None outside the check)."""
    from bot.extraction import extract

    qn = load_questionnaire()
    known = known or {}
    ext = extract(text, question_id, known, qn)
    extras = {"filled": ext.filled, "corrected": ext.corrected}
    if question_id is None:
        outcome: Outcome = "others" if (ext.filled or ext.corrected) else "unclear"
        return TurnResult(outcome, None, **extras)
    parsed = ext.open_answer
    assert parsed is not None
    if parsed.status == "ok":
        return TurnResult("answered", question_id, parsed.value, **extras)
    if parsed.status == "skip":
        return TurnResult("skipped", question_id, skip_value(), **extras)
    if ext.filled or ext.corrected:
        return TurnResult("others", question_id, failures=failures, **extras)
    settings = dialogue_settings()
    if intent in settings["interrupt_intents"] and confidence >= settings["interrupt_min_confidence"]:
        return TurnResult("interrupt", question_id, reason=intent, failures=failures)
    question = qn.get(question_id)
    details: dict[str, Any] = {"hint": question.hint, "why": question.why}
    if parsed.reason == "too_many":
        details["max"] = question.max_choices
    if parsed.reason == "out_of_range":
        details.update(
            value=format_int(parsed.value), min=format_int(question.min), max=format_int(question.max)
        )
    return TurnResult("unclear", question_id, reason=parsed.reason, failures=failures + 1, details=details)


def clearly_confirms(text: str) -> bool:
    """A clear yes (button payload or a short yes phrase) before something destructive."""
    from bot.parsing import phrase_found

    text = (text or "").strip()
    if text.startswith("/affirm"):
        return True
    return len(text) <= 40 and phrase_found(dialogue_settings()["confirm_phrases"], text, strict=True)


def format_int(value: Any) -> str:
    return f"{int(value):,}".replace(",", ".") if value is not None else ""


def describe(values: dict[str, Any]) -> str:
    """'Einwohnerzahl: 48.000; Bundesland: Hessen' for acknowledgements."""
    qn = load_questionnaire()
    skip = skip_value()
    parts = []
    for qid, value in values.items():
        q = qn.get(qid)
        parts.append(f"{q.title}: {q.label_of(None if value == skip else value)}")
    return "; ".join(parts)


def describe_changes(changes: dict[str, tuple[Any, Any]]) -> str:
    qn = load_questionnaire()
    skip = skip_value()
    parts = []
    for qid, (old, new) in changes.items():
        q = qn.get(qid)
        old_label = q.label_of(None if old == skip else old)
        parts.append(f"{q.title}: {old_label} → {q.label_of(None if new == skip else new)}")
    return "; ".join(parts)


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


def mode_of(slots: dict[str, Any]) -> Mode:
    return "voll" if slots.get("check_mode") == "voll" else "kurz"


def next_question(slots: dict[str, Any], mode: Mode) -> str | None:
    """The first question of the mode without an answer, or None when the check is complete."""
    return next((q for q in load_questionnaire().ids_for(mode) if slots.get(q) is None), None)


def missing_count(slots: dict[str, Any], mode: Mode) -> int:
    return sum(1 for q in load_questionnaire().ids_for(mode) if slots.get(q) is None)


def previous_question(slots: dict[str, Any], current: str | None, mode: Mode) -> str | None:
    """The question before `current` in the mode's order (for "zurück")."""
    ids = load_questionnaire().ids_for(mode)
    if current in ids:
        index = ids.index(current)
        return ids[index - 1] if index > 0 else None
    answered = [q for q in ids if slots.get(q) is not None]
    return answered[-1] if answered else None


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
