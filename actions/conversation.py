"""Actions around the assessment: greeting and resume, answers out of the form, modes,
going back, explanations, knowledge questions, handover and result follow-ups."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.types import DomainDict

from actions.assessment import (
    acknowledge,
    channel_of,
    latest_text_and_intent,
    store_answers,
)
from bot import followups, store
from bot.dialogue import (
    answers_from_slots,
    clearly_confirms,
    interpret_message,
    missing_count,
    mode_of,
    previous_question,
)
from bot.questionnaire import load_questionnaire

logger = logging.getLogger(__name__)


class ActionGreet(Action):
    """Greets; a returning user with an open check hears how much is left."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = tracker.current_slot_values()
        answered = answers_from_slots(slots)
        missing = missing_count(slots, mode_of(slots))
        if answered and missing:
            dispatcher.utter_message(response="utter_welcome_back", missing=missing)
        elif answered:
            dispatcher.utter_message(response="utter_welcome_back_done")
        else:
            dispatcher.utter_message(response="utter_greet")
            dispatcher.utter_message(response="utter_privacy_notice")
            dispatcher.utter_message(response="utter_offer_check")
        return []


class ActionTakeAnswers(Action):
    """Answers given outside the form ("Wir sind eine Stadt in Hessen", corrections later)."""

    def name(self) -> str:
        return "action_take_answers"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = tracker.current_slot_values()
        text, intent, confidence = latest_text_and_intent(tracker)
        turn = interpret_message(None, text, intent, confidence, 0, slots)
        if turn.outcome != "others":
            dispatcher.utter_message(response="utter_nothing_noted")
            return []
        acknowledge(dispatcher, turn)
        updates = turn.slot_updates()
        slots.update(updates)
        store_answers(tracker, slots)
        return [SlotSet(k, v) for k, v in updates.items()]


class ActionStartFull(Action):
    def name(self) -> str:
        return "action_start_full"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = {**tracker.current_slot_values(), "check_mode": "voll"}
        dispatcher.utter_message(response="utter_full_mode", missing=missing_count(slots, "voll"))
        return [SlotSet("check_mode", "voll")]


class ActionGoBack(Action):
    """ "zurück": the previous question is asked again (its answer is cleared)."""

    def name(self) -> str:
        return "action_go_back"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = tracker.current_slot_values()
        previous = previous_question(slots, slots.get("requested_slot"), mode_of(slots))
        if previous is None:
            dispatcher.utter_message(response="utter_no_previous")
            return []
        dispatcher.utter_message(response="utter_going_back", title=load_questionnaire().get(previous).title)
        return [SlotSet(previous, None), SlotSet("requested_slot", None)]


class ActionResetCheck(Action):
    """ "von vorn": all answers are cleared (the stored assessment too) and the check restarts."""

    def name(self) -> str:
        return "action_reset_check"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, _, _ = latest_text_and_intent(tracker)
        if not clearly_confirms(text):  # an unclear "yes" must not delete anything
            dispatcher.utter_message(response="utter_not_restarted")
            return []
        events: list[EventType] = [SlotSet(qid, None) for qid in load_questionnaire().ids]
        events += [SlotSet("check_mode", "kurz"), SlotSet("unclear_count", 0.0)]
        store_answers(tracker, {})
        dispatcher.utter_message(response="utter_restarted")
        return events


class ActionExplainQuestion(Action):
    """ "Warum fragen Sie das?": what the open (or last) question is used for."""

    def name(self) -> str:
        return "action_explain_question"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = tracker.current_slot_values()
        qid = slots.get("requested_slot") or previous_question(slots, None, mode_of(slots))
        if qid:
            question = load_questionnaire().get(qid)
            dispatcher.utter_message(response="utter_why", title=question.title, why=question.why)
        else:
            dispatcher.utter_message(response="utter_why_general")
        return []


class ActionAnswerTerm(Action):
    """ "Was bedeutet FIM?": the short answer from knowledge/ with its source."""

    def name(self) -> str:
        return "action_answer_term"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, _, _ = latest_text_and_intent(tracker)
        for message in followups.knowledge_answer(text):
            dispatcher.utter_message(**message)
        return []


class ActionHandover(Action):
    """The user asks for a human: the conversation is marked for review."""

    def name(self) -> str:
        return "action_handover"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            store.request_handover(tracker.sender_id, channel_of(tracker))
        except Exception:
            logger.exception("could not mark handover for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handover_marked")
        return []


class ValidateHandoverForm(FormValidationAction):
    """Takes a contact only if the user gives one; "nein" is a fine answer too."""

    def name(self) -> str:
        return "validate_handover_form"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("requested_slot") != "handover_contact":
            return []
        text, intent, _ = latest_text_and_intent(tracker)
        contact = followups.contact_in(text)
        if contact:
            store.set_handover_contact(tracker.sender_id, contact)
            dispatcher.utter_message(response="utter_handover_contact_saved")
            return [SlotSet("handover_contact", "angegeben"), SlotSet("requested_slot", None)]
        if intent in ("deny", "stop") or followups.declines(text):
            dispatcher.utter_message(response="utter_handover_no_contact")
            return [SlotSet("handover_contact", "keine"), SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_handover_contact_unclear")
        return [SlotSet("handover_contact", None), SlotSet("requested_slot", "handover_contact")]


class ActionResultFollowup(Action):
    """Follow-ups after the result: "Mehr zu Empfehlung 2", "Was kostet das?", "Wer hilft uns in Bayern?"."""

    def name(self) -> str:
        return "action_result_followup"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, intent, _ = latest_text_and_intent(tracker)
        answers = answers_from_slots(tracker.current_slot_values())
        stored: dict[str, Any] | None = None
        try:
            stored = store.get_assessment(tracker.sender_id)
        except Exception:
            logger.exception("could not read the assessment of %s", tracker.sender_id)
        messages = followups.result_followup(intent or "", text, answers, stored)
        for message in messages:
            dispatcher.utter_message(**message)
        return []
