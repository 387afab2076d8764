"""Type model: synthetic respondents from the type profiles, a calibrated classifier.

The ÖFIT/KGSt survey data is not public. The four types are encoded as explicit
profiles (knowledge/typology/profiles.yml, with the evidence for each number); the
classifier learns from respondents generated from them and, later, from assessments
a consultant has confirmed (`train_from_db`). The independent check is a set of
hand-written vignettes (bench/data/type_vignettes.yml); a retrained model replaces the
current one only if it is not worse on them. Model card: knowledge/typology/MODEL_CARD.md;
the machine-readable card of the trained model is models/typology/card.json.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
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
VIGNETTES_FILE = ROOT / "bench" / "data" / "type_vignettes.yml"
# Questions without type signal (identity and place) are not features.
NON_FEATURES = {"kommune_name", "bundesland"}

# Bumped whenever `features` or the pipeline change; part of the model version.
FEATURE_VERSION = 1
# Inverse regularisation strength of the logistic regression. Alternatives (C=0.05, size bins,
# goal pairs, 6000 rows per type) were compared on synthetic held-out data; see MODEL_CARD.md.
REGULARISATION_C = 0.5
DEFAULT_N_PER_TYPE = 3000
# A consultant-confirmed assessment counts as this many synthetic respondents.
CONFIRMED_WEIGHT = 5.0
TEST_N_PER_TYPE = 500


def models_dir() -> Path:
    return Path(os.environ.get("KL_MODELS_DIR", ROOT / "models"))


def model_path() -> Path:
    return models_dir() / "typology" / "model.joblib"


def card_path(model_file: Path | None = None) -> Path:
    return (model_file or model_path()).parent / "card.json"


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
    """Answers -> sparse feature dict; unanswered questions get an explicit 'unknown' flag.

    - single choice: one indicator per answer (`ozg_stand=viele`),
    - multiple choice: one indicator per chosen option plus the share of options chosen (`#n`),
    - population: log10 of the size, centred on 10,000 (`einwohner#log`),
    - a missing key and null ("weiß nicht") both give `<question>=?`.
    """
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
            feats[f"{q.id}#log"] = math.log10(max(1, int(value))) - 4.0
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
            if answers.get("kommune_art") == "landkreis" and (answers.get("einwohner") or 1e9) < 40000:
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
    card: dict[str, Any] = field(default_factory=dict)

    def predict(self, answers: dict[str, Any]) -> dict[str, float]:
        return self.predict_many([answers])[0]

    def predict_many(self, answer_sets: list[dict[str, Any]]) -> list[dict[str, float]]:
        """Probabilities of all four types per answer set (rounded to 4 places, summing to 1)."""
        result = []
        for proba in self.pipeline.predict_proba([features(a) for a in answer_sets]):
            scores = {str(c): float(p) for c, p in zip(self.pipeline.classes_, proba, strict=True)}
            total = sum(scores.values()) or 1.0
            result.append({t: round(scores.get(t, 0.0) / total, 4) for t in TYPE_IDS})
        return result


def data_version(confirmed: list[tuple[dict[str, Any], str]] | None = None) -> str:
    """Hash of what the model is built from: profiles, questionnaire, feature set, confirmed rows."""
    digest = hashlib.sha256()
    for path in (PROFILES_FILE, QUESTIONNAIRE_FILE):
        digest.update(path.read_bytes())
    digest.update(f"features={FEATURE_VERSION};C={REGULARISATION_C}".encode())
    if confirmed:
        digest.update(json.dumps(sorted(confirmed, key=json.dumps), sort_keys=True).encode())
    return digest.hexdigest()[:10]


def build_pipeline():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        DictVectorizer(sparse=True),
        CalibratedClassifierCV(LogisticRegression(C=REGULARISATION_C, max_iter=3000), method="sigmoid", cv=3),
    )


def _classification_metrics(expected: list[str], proba: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, mean Brier score over the four classes, recall per type."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    predicted = [classes[i] for i in proba.argmax(axis=1)]
    onehot = np.array([[1.0 if c == y else 0.0 for c in classes] for y in expected])
    recall = recall_score(expected, predicted, labels=list(TYPE_IDS), average=None, zero_division=0)
    return {
        "n": len(expected),
        "accuracy": round(float(accuracy_score(expected, predicted)), 4),
        "macro_f1": round(
            float(f1_score(expected, predicted, labels=list(TYPE_IDS), average="macro", zero_division=0)),
            4,
        ),
        # mean over the four classes of the one-vs-rest Brier score (0 = perfect, 0.1875 = uniform)
        "brier": round(float(np.mean((proba - onehot) ** 2)), 4),
        "recall": {t: round(float(r), 4) for t, r in zip(TYPE_IDS, recall, strict=True)},
    }


def load_vignettes(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The hand-written evaluation vignettes (id, expected_typ, description, answers)."""
    from bot.models import Answers

    path = Path(path) if path else VIGNETTES_FILE
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    vignettes = data["vignettes"] if isinstance(data, dict) else data
    for v in vignettes:
        if v.get("expected_typ") not in TYPE_IDS:
            raise ValueError(f"Vignette {v.get('id')}: unbekannter Typ {v.get('expected_typ')!r}")
        Answers.model_validate(v["answers"])  # exactly the ids and values of assessment.md
    return vignettes


