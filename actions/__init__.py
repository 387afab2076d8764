"""Rasa SDK actions: parse the tracker, call bot/, turn results into messages and events."""

from actions.assessment import ASK_ACTIONS, ValidateKurzcheckForm
from actions.result import ActionShowResult

__all__ = ["ASK_ACTIONS", "ActionShowResult", "ValidateKurzcheckForm"]
