"""The type model: vignette guard, probabilities, missing answers, retraining with the no-worse rule.

Models trained here are small (few synthetic respondents per type) and live in a temporary
KL_MODELS_DIR; the real model under models/ is never touched. The exact vignette figures of
the shipped model come from bench/typology.py (bench/RESULTS.md).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cli, store, typology
from bot.models import TYPE_IDS, Result

SMALL_N = 400


@pytest.fixture(scope="module")
def vignettes():
    return typology.load_vignettes()


@pytest.fixture(scope="module")
def small_model(vignettes):
    return typology.train(n_per_type=SMALL_N, vignettes=vignettes)


@pytest.fixture()
def models_dir(tmp_path, monkeypatch):
    """A temporary KL_MODELS_DIR; the load_model cache is cleared before and after."""
    monkeypatch.setenv("KL_MODELS_DIR", str(tmp_path / "models"))
    typology.load_model.cache_clear()
    yield tmp_path / "models"
    typology.load_model.cache_clear()


def test_vignettes_cover_all_types_with_a_mix_of_cases(vignettes):
    assert len(vignettes) >= 48
    assert len({v["id"] for v in vignettes}) == len(vignettes)
    for t in TYPE_IDS:
        assert sum(v["expected_typ"] == t for v in vignettes) >= 12
    hard = sum(v.get("difficulty") == "schwer" for v in vignettes)
    assert 0.2 <= hard / len(vignettes) <= 0.35
    assert any(None in v["answers"].values() for v in vignettes)  # "weiß nicht"
    assert {v.get("mode") for v in vignettes} == {"kurz", "voll"}


def test_vignette_accuracy_regression_guard(small_model, vignettes):
    # guard only; bench/typology.py reports the exact figures of the shipped model
    result = typology.evaluate_model(small_model, vignettes)
    assert result["accuracy"] >= 0.85, result["errors"]
    assert result["macro_f1"] >= 0.85
    assert min(result["recall"].values()) >= 0.7
    assert 0 <= result["brier"] < 0.1


def test_evaluate_model_reports_all_figures(small_model, vignettes):
    result = typology.evaluate_model(small_model, vignettes[:8])
    assert {"n", "accuracy", "macro_f1", "brier", "recall", "errors"} <= set(result)
    assert result["n"] == 8
    assert set(result["recall"]) == set(TYPE_IDS)


def test_probabilities_cover_four_types_and_sum_to_one(small_model, vignettes):
    for v in vignettes:
        scores = small_model.predict(v["answers"])
        assert set(scores) == set(TYPE_IDS)
        assert abs(sum(scores.values()) - 1) < 1e-3
        assert all(0 <= p <= 1 for p in scores.values())


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"ziele_top3": None, "einwohner": None, "basiskomponenten": None},
        {"basiskomponenten": [], "kommune_art": "stadt"},
        {"ziele_top3": ["daseinsvorsorge"], "kommune_name": "Musterstadt", "bundesland": "HE"},
    ],
)
def test_missing_answers_are_handled(small_model, answers):
    scores = small_model.predict(answers)
    assert abs(sum(scores.values()) - 1) < 1e-3


def test_missing_and_unknown_answers_give_the_unknown_flag():
    feats = typology.features({"ziele_top3": None})
    assert feats["ziele_top3=?"] == 1.0
    assert feats["fim=?"] == 1.0
    assert not any(k.startswith(("kommune_name", "bundesland")) for k in feats)


def test_training_writes_model_and_card(models_dir, small_model):
    path = typology.save(small_model)
    card = json.loads((path.parent / "card.json").read_text())
    assert card["version"] == small_model.version
    assert card["data"]["synthetic_rows_per_type"] == {t: SMALL_N for t in TYPE_IDS}
    assert card["data"]["confirmed_rows"] == 0
    assert card["features"]["count"] > 50
    assert {"accuracy", "macro_f1", "brier", "recall"} <= set(card["metrics"]["synthetic_test"])
    assert card["metrics"]["vignettes"]["n"] >= 48
    assert typology.load_model().version == small_model.version


# --- retraining from consultant-confirmed assessments ------------------------------------------


def _store_confirmed(rows, labels, prefix):
    for i, (answers, label) in enumerate(zip(rows, labels, strict=True)):
        result = Result(
            typ=label,
            typ_scores={t: 0.25 for t in TYPE_IDS},
            phase="start",
            phase_reason="Test",
            reifegrad={},
            recommendations=[],
            model_version="test",
        )
        store.save_result(f"{prefix}-{i}", "test", answers, result)
    with Session(store.get_engine()) as session, session.begin():
        for i, label in enumerate(labels):
            row = session.scalar(
                select(store.Assessment).where(store.Assessment.sender_id == f"{prefix}-{i}")
            )
            row.confirmed_typ = label


def _baseline(models_dir, small_model):
    typology.save(small_model)
    return (models_dir / "typology" / "model.joblib").read_bytes()


def test_train_from_db_replaces_the_model_when_not_worse(temp_db, models_dir, small_model):
    before = _baseline(models_dir, small_model)
    rows, labels = typology.generate_respondents(25, seed=2024)  # sensible, correctly labelled
    _store_confirmed(rows, labels, "gut")
    store.save_answers("offen", "test", {"kommune_art": "stadt"})  # not confirmed: ignored

    report = typology.train_from_db(n_per_type=SMALL_N)

    assert report["confirmed_rows"] == 100
    assert report["confirmed_rows_per_type"] == {t: 25 for t in TYPE_IDS}
    cand, cur = report["candidate"]["vignettes"], report["current"]["vignettes"]
    assert cand["macro_f1"] >= cur["macro_f1"] and cand["accuracy"] >= cur["accuracy"]
    assert report["replaced"] is True, report["reason"]
    assert (models_dir / "typology" / "model.joblib").read_bytes() != before
    card = json.loads((models_dir / "typology" / "card.json").read_text())
    assert card["data"]["confirmed_rows"] == 100
    assert card["version"] == report["candidate"]["version"]
    assert typology.load_model().version == report["candidate"]["version"]


def test_train_from_db_keeps_the_model_when_worse(temp_db, models_dir, small_model):
    before = _baseline(models_dir, small_model)
    rows, labels = typology.generate_respondents(40, seed=2025)
    shifted = dict(zip(TYPE_IDS, TYPE_IDS[1:] + TYPE_IDS[:1], strict=True))
    _store_confirmed(rows, [shifted[label] for label in labels], "falsch")  # deliberately mislabelled

    report = typology.train_from_db(n_per_type=SMALL_N)

    assert report["confirmed_rows"] == 160
    assert report["candidate"]["vignettes"]["accuracy"] < report["current"]["vignettes"]["accuracy"]
    assert report["replaced"] is False
    assert "bleibt" in report["reason"]
    assert (models_dir / "typology" / "model.joblib").read_bytes() == before
    assert typology.load_model().version == small_model.version


def test_train_from_db_without_confirmed_rows_changes_nothing(temp_db, models_dir, capsys):
    assert cli.main(["train-typology", "--from-db"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["confirmed_rows"] == 0 and report["replaced"] is False
    assert report["reason"]
    assert not (models_dir / "typology" / "model.joblib").exists()
