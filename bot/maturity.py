"""Maturity (Reifegrad) per dimension, from the formulas in knowledge/rules/maturity.yml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.models import DIMENSION_IDS

FORMULA_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "maturity.yml"


class Item(BaseModel):
    question: str
    weight: float
    scores: dict[str, float]
    proxy: bool = False


class Dimension(BaseModel):
    title: str
    items: list[Item]


class MaturityFormulas(BaseModel):
    version: int
    dimensions: dict[str, Dimension]


@cache
def load_formulas(path: Path = FORMULA_FILE) -> MaturityFormulas:
    with open(path, encoding="utf-8") as fh:
        formulas = MaturityFormulas.model_validate(yaml.safe_load(fh))
    if tuple(formulas.dimensions) != DIMENSION_IDS:
        raise ValueError(f"maturity dimensions must be exactly {DIMENSION_IDS}")
    return formulas


def item_score(item: Item, value: Any) -> float:
    if isinstance(value, list):
        return min(100.0, sum(item.scores.get(v, 0.0) for v in value))
    return item.scores.get(str(value), 0.0)


def maturity(answers: dict[str, Any]) -> tuple[dict[str, int | None], list[str]]:
    """(dimension id -> 0..100 or None if nothing was answered, ids that are only estimates)."""
    result: dict[str, int | None] = {}
    estimated: list[str] = []
    for dim_id, dim in load_formulas().dimensions.items():
        answered = [
            (i, answers[i.question]) for i in dim.items if answers.get(i.question) is not None
        ]
        if not answered:
            result[dim_id] = None
            continue
        if all(i.proxy for i, _ in answered):
            estimated.append(dim_id)
        total_weight = sum(i.weight for i, _ in answered)
        result[dim_id] = round(sum(i.weight * item_score(i, v) for i, v in answered) / total_weight)
    return result, estimated


def dimension_title(dim_id: str) -> str:
    return load_formulas().dimensions[dim_id].title
