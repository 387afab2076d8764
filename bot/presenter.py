"""The result in German sentences, from the templates in data/result_texts.yml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from bot.conditions import join_clauses
from bot.maturity import dimension_title
from bot.models import Result
from bot.questionnaire import load_questionnaire
from bot.typology import profile_of

TEXTS_FILE = Path(__file__).parent / "data" / "result_texts.yml"


@cache
def texts() -> dict[str, str]:
    with open(TEXTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _percent(p: float) -> int:
    return round(p * 100)


def result_messages(result: Result) -> list[str]:
    """The result as chat messages: type, phase, maturity, recommendations, closing."""
    t = texts()
    profile = profile_of(result.typ)
    type_parts = [
        t["typ"].format(
            name=profile["name"],
            percent=_percent(result.typ_scores[result.typ]),
            summary=" ".join(profile["summary"].split()),
        )
    ]
    if result.typ_second:
        second = profile_of(result.typ_second)
        type_parts.append(
            t["typ_second"].format(
                name=second["name"], percent=_percent(result.typ_scores[result.typ_second])
            )
        )
    type_parts.append(t["typ_strengths"].format(strengths="; ".join(profile["strengths"])))
    learn = [
        t["typ_learn_item"].format(type=profile_of(item["type"])["name"], topic=item["topic"])
        for item in profile.get("learn_from", [])[:3]
    ]
    if learn:
        type_parts.append(t["typ_learn"].format(items="; ".join(learn)))

    lines = [t["maturity_head"]]
    for dim, score in result.reifegrad.items():
        title = dimension_title(dim)
        if score is None:
            lines.append(t["maturity_line_unknown"].format(title=title))
        elif dim in result.reifegrad_estimated:
            lines.append(t["maturity_line_estimated"].format(title=title, score=score))
        else:
            lines.append(t["maturity_line"].format(title=title, score=score))

    messages = [
        " ".join(type_parts),
        t["phase"].format(reason=result.phase_reason),
        "\n".join(lines),
    ]
    if result.recommendations:
        recs = [t["recommendations_head"].format(count=len(result.recommendations))]
        for number, rec in enumerate(result.recommendations, start=1):
            recs.append(t["recommendation"].format(number=number, **rec.model_dump()))
        messages.append("\n\n".join(recs))
    if result.not_judged:
        qn = load_questionnaire()
        titles = join_clauses([qn.get(q).title for q in result.not_judged])
        messages.append(t["not_judged"].format(questions=titles))
    messages.append(t["stored"])
    return messages