def evaluate_model(model: TypeModel, vignettes: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, macro-F1, mean Brier score and per-type recall of `model` on labelled vignettes.

    Also lists the misclassified vignettes (id, expected, predicted, probability of the expected type).
    """
    predicted = model.predict_many([v["answers"] for v in vignettes])
    proba = np.array([[p[t] for t in TYPE_IDS] for p in predicted])
    expected = [v["expected_typ"] for v in vignettes]
    result = _classification_metrics(expected, proba, list(TYPE_IDS))
    result["errors"] = [
        {
            "id": v.get("id"),
            "expected": v["expected_typ"],
            "predicted": TYPE_IDS[int(p.argmax())],
            "p_expected": round(float(p[TYPE_IDS.index(v["expected_typ"])]), 4),
        }
        for v, p in zip(vignettes, proba, strict=True)
        if TYPE_IDS[int(p.argmax())] != v["expected_typ"]
    ]
    return result


def _vignettes_or_none(path: Path | str | None = None) -> list[dict[str, Any]] | None:
    path = Path(path) if path else VIGNETTES_FILE
    return load_vignettes(path) if path.exists() else None


def train(
    rows: list[dict[str, Any]] | None = None,
    labels: list[str] | None = None,
    n_per_type: int = DEFAULT_N_PER_TYPE,
    seed: int = 42,
    confirmed_weight: float = CONFIRMED_WEIGHT,
    vignettes: list[dict[str, Any]] | None = None,
) -> TypeModel:
    """Train on synthetic respondents plus any confirmed rows given (weighted), then evaluate.

    `rows`/`labels` are consultant-confirmed assessments; each counts `confirmed_weight` times.
    Metrics: a fresh synthetic test set (other seed) and the vignettes (default file if present).
    """
    from threadpoolctl import threadpool_limits

    rows, labels = list(rows or []), list(labels or [])
    if len(rows) != len(labels):
        raise ValueError("rows and labels differ in length")
    syn_rows, syn_labels = generate_respondents(n_per_type, seed=seed)
    weights = np.array([1.0] * len(syn_rows) + [float(confirmed_weight)] * len(rows))
    pipeline = build_pipeline()
    # one BLAS/OpenMP thread: the problem is small, and several threads only contend (2-3x slower)
    with threadpool_limits(1):
        pipeline.fit(
            [features(r) for r in [*syn_rows, *rows]],
            [*syn_labels, *labels],
            calibratedclassifiercv__sample_weight=weights,
        )
    test_rows, test_labels = generate_respondents(TEST_N_PER_TYPE, seed=seed + 1)
    proba = pipeline.predict_proba([features(r) for r in test_rows])
    synthetic = _classification_metrics(test_labels, proba, [str(c) for c in pipeline.classes_])

    now = datetime.now(UTC)
    confirmed = list(zip(rows, labels, strict=True))
    version = f"typologie-{data_version(confirmed)}-{now:%Y%m%d}" + (f"-b{len(rows)}" if rows else "")
    model = TypeModel(
        pipeline=pipeline, version=version, trained_at=now.isoformat(timespec="seconds"), metrics={}
    )
    vignette_source = "given"
    if vignettes is None:
        vignettes = _vignettes_or_none()
        vignette_source = str(VIGNETTES_FILE.relative_to(ROOT))
    on_vignettes = evaluate_model(model, vignettes) if vignettes else None

    model.metrics = {
        "synthetic_accuracy": synthetic["accuracy"],
        "synthetic_macro_f1": synthetic["macro_f1"],
        "synthetic_brier": synthetic["brier"],
    }
    if on_vignettes:
        model.metrics |= {
            "vignette_accuracy": on_vignettes["accuracy"],
            "vignette_macro_f1": on_vignettes["macro_f1"],
            "vignette_brier": on_vignettes["brier"],
        }
    vectorizer = pipeline.steps[0][1]
    model.card = {
        "version": model.version,
        "trained_at": model.trained_at,
        "model": (
            "DictVectorizer + CalibratedClassifierCV(LogisticRegression(C="
            f"{REGULARISATION_C}), method=sigmoid, cv=3)"
        ),
        "data": {
            "profiles": str(PROFILES_FILE.relative_to(ROOT)),
            "profiles_version": load_profiles().get("version"),
            "seed": seed,
            "synthetic_rows_per_type": {t: syn_labels.count(t) for t in TYPE_IDS},
            "confirmed_rows": len(rows),
            "confirmed_rows_per_type": {t: labels.count(t) for t in TYPE_IDS},
            "confirmed_weight": float(confirmed_weight),
        },
        "features": {
            "version": FEATURE_VERSION,
            "count": len(vectorizer.feature_names_),
            "questions": [q.id for q in load_questionnaire().questions if q.id not in NON_FEATURES],
        },
        "metrics": {
            "synthetic_test": {**synthetic, "seed": seed + 1},
            "vignettes": ({**on_vignettes, "source": vignette_source} if on_vignettes else None),
        },
    }
    return model


def write_card(model: TypeModel, path: Path | None = None) -> Path:
    path = path or card_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    card = model.card or {"version": model.version, "trained_at": model.trained_at, "metrics": model.metrics}
    path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def save(model: TypeModel, path: Path | None = None) -> Path:
    """Store the model (joblib) and its machine-readable card (card.json next to it)."""
    import joblib

    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    write_card(model, card_path(path))
    load_model.cache_clear()
    return path


def _load_uncached(path: Path) -> TypeModel:
    import joblib

    if not path.exists():
        raise FileNotFoundError(
            f"Typmodell fehlt unter {path}. Bitte 'make setup' ausführen (oder 'lotse train-typology')."
        )
    return joblib.load(path)


@cache
def load_model(path: Path | None = None) -> TypeModel:
    return _load_uncached(path or model_path())


def scores_for(answers: dict[str, Any]) -> tuple[dict[str, float], str]:
    """Type probabilities (all four, summing to 1) and the model version."""
    model = load_model()
    return model.predict(answers), model.version


# --- retraining from confirmed assessments ---------------------------------------------------


def confirmed_rows(engine=None) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Answers and labels of all stored assessments a consultant has confirmed.

    Returns (rows, labels, skipped sender ids): rows whose answers no longer validate against
    the questionnaire, or whose confirmed type is unknown, are skipped and reported.
    """
    from pydantic import ValidationError
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot import store
    from bot.models import Answers

    rows: list[dict[str, Any]] = []
    labels: list[str] = []
    skipped: list[str] = []
    with Session(engine or store.get_engine()) as session:
        query = (
            select(store.Assessment)
            .where(store.Assessment.confirmed_typ.is_not(None))
            .order_by(store.Assessment.id)
        )
        for a in session.scalars(query):
            if a.confirmed_typ not in TYPE_IDS:
                skipped.append(a.sender_id)
                continue
            try:
                answers = Answers.model_validate(a.answers or {}).root
            except ValidationError:
                skipped.append(a.sender_id)
                continue
            rows.append(dict(answers))
            labels.append(a.confirmed_typ)
    return rows, labels, skipped


def _summary(model: TypeModel, on_vignettes: dict[str, Any] | None) -> dict[str, Any]:
    return {"version": model.version, "trained_at": model.trained_at, "vignettes": on_vignettes}


def train_from_db(
    engine=None,
    n_per_type: int = DEFAULT_N_PER_TYPE,
    seed: int = 42,
    confirmed_weight: float = CONFIRMED_WEIGHT,
    vignettes_path: Path | str | None = None,
) -> dict[str, Any]:
    """Retrain on synthetic + consultant-confirmed assessments; keep the better model.

    The candidate replaces the saved model only if, on the vignettes, neither its macro-F1
    nor its accuracy is lower than the current model's (the no-worse rule). Without a saved
    model the candidate is saved. Returns a report (candidate/current metrics, replaced, reason).
    """
    rows, labels, skipped = confirmed_rows(engine)
    report: dict[str, Any] = {
        "confirmed_rows": len(rows),
        "confirmed_rows_per_type": {t: labels.count(t) for t in TYPE_IDS},
        "skipped_rows": skipped,
        "confirmed_weight": float(confirmed_weight),
        "model": str(model_path()),
        "candidate": None,
        "current": None,
        "replaced": False,
        "reason": "",
    }
    if not rows:
        report["reason"] = "Keine bestätigten Einschätzungen (confirmed_typ) in der Datenbank; nichts zu tun."
        return report
    vignettes = load_vignettes(vignettes_path)
    candidate = train(
        rows, labels, n_per_type=n_per_type, seed=seed, confirmed_weight=confirmed_weight, vignettes=vignettes
    )
    cand_eval = evaluate_model(candidate, vignettes)
    report["candidate"] = _summary(candidate, cand_eval)
    try:
        current = _load_uncached(model_path())
    except FileNotFoundError:
        current = None
    if current is None:
        replaced, reason = True, "Kein bisheriges Modell vorhanden; der Kandidat wird gespeichert."
    else:
        cur_eval = evaluate_model(current, vignettes)
        report["current"] = _summary(current, cur_eval)
        replaced = (
            cand_eval["macro_f1"] >= cur_eval["macro_f1"] and cand_eval["accuracy"] >= cur_eval["accuracy"]
        )
        figures = (
            f"Makro-F1 {cand_eval['macro_f1']:.4f} gegenüber {cur_eval['macro_f1']:.4f}, "
            f"Genauigkeit {cand_eval['accuracy']:.4f} gegenüber {cur_eval['accuracy']:.4f}"
        )
        reason = (
            f"Kandidat auf den Vignetten nicht schlechter ({figures}); er ersetzt das bisherige Modell."
            if replaced
            else f"Kandidat auf den Vignetten schlechter ({figures}); das bisherige Modell bleibt."
        )
    if replaced:
        save(candidate)
    report["replaced"] = replaced
    report["reason"] = reason
    return report
