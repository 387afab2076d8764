"""The result at the end of the check: evaluate, store, tell."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.assessment import channel_of, slots_answered
from bot import store
from bot.advisor import evaluate
from bot.presenter import result_messages

logger = logging.getLogger(__name__)


class ActionShowResult(Action):
    def name(self) -> str:
        return "action_show_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answers = slots_answered(tracker)
        result = evaluate(answers)
        try:
            store.save_result(tracker.sender_id, channel_of(tracker), answers, result)
        except Exception:
            logger.exception("could not store the result for %s", tracker.sender_id)
        for text in result_messages(result):
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(
            json_message={"kommunallotse": {"result": result.model_dump(mode="json")}}
        )
        return []
