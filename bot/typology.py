"""Type model: synthetic respondents from the type profiles, a calibrated classifier.

The ÖFIT/KGSt survey data is not public. The four types are encoded as explicit
profiles (knowledge/typology/profiles.yml, with the evidence for each number); the
classifier learns from respondents generated from them and, later, from assessments
a consultant has confirmed.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.models import TYPE_IDS
from bot.questionnaire import QUESTIONNAIRE_FILE, Questionnaire, load_questionnaire

ROOT = Path(__file__).resolve().parent.parent
PROFILES_FILE = ROOT / "knowledge" / "typology" / "profiles.yml"
# Questions without type signal (identity and place) are not features.
NON_FEATURES = {"kommune_name", "bundesland"}


def models_dir() -> Path:
    return Path(os.environ.get("KL_MODELS_DIR", ROOT / "models"))


def model_path() -> Path:
    return models_dir() / "typology" / "model.joblib"


@cache
def load_profiles(path: Path = PROFILES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def profile_of(type_id: str) -> dict[str, Any]:
    for t in load_profiles()["types"]:
        if t["id"] == type_id:
            return t
    raise KeyError(type_id)


def features(answers: dict[str, Any], qn: Questionnaire | None = None) -> dict[str, float]:
    """Answers -> sparse feature dict; unanswered questions get an explicit 'unknown' flag."""
    qn = qn or load_questionnaire()
    feats: dict[str, float] = {}
    for q in qn.questions:
        if q.id in NON_FEATURES:
            continue
        value = answers.get(q.id)
        if value is None:
            feats[f"{q.id}=?"] = 1.0
        elif q.kind == "single":
            feats[f"{q.id}={value}"] = 1.0
        elif q.kind == "multi":
            for v in value:
                feats[f"{q.id}={v}"] = 1.0
            feats[f"{q.id}#n"] = len(value) / max(1, len(q.options))
        elif q.kind == "number":
            feats[f"{q.id}#log"] = (math.log10(max(1, value)) - 4.0) / 1.0
    return feats


# --- synthetic respondents -------------------------------------------------------------


def _draw_single(dist: dict[str, float], rng: np.random.Generator) -> str:
    keys = list(dist)
    p = np.array([dist[k] for k in keys], dtype=float)
    return str(rng.choice(keys, p=p / p.sum()))


def _draw_multi(q, probs: dict[str, float], rng: np.random.Generator) -> list[str]:
    # Rules from knowledge/typology/README.md: 'keine' is drawn first; top-3 questions keep
    # at most three (at random) and at least one (by weight).
    if q.none_option and rng.random() < probs.get(q.none_option, 0.0):
        return [q.none_option]
    chosen = [o for o in q.option_ids if o != q.none_option and rng.random() < probs.get(o, 0.0)]
    if q.max_choices:
        if len(chosen) > q.max_choices:
            chosen = list(rng.choice(chosen, size=q.max_choices, replace=False))
        if not chosen:
            weights = {o: probs.get(o, 0.0) for o in q.option_ids if o != q.none_option}
            chosen = [_draw_single(weights, rng)]
    if not chosen and q.none_option:
        return [q.none_option]
    return [str(c) for c in chosen]


def generate_respondents(
    n_per_type: int, seed: int = 42, qn: Questionnaire | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Synthetic answer sets drawn from the profiles, with the gaps real users leave.

    Half of them answer only the short check; every answer is skipped with 5 % chance.
    """
    qn = qn or load_questionnaire()
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    labels: list[str] = []
    for t in load_profiles()["types"]:
        for _ in range(n_per_type):
            short = rng.random() < 0.5
            answers: dict[str, Any] = {}
            for q in qn.questions:
                if q.id in NON_FEATURES or (short and not q.core):
                    continue
                spec = t["answers"][q.id]
                if q.kind == "single":
                    value: Any = _draw_single(spec, rng)
                elif q.kind == "multi":
                    value = _draw_multi(q, spec, rng)
                else:
                    value = int(math.exp(rng.normal(math.log(spec["median"]), spec["sigma"])))
                    value = min(max(value, q.min or 100), q.max or value)
                answers[q.id] = None if rng.random() < 0.05 else value
            if (
                answers.get("kommune_art") == "landkreis"
                and (answers.get("einwohner") or 1e9) < 40000
            ):
                answers["einwohner"] = int(rng.uniform(40000, 400000))
            rows.append(answers)
            labels.append(t["id"])
    return rows, labels


# --- training and prediction --------------------------------------------------------------


@dataclass
class TypeModel:
    pipeline: Any
    version: str
    trained_at: str
    metrics: dict[str, float]

    def predict(self, answers: dict[str, Any]) -> dict[str, float]:
        proba = self.pipeline.predict_proba([features(answers)])[0]
        scores = {str(c): float(p) for c, p in zip(self.pipeline.classes_, proba, strict=True)}
        total = sum(scores.values()) or 1.0
        return {t: round(scores.get(t, 0.0) / total, 4) for t in TYPE_IDS}


def data_version() -> str:
    digest = hashlib.sha256()
    for path in (PROFILES_FILE, QUESTIONNAIRE_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build_pipeline():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        DictVectorizer(sparse=True),
        CalibratedClassifierCV(LogisticRegression(C=0.5, max_iter=2000), method="sigmoid", cv=3),
    )


def train(
    rows: list[dict[str, Any]] | None = None,
    labels: list[str] | None = None,
    n_per_type: int = 3000,
    seed: int = 42,
) -> TypeModel:
    """Train on synthetic respondents (plus any confirmed rows given) and evaluate on fresh ones."""
    from sklearn.metrics import accuracy_score, brier_score_loss, f1_score

    syn_rows, syn_labels = generate_respondents(n_per_type, seed=seed)
    rows = [*syn_rows, *(rows or [])]
    labels = [*syn_labels, *(labels or [])]
    pipeline = build_pipeline()
    pipeline.fit([features(r) for r in rows], labels)
    test_rows, test_labels = generate_respondents(500, seed=seed + 1)
    proba = pipeline.predict_proba([features(r) for r in test_rows])
    predicted = [pipeline.classes_[i] for i in proba.argmax(axis=1)]
    onehot = np.array([[1.0 if c == y else 0.0 for c in pipeline.classes_] for y in test_labels])
    metrics = {
        "synthetic_accuracy": round(float(accuracy_score(test_labels, predicted)), 4),
        "synthetic_macro_f1": round(float(f1_score(test_labels, predicted, average="macro")), 4),
        "synthetic_brier": round(
            float(np.mean([brier_score_loss(onehot[:, i], proba[:, i]) for i in range(4)])), 4
        ),
    }
    now = datetime.now(UTC)
    return TypeModel(
        pipeline=pipeline,
        version=f"typologie-{data_version()}-{now:%Y%m%d}",
        trained_at=now.isoformat(timespec="seconds"),
        metrics=metrics,
    )


def save(model: TypeModel, path: Path | None = None) -> Path:
    import joblib

    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


@cache
def load_model(path: Path | None = None) -> TypeModel:
    import joblib

    path = path or model_path()
    if not path.exists():
        raise FileNotFoundError(
            f"Typmodell fehlt unter {path}. Bitte 'make setup' ausführen "
            "(oder 'lotse train-typology')."
        )
    return joblib.load(path)


def scores_for(answers: dict[str, Any]) -> tuple[dict[str, float], str]:
    """Type probabilities (all four, summing to 1) and the model version."""
    model = load_model()
    return model.predict(answers), model.version
