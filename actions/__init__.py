"""Rasa SDK actions: parse the tracker, call bot/, turn results into messages and events."""

from actions.assessment import ASK_ACTIONS, ValidateAssessmentForm
from actions.conversation import (
    ActionAnswerTerm,
    ActionExplainQuestion,
    ActionGoBack,
    ActionGreet,
    ActionHandover,
    ActionResetCheck,
    ActionResultFollowup,
    ActionStartFull,
    ActionTakeAnswers,
    ValidateHandoverForm,
)
from actions.result import ActionShowResult

__all__ = [
    "ASK_ACTIONS",
    "ActionAnswerTerm",
    "ActionExplainQuestion",
    "ActionGoBack",
    "ActionGreet",
    "ActionHandover",
    "ActionResetCheck",
    "ActionResultFollowup",
    "ActionShowResult",
    "ActionStartFull",
    "ActionTakeAnswers",
    "ValidateAssessmentForm",
    "ValidateHandoverForm",
]
