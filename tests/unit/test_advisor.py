"""Type, phase, maturity and recommendations follow visibly from the answers."""

import pytest

from bot.advisor import evaluate
from bot.models import DIMENSION_IDS, TYPE_IDS

SMALL_CAUTIOUS = {
    "kommune_art": "gemeinde",
    "einwohner": 6000,
    "bundesland": "BY",
    "ziele_top3": ["rechtliche_vorgaben", "foerdermittel", "it_sicherheit"],
    "handlungsfelder_top3": ["verwaltung", "digitale_infrastruktur"],
    "strategie_status": "keine",
    "steuerung": ["it"],
    "basiskomponenten": ["e_payment"],
    "ozg_stand": "einzelne",
    "fim": "unbekannt",
    "wissen": "gering",
    "lotsen": "nein",
    "projekte": "keine",
}


def test_result_shape_and_probabilities():
    result = evaluate(SMALL_CAUTIOUS)
    assert set(result.typ_scores) == set(TYPE_IDS)
    assert abs(sum(result.typ_scores.values()) - 1) < 0.01
    assert result.typ == max(result.typ_scores, key=result.typ_scores.get)
    assert set(result.reifegrad) == set(DIMENSION_IDS)
    assert len(result.recommendations) == 3
    assert all(r.reason.startswith("Sie haben angegeben") for r in result.recommendations)


@pytest.mark.parametrize(
    ("goals", "expected"),
    [
        (["rechtliche_vorgaben", "foerdermittel", "it_sicherheit"], "bedaechtige"),
        (["effizienz", "kosten_personal"], "optimierer"),
        (["buergerservice", "attraktivitaet"], "serviceorientierte"),
        (["daseinsvorsorge", "gemeinschaft"], "community_manager"),
    ],
)
def test_goals_drive_the_type(goals, expected):
    # the clusters of the study were formed on the goals: alone they decide the type
    assert evaluate({"ziele_top3": goals}).typ == expected


def test_phase_reasons_name_the_answers():
    result = evaluate(SMALL_CAUTIOUS)
    assert result.phase == "orientierung"
    assert "Strategie" in result.phase_reason
    later = evaluate(
        {**SMALL_CAUTIOUS, "strategie_status": "vorhanden", "projekte": "mehrere_laufend"}
    )
    assert later.phase == "umsetzung"
    assert "Digitalisierungsstrategie vorliegt" in later.phase_reason


def test_unknown_answers_are_named_not_guessed():
    result = evaluate({**SMALL_CAUTIOUS, "fim": None, "lotsen": None})
    assert set(result.not_judged) == {"fim", "lotsen"}
    assert "Digitalisierungslotsen" in result.phase_reason


def test_maturity_rises_with_better_answers():
    low = evaluate(SMALL_CAUTIOUS).reifegrad
    high = evaluate(
        {
            **SMALL_CAUTIOUS,
            "strategie_status": "vorhanden",
            "steuerung": ["hvb", "cdo"],
            "basiskomponenten": ["formularserver", "e_payment", "servicekonto", "eid", "e_akte"],
            "ozg_stand": "viele",
            "fim": "genutzt",
            "wissen": "fortgeschritten",
            "lotsen": "ja",
        }
    ).reifegrad
    for dim in ("strategie_steuerung", "verwaltungsdigitalisierung", "kompetenzen_beteiligung"):
        assert high[dim] > low[dim]
    assert evaluate({"kommune_art": "stadt"}).reifegrad["daten"] is None


def test_recommendations_use_the_land():
    bavarian = evaluate(SMALL_CAUTIOUS).recommendations
    lotsen = next(r for r in bavarian if r.id == "lotsen-ausbilden")
    assert "Bayern" in lotsen.who_helps
    saxon = evaluate({**SMALL_CAUTIOUS, "bundesland": "SN"}).recommendations
    assert "Sachsen" in next(r for r in saxon if r.id == "lotsen-ausbilden").who_helps


def test_gaps_change_the_recommendations():
    ids = {r.id for r in evaluate(SMALL_CAUTIOUS).recommendations}
    advanced = {
        **SMALL_CAUTIOUS,
        "strategie_status": "vorhanden",
        "lotsen": "ja",
        "wissen": "fortgeschritten",
        "projekte": "mehrere_laufend",
    }
    assert ids != {r.id for r in evaluate(advanced).recommendations}
    assert "strategie-erarbeiten" not in {r.id for r in evaluate(advanced).recommendations}
