"""Pydantic models at the core's edges: the answers that come in, the result that goes out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, RootModel, model_validator

from bot.questionnaire import load_questionnaire

AnswerValue = str | int | list[str] | None

TYPE_IDS = ("bedaechtige", "optimierer", "serviceorientierte", "community_manager")
PHASE_IDS = ("orientierung", "start", "strategie", "umsetzung")
DIMENSION_IDS = (
    "strategie_steuerung",
    "verwaltungsdigitalisierung",
    "daten",
    "kompetenzen_beteiligung",
    "oertliche_gemeinschaft",
    "infrastruktur",
)


class Answers(RootModel[dict[str, AnswerValue]]):
    """Question id -> value, exactly the ids of assessment.md; null means 'weiß nicht'.

    A missing key means the question was not asked (yet).
    """

    @model_validator(mode="after")
    def _check_ids_and_values(self) -> Answers:
        qn = load_questionnaire()
        for key, value in self.root.items():
            if key not in qn.ids:
                raise ValueError(f"Unbekannte Frage-ID '{key}' (unknown question id)")
            if value is None:
                continue
            q = qn.get(key)
            if q.kind == "single" and value not in q.option_ids:
                raise ValueError(
                    f"Feld '{key}': unbekannter Wert {value!r}; erlaubt: {', '.join(q.option_ids)}"
                )
            if q.kind == "multi":
                if not isinstance(value, list) or any(v not in q.option_ids for v in value):
                    raise ValueError(
                        f"Feld '{key}': erwartet eine Liste aus {', '.join(q.option_ids)}"
                    )
                if q.max_choices and len(value) > q.max_choices:
                    raise ValueError(f"Feld '{key}': höchstens {q.max_choices} Werte erlaubt")
            if q.kind == "number":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"Feld '{key}': erwartet eine ganze Zahl")
                if not (q.min or 0) <= value <= (q.max or value):
                    raise ValueError(f"Feld '{key}': Wert außerhalb {q.min}..{q.max}")
            if q.kind == "text" and not isinstance(value, str):
                raise ValueError(f"Feld '{key}': erwartet einen Text")
        return self

    def get(self, key: str, default: Any = None) -> Any:
        return self.root.get(key, default)

    def answered(self, key: str) -> bool:
        return self.root.get(key) is not None


class Recommendation(BaseModel):
    id: str
    title: str
    reason: str
    first_step: str
    who_helps: str
    knowledge_ids: list[str] = Field(default_factory=list)


class Result(BaseModel):
    """The advisor's result; field names are the stored assessment's (assessment.md)."""

    typ: str
    typ_scores: dict[str, float]
    typ_second: str | None = None
    phase: str
    phase_reason: str
    reifegrad: dict[str, int | None]
    reifegrad_estimated: list[str] = Field(default_factory=list)
    recommendations: list[Recommendation]
    not_judged: list[str] = Field(default_factory=list)
    model_version: str
