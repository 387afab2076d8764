"""Several answers in one message, answers out of turn, and corrections.

"Wir sind eine Stadt mit 48.000 Einwohnern in Hessen" answers three questions; "die
Einwohnerzahl ist falsch, es sind 9.500" corrects one. A question other than the open one is
only filled when the message names its topic (its cues) or one of its unmistakable options,
and an earlier answer is only replaced when the message says it corrects something.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import skip_value
from bot.parsing import ParsedAnswer, parse_answer, phrase_found, split_clauses
from bot.questionnaire import Questionnaire, load_questionnaire


@dataclass(frozen=True)
class Extraction:
    open_answer: ParsedAnswer | None  # the parse for the question that was asked, if any
    filled: dict[str, Any] = field(default_factory=dict)  # new answers to other questions
    corrected: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # id -> (old, new)


def _value_of(parsed: ParsedAnswer) -> Any:
    return skip_value() if parsed.status == "skip" else parsed.value


def _other_answer(qid: str, text: str, qn: Questionnaire) -> ParsedAnswer | None:
    """An answer to `qid` in a message that was not asked for it, or None."""
    question = qn.get(qid)
    named = phrase_found(question.cues, text, strict=True)
    if not named and not question.specific_options:
        return None
    clauses = [c for c in split_clauses(text) if phrase_found(question.cues, c, strict=True)] if named else []
    for candidate in [*clauses, text]:
        parsed = parse_answer(question, candidate, qn, strict=True)
        if parsed.status == "ok" and parsed.value not in ([], None):
            if question.specific_options and not named and question.kind != "single":
                return None
            return parsed
    return None


def _open_answer(qid: str, text: str, qn: Questionnaire) -> ParsedAnswer:
    """Parse for the asked question, leaving out clauses that plainly talk about another topic."""
    question = qn.get(qid)
    clauses = split_clauses(text)
    # single choice only: in a list every part is an answer ("Schulen, Breitband, Verwaltung")
    if question.kind == "single" and len(clauses) > 1:
        others = [q for q in qn.questions if q.id != qid and q.cues]
        own = [
            c
            for c in clauses
            if phrase_found(question.cues, c) or not any(phrase_found(q.cues, c) for q in others)
        ]
        if own and len(own) < len(clauses):
            parsed = parse_answer(question, ", ".join(own), qn)
            if parsed.status != "unclear":
                return parsed
    return parse_answer(question, text, qn)


def extract(
    text: str, open_question: str | None, known: dict[str, Any], qn: Questionnaire | None = None
) -> Extraction:
    """Answers in `text` for the open question and, where clearly named, for others.

    `known` holds the slot values so far (None = not answered yet).
    """
    qn = qn or load_questionnaire()
    open_answer = _open_answer(open_question, text, qn) if open_question else None
    correcting = phrase_found(qn.correction_phrases, text)
    filled: dict[str, Any] = {}
    corrected: dict[str, tuple[Any, Any]] = {}
    for q in qn.questions:
        if q.id == open_question or q.kind == "text":
            continue
        parsed = _other_answer(q.id, text, qn)
        if parsed is None:
            continue
        value = _value_of(parsed)
        old = known.get(q.id)
        if old is None:
            filled[q.id] = value
        elif old != value and correcting:
            corrected[q.id] = (old, value)
    return Extraction(open_answer, filled, corrected)
