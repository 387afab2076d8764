"""German names for the ids of assessment.md, taken from the files the bot itself uses."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from bot.maturity import dimension_title
from bot.models import DIMENSION_IDS, PHASE_IDS, TYPE_IDS
from bot.phase import load_rules
from bot.questionnaire import load_questionnaire
from bot.typology import profile_of

BERLIN = ZoneInfo("Europe/Berlin")

# Size classes of the list filter and the statistics: (id, label, lower bound, upper bound).
SIZE_CLASSES: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("unter5000", "unter 5.000", None, 5_000),
    ("5000-20000", "5.000 bis unter 20.000", 5_000, 20_000),
    ("20000-100000", "20.000 bis unter 100.000", 20_000, 100_000),
    ("ab100000", "100.000 und mehr", 100_000, None),
)


@cache
def type_names() -> dict[str, str]:
    return {t: profile_of(t)["name"] for t in TYPE_IDS}


@cache
def phase_names() -> dict[str, str]:
    phases = load_rules().phases
    return {p: phases[p].name for p in PHASE_IDS}


@cache
def dimension_names() -> dict[str, str]:
    return {d: dimension_title(d) for d in DIMENSION_IDS}


@cache
def option_names(question_id: str) -> dict[str, str]:
    return {o.id: o.label for o in load_questionnaire().get(question_id).options}


def land_names() -> dict[str, str]:
    return option_names("bundesland")


def kind_names() -> dict[str, str]:
    return option_names("kommune_art")


def size_class_of(einwohner: int | None) -> str | None:
    if einwohner is None:
        return None
    for size_id, _label, low, high in SIZE_CLASSES:
        if (low is None or einwohner >= low) and (high is None or einwohner < high):
            return size_id
    return None


def local_time(value: datetime | str | None, with_time: bool = True) -> str:
    """German date (and time) in Berlin time; stored times are UTC."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(BERLIN)
    return value.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


def number(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{int(value):,}".replace(",", ".")
