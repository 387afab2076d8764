"""The questionnaire: questions, options and their synonyms, loaded from data/questionnaire.yml.

The ids are the public contract of assessment.md; the wording and synonyms live in the
data file so that the bot, the widget's buttons and the parser share one source.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

DATA_DIR = Path(__file__).parent / "data"
QUESTIONNAIRE_FILE = DATA_DIR / "questionnaire.yml"

Kind = Literal["single", "multi", "number", "text"]
Mode = Literal["kurz", "voll"]


class Option(BaseModel):
    id: str
    label: str
    synonyms: list[str] = Field(default_factory=list)


class SizeButton(BaseModel):
    label: str
    payload: str


class Question(BaseModel):
    id: str
    core: bool
    kind: Kind
    title: str
    text: str
    hint: str
    why: str
    skippable: bool = True
    options: list[Option] = Field(default_factory=list)
    max_choices: int | None = None
    none_option: str | None = None
    allow_empty: bool = False
    min: int | None = None
    max: int | None = None
    unit: str | None = None
    buttons: list[SizeButton] = Field(default_factory=list)
    # words that name the topic, so an answer to this question is recognised out of turn
    cues: list[str] = Field(default_factory=list)
    # the option names alone identify the topic ("Hessen", "Landkreis")
    specific_options: bool = False

    @property
    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]

    def option(self, option_id: str) -> Option:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)

    def label_of(self, value: object) -> str:
        """Human-readable German form of a stored value of this question."""
        if value is None:
            return "weiß nicht"
        if self.kind == "multi":
            assert isinstance(value, list)
            return ", ".join(self.option(v).label for v in value) or "keine"
        if self.kind == "single":
            return self.option(str(value)).label
        if self.kind == "number":
            return f"{int(value):,}".replace(",", ".")
        return str(value)


class Questionnaire(BaseModel):
    version: int
    skip_phrases: list[str]
    none_phrases: list[str]
    negation_words: list[str]
    list_end_phrases: list[str] = Field(default_factory=list)
    all_phrases: list[str] = Field(default_factory=list)
    correction_phrases: list[str] = Field(default_factory=list)
    except_words: list[str] = Field(default_factory=list)
    questions: list[Question]

    @model_validator(mode="after")
    def _unique_ids(self) -> Questionnaire:
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate question ids in questionnaire")
        return self

    def get(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def ids_for(self, mode: Mode) -> list[str]:
        """Question ids asked in a mode, in conversation order.

        The full assessment asks the short check's questions first, then the others: a user
        can stop after the short check and deepen later without the order jumping about.
        """
        core = [q.id for q in self.questions if q.core]
        return core if mode == "kurz" else core + [q.id for q in self.questions if not q.core]


@cache
def load_questionnaire(path: Path = QUESTIONNAIRE_FILE) -> Questionnaire:
    with open(path, encoding="utf-8") as fh:
        return Questionnaire.model_validate(yaml.safe_load(fh))
