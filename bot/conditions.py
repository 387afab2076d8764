"""Conditions on answers, written in the rule data files (phases, recommendations).

A condition is a mapping such as ``{question: fim, in: [unbekannt, bekannt]}`` or
``{question: basiskomponenten, count_below: 3}``; it is None when the question was not
answered, so rules can say what they could not judge.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Condition(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    question: str
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    any_of: list[str] | None = None  # multi: at least one of these chosen
    none_of: list[str] | None = None  # multi: none of these chosen
    count_below: int | None = None
    count_at_least: int | None = None
    below: int | None = None
    at_least: int | None = None
    says: str = ""  # German clause for reasons, e.g. "FIM bei Ihnen noch unbekannt ist"

    def holds(self, answers: dict[str, Any]) -> bool | None:
        value = answers.get(self.question)
        if value is None:
            return None
        checks: list[bool] = []
        if self.in_ is not None:
            checks.append(value in self.in_)
        if self.not_in is not None:
            checks.append(value not in self.not_in)
        if self.any_of is not None:
            checks.append(bool(set(value) & set(self.any_of)))
        if self.none_of is not None:
            checks.append(not set(value) & set(self.none_of))
        if self.count_below is not None:
            checks.append(len([v for v in value if v != "keine"]) < self.count_below)
        if self.count_at_least is not None:
            checks.append(len([v for v in value if v != "keine"]) >= self.count_at_least)
        if self.below is not None:
            checks.append(value < self.below)
        if self.at_least is not None:
            checks.append(value >= self.at_least)
        return all(checks)


def join_clauses(clauses: list[str]) -> str:
    """'a', 'a und b', 'a, b und c'."""
    clauses = [c for c in clauses if c]
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " und " + clauses[-1]
