"""Form validation and question actions of the assessment: thin wrappers around bot/."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import store
from bot.dialogue import (
    TurnResult,
    answers_from_slots,
    describe,
    describe_changes,
    interpret_message,
    mode_of,
    next_question,
    progress,
)
from bot.questionnaire import load_questionnaire

logger = logging.getLogger(__name__)

FORM = "assessment_form"
UNCLEAR_RESPONSES = {
    "empty": "utter_answer_empty",
    "too_long": "utter_answer_too_long",
    "too_many": "utter_answer_too_many",
    "out_of_range": "utter_answer_out_of_range",
}


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def latest_text_and_intent(tracker: Tracker) -> tuple[str, str | None, float]:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return message.get("text") or "", intent.get("name"), float(intent.get("confidence") or 0.0)


def store_answers(tracker: Tracker, slots: dict[str, Any]) -> None:
    """Keep the answers so far; storage trouble must not break the conversation."""
    try:
        store.save_answers(tracker.sender_id, channel_of(tracker), answers_from_slots(slots), mode_of(slots))
    except Exception:
        logger.exception("could not store answers for %s", tracker.sender_id)


def acknowledge(dispatcher: CollectingDispatcher, turn: TurnResult) -> None:
    """Say which other answers were noted or corrected, so the user can object."""
    if turn.filled:
        dispatcher.utter_message(response="utter_noted", items=describe(turn.filled))
    if turn.corrected:
        dispatcher.utter_message(response="utter_corrected", items=describe_changes(turn.corrected))


class ValidateAssessmentForm(FormValidationAction):
    """Turns free text into answers for the asked question and any other question named.

    Counts consecutive failures per question: the second one also explains why the
    question is asked and that "weiß nicht" is fine (as in Rasa's financial-demo). It also
    decides the next question, so the short check and the full assessment share one form.
    """

    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        mode = mode_of(slots)
        question_id = slots.get("requested_slot")
        if not question_id:  # form just activated: start with the first open question
            return [SlotSet("requested_slot", next_question(slots, mode))]
        text, intent, confidence = latest_text_and_intent(tracker)
        failures = int(slots.get("unclear_count") or 0)
        turn = interpret_message(question_id, text, intent, confidence, failures, slots)
        if turn.outcome == "interrupt":
            return []  # no slot: the form rejects and a rule answers the interruption
        if turn.outcome == "unclear":
            if turn.failures >= 2 and turn.reason in ("no_match", "ambiguous"):
                dispatcher.utter_message(response="utter_answer_unclear_again", **turn.details)
            else:
                response = UNCLEAR_RESPONSES.get(turn.reason or "", "utter_answer_unclear")
                dispatcher.utter_message(response=response, **turn.details)
            return [
                SlotSet(question_id, None),
                SlotSet("unclear_count", float(turn.failures)),
                SlotSet("requested_slot", question_id),
            ]
        if turn.outcome == "skipped":
            dispatcher.utter_message(response="utter_answer_skipped")
        acknowledge(dispatcher, turn)
        updates = turn.slot_updates()
        slots.update(updates)
        store_answers(tracker, slots)
        events: list[EventType] = [SlotSet(k, v) for k, v in updates.items()]
        if turn.outcome == "others":  # the asked question is still open: ask it again
            events.append(SlotSet(question_id, None))
        events.append(SlotSet("unclear_count", 0.0))
        events.append(SlotSet("requested_slot", next_question(slots, mode)))
        return events


class AskQuestion(Action):
    """Asks one question of the questionnaire with its buttons and the progress payload."""

    question_id: str = ""

    def name(self) -> str:
        return f"action_ask_{self.question_id}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question = load_questionnaire().get(self.question_id)
        if question.kind == "number":
            buttons = [{"title": b.label, "payload": b.payload} for b in question.buttons]
        else:
            buttons = [{"title": o.label, "payload": o.label} for o in question.options]
        slots = tracker.current_slot_values()
        payload = progress(slots, self.question_id, mode_of(slots))
        payload["kommunallotse"].update(kind=question.kind, max_choices=question.max_choices)
        dispatcher.utter_message(text=question.text, buttons=buttons, json_message=payload)
        return []


def _ask_action(question_id: str) -> type[AskQuestion]:
    cls = type(f"AskQuestion_{question_id}", (AskQuestion,), {"question_id": question_id})
    globals()[cls.__name__] = cls  # module attribute, so sanic's workers can unpickle it
    return cls


# One action class per question, so the domain's action_ask_<id> names resolve.
ASK_ACTIONS = [_ask_action(qid) for qid in load_questionnaire().ids]


def slots_answered(tracker: Tracker) -> dict[str, Any]:
    return answers_from_slots(tracker.current_slot_values())
