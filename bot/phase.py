"""Phase of the Bausteinkonzept from explicit rules in knowledge/rules/phases.yml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from bot.conditions import Condition, join_clauses
from bot.questionnaire import load_questionnaire

RULES_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "phases.yml"


class PhaseInfo(BaseModel):
    name: str
    short: str


class PhaseRule(BaseModel):
    phase: str
    all: list[Condition] = Field(default_factory=list)
    any: list[Condition] = Field(default_factory=list)
    default: bool = False
    says: str = ""


class PhaseRules(BaseModel):
    version: int
    phases: dict[str, PhaseInfo]
    rules: list[PhaseRule]
    reason_template: str
    default_unknown_reason: str
    unknown_template: str


@cache
def load_rules(path: Path = RULES_FILE) -> PhaseRules:
    with open(path, encoding="utf-8") as fh:
        return PhaseRules.model_validate(yaml.safe_load(fh))


def determine_phase(answers: dict[str, Any]) -> tuple[str, str]:
    """(phase id, German reason naming the answers that decided it)."""
    rules = load_rules()
    unknown: list[str] = []
    for rule in rules.rules:
        for cond in [*rule.all, *rule.any]:
            if answers.get(cond.question) is None and cond.question not in unknown:
                unknown.append(cond.question)
        if rule.default and {"strategie_status", "projekte"} <= set(unknown):
            name = rules.phases[rule.phase].name
            reason = rules.default_unknown_reason.format(phase_name=name)
            return rule.phase, _with_unknown(reason, unknown, rules)
        if rule.default:
            clauses = [rule.says]
        elif rule.all and all(c.holds(answers) for c in rule.all):
            clauses = [c.says for c in rule.all]
        elif rule.any and (hits := [c for c in rule.any if c.holds(answers)]):
            clauses = [c.says for c in hits]
        else:
            continue
        reason = rules.reason_template.format(
            phase_name=rules.phases[rule.phase].name, clauses=join_clauses(clauses)
        )
        return rule.phase, _with_unknown(reason, unknown, rules)
    raise ValueError("phase rules need a default rule")


def _with_unknown(reason: str, unknown: list[str], rules: PhaseRules) -> str:
    if not unknown:
        return reason
    qn = load_questionnaire()
    titles = ", ".join(qn.get(q).title for q in unknown)
    return reason + " " + rules.unknown_template.format(questions=titles)
