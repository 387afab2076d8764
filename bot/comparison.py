"""Where a municipality stands: against published figures, against similar municipalities
stored here (once there are enough), and against its own last assessment."""

from __future__ import annotations

import statistics
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.conditions import Condition
from bot.maturity import dimension_title
from bot.models import Result
from bot.phase import load_rules
from bot.store import Assessment, get_engine

BENCHMARKS_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "benchmarks.yml"


class PublishedFigure(BaseModel):
    id: str
    question: str
    when: Condition
    met: str
    unmet: str
    knowledge_id: str


class Benchmarks(BaseModel):
    version: int
    peer_minimum: int
    peer_size_factor: float
    published: list[PublishedFigure]
    texts: dict[str, str]


@cache
def load_benchmarks(path: Path = BENCHMARKS_FILE) -> Benchmarks:
    with open(path, encoding="utf-8") as fh:
        return Benchmarks.model_validate(yaml.safe_load(fh))


def published_comparison(answers: dict[str, Any]) -> list[str]:
    """One sentence per published figure the answers can be held against."""
    lines = []
    for fig in load_benchmarks().published:
        holds = fig.when.holds(answers)
        if holds is not None:
            lines.append(fig.met if holds else fig.unmet)
    return lines


def similar_assessments(
    answers: dict[str, Any], sender_id: str, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """Completed assessments of the same kind and similar size (other conversations)."""
    bench = load_benchmarks()
    art, size = answers.get("kommune_art"), answers.get("einwohner")
    if not art or not size:
        return []
    with Session(engine or get_engine()) as session:
        rows = session.scalars(
            select(Assessment).where(
                Assessment.kommune_art == art,
                Assessment.completed_at.is_not(None),
                Assessment.sender_id != sender_id,
                Assessment.einwohner >= size / bench.peer_size_factor,
                Assessment.einwohner <= size * bench.peer_size_factor,
            )
        )
        return [r.to_dict() for r in rows]


def peer_comparison(
    answers: dict[str, Any], result: Result, sender_id: str, engine: Engine | None = None
) -> list[str]:
    """Median maturity of similar municipalities per dimension, once there are enough."""
    bench = load_benchmarks()
    peers = similar_assessments(answers, sender_id, engine)
    if len(peers) < bench.peer_minimum:
        return []
    t = bench.texts
    from bot.questionnaire import load_questionnaire

    art = load_questionnaire().get("kommune_art").label_of(answers["kommune_art"])
    lines = [t["peers_head"].format(count=len(peers), art=art)]
    for dim, score in result.reifegrad.items():
        values = [p["reifegrad"].get(dim) for p in peers if p.get("reifegrad")]
        values = [v for v in values if v is not None]
        if score is None or len(values) < bench.peer_minimum:
            continue
        median = statistics.median(values)
        verdict = t["above"] if score > median else t["below"] if score < median else t["equal"]
        lines.append(
            t["peer_line"].format(
                title=dimension_title(dim), score=score, median=round(median), verdict=verdict
            )
        )
    return lines if len(lines) > 1 else []


def previous_result(
    sender_id: str, answers: dict[str, Any], engine: Engine | None = None
) -> dict[str, Any] | None:
    """The last completed assessment of this municipality: this conversation's earlier result,
    or another conversation with the same name and Land."""
    with Session(engine or get_engine()) as session:
        own = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
        if own is not None and own.completed_at is not None and own.typ:
            return own.to_dict()
        name, land = answers.get("kommune_name"), answers.get("bundesland")
        if not name or not land:
            return None
        candidates = session.scalars(
            select(Assessment)
            .where(
                Assessment.bundesland == land,
                Assessment.completed_at.is_not(None),
                Assessment.sender_id != sender_id,
            )
            .order_by(Assessment.completed_at.desc())
        )
        for row in candidates:
            if str((row.answers or {}).get("kommune_name", "")).strip().lower() == name.strip().lower():
                return row.to_dict()
    return None


def changes_since(previous: dict[str, Any], result: Result) -> list[str]:
    """What changed in type, phase and maturity since the previous assessment."""
    from bot.typology import profile_of

    t = load_benchmarks().texts
    date = datetime.fromisoformat(previous["completed_at"]).strftime("%d.%m.%Y")
    lines = []
    if previous.get("typ") != result.typ:
        old = profile_of(previous["typ"])["name"] if previous.get("typ") else "–"
        lines.append(t["change_typ"].format(old=old, new=profile_of(result.typ)["name"]))
    if previous.get("phase") != result.phase:
        phases = load_rules().phases
        old = phases[previous["phase"]].name if previous.get("phase") in phases else "–"
        lines.append(t["change_phase"].format(old=old, new=phases[result.phase].name))
    for dim, score in result.reifegrad.items():
        old = (previous.get("reifegrad") or {}).get(dim)
        if score is not None and old is not None and score != old:
            lines.append(
                t["change_dim"].format(title=dimension_title(dim), old=old, new=score, delta=score - old)
            )
    if not lines:
        return [t["no_changes"].format(date=date)]
    return [t["changes_head"].format(date=date), *lines]


def comparison_messages(
    answers: dict[str, Any],
    result: Result,
    sender_id: str,
    previous: dict[str, Any] | None,
    engine: Engine | None = None,
) -> list[str]:
    """The comparison part of the result conversation, one chat message per block."""
    messages = []
    published = published_comparison(answers)
    if published:
        messages.append("\n".join([load_benchmarks().texts["published_head"], *published]))
    peers = peer_comparison(answers, result, sender_id, engine)
    if peers:
        messages.append("\n".join(peers))
    if previous:
        messages.append("\n".join(changes_since(previous, result)))
    return messages
