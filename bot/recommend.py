"""Recommendations ranked by gaps in the answers, phase, type and bottlenecks.

The catalogue and the scoring weights are data (knowledge/recommendations.yml); this module
only applies them, so a consultant can read why a recommendation was chosen.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from bot.conditions import Condition, join_clauses
from bot.models import Recommendation

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "recommendations.yml"


class Scoring(BaseModel):
    extra_condition: float
    phase: float
    learn_from: float
    bottleneck: float


class CatalogueEntry(BaseModel):
    id: str
    title: str
    knowledge_ids: list[str]
    phases: list[str]
    learn_from: list[str] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)
    priority: float
    when: list[Condition]
    first_step: str
    who_helps: dict[str, str]


class Catalogue(BaseModel):
    version: int
    scoring: Scoring
    reason_template: str
    learn_template: str
    recommendations: list[CatalogueEntry]


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    with open(path, encoding="utf-8") as fh:
        return Catalogue.model_validate(yaml.safe_load(fh))


def _type_names(type_ids: list[str]) -> str:
    from bot.typology import profile_of

    return join_clauses([profile_of(t)["name"].removeprefix("Die ") for t in type_ids])


def recommend(
    answers: dict[str, Any], phase: str, typ: str, limit: int = 3
) -> list[Recommendation]:
    """The `limit` best recommendations with a reason each (highest score first)."""
    cat = load_catalogue()
    bottlenecks = set(answers.get("engpaesse") or [])
    land = answers.get("bundesland")
    scored: list[tuple[float, int, Recommendation]] = []
    for order, entry in enumerate(cat.recommendations):
        hits = [c for c in entry.when if c.holds(answers)]
        if not hits:
            continue
        score = entry.priority + cat.scoring.extra_condition * (len(hits) - 1)
        if phase in entry.phases:
            score += cat.scoring.phase
        learn = [t for t in entry.learn_from if t != typ]
        if learn and typ not in entry.learn_from:
            score += cat.scoring.learn_from
        score += cat.scoring.bottleneck * len(bottlenecks & set(entry.addresses))
        reason = cat.reason_template.format(clauses=join_clauses([c.says for c in hits]))
        if learn and typ not in entry.learn_from:
            reason += " " + cat.learn_template.format(types=_type_names(learn))
        who = entry.who_helps.get(land or "", entry.who_helps["default"])
        scored.append(
            (
                score,
                -order,
                Recommendation(
                    id=entry.id,
                    title=entry.title,
                    reason=reason,
                    first_step=entry.first_step,
                    who_helps=who,
                    knowledge_ids=entry.knowledge_ids,
                ),
            )
        )
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [rec for _, _, rec in scored[:limit]]
