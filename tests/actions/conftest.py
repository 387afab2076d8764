"""Tracker fixtures for the action tests (as in Rasa's demo assistants)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    text: str,
    requested_slot: str | None = None,
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    confidence: float = 0.9,
    sender_id: str = "test-sender",
) -> Tracker:
    all_slots = {"requested_slot": requested_slot, "unclear_count": 0.0, **(slots or {})}
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
        },
        events=[{"event": "user", "text": text, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={"name": "kurzcheck_form"} if requested_slot else {},
        latest_action_name="action_listen",
    )


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
