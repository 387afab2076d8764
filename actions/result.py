"""The result at the end of the check: evaluate, store, tell."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.assessment import channel_of, slots_answered
from bot import comparison, store
from bot.advisor import evaluate
from bot.dialogue import mode_of
from bot.presenter import result_messages
from bot.presenter import texts as result_texts
from bot.report import report_link
from bot.settings import get_settings

logger = logging.getLogger(__name__)


class ActionShowResult(Action):
    def name(self) -> str:
        return "action_show_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answers = slots_answered(tracker)
        mode = mode_of(tracker.current_slot_values())
        result = evaluate(answers)
        comparisons: list[str] = []
        try:  # before saving: the stored row still holds the previous result
            previous = comparison.previous_result(tracker.sender_id, answers)
            comparisons = comparison.comparison_messages(answers, result, tracker.sender_id, previous)
        except Exception:
            logger.exception("could not compare the result of %s", tracker.sender_id)
        stored = False
        try:
            store.save_result(tracker.sender_id, channel_of(tracker), answers, result, mode)
            stored = True
        except Exception:
            logger.exception("could not store the result for %s", tracker.sender_id)
        for text in [*result_messages(result), *comparisons]:
            dispatcher.utter_message(text=text)
        if stored:  # the report is rendered from the stored assessment
            url = report_link(tracker.sender_id, get_settings().public_url)
            dispatcher.utter_message(text=result_texts()["report_link"].format(url=url))
        dispatcher.utter_message(json_message={"kommunallotse": {"result": result.model_dump(mode="json")}})
        dispatcher.utter_message(
            response="utter_offer_deepen" if mode == "kurz" else "utter_result_followups"
        )
        return []
