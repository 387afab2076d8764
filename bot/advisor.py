"""The advisor's judgement in one call: answers in, result out."""

from __future__ import annotations

from typing import Any

from bot.maturity import maturity
from bot.models import Answers, Result
from bot.phase import determine_phase
from bot.questionnaire import load_questionnaire
from bot.recommend import recommend
from bot.typology import scores_for

# A second type is named when it is at least this probable and this close to the first.
SECOND_TYPE_MIN = 0.25
SECOND_TYPE_GAP = 0.5


def evaluate(answers: Answers | dict[str, Any]) -> Result:
    values = answers.root if isinstance(answers, Answers) else Answers(answers).root
    scores, version = scores_for(values)
    ranked = sorted(scores, key=scores.get, reverse=True)
    typ, runner_up = ranked[0], ranked[1]
    second = (
        runner_up
        if scores[runner_up] >= SECOND_TYPE_MIN
        and scores[typ] - scores[runner_up] <= SECOND_TYPE_GAP
        else None
    )
    phase, reason = determine_phase(values)
    reifegrad, estimated = maturity(values)
    qn = load_questionnaire()
    not_judged = [q for q in qn.ids_for("kurz") if values.get(q) is None]
    return Result(
        typ=typ,
        typ_scores=scores,
        typ_second=second,
        phase=phase,
        phase_reason=reason,
        reifegrad=reifegrad,
        reifegrad_estimated=estimated,
        recommendations=recommend(values, phase, typ),
        not_judged=not_judged,
        model_version=version,
    )
