"""nlu_components/blended_intent_classifier.py inside the Rasa venv (Python 3.10, Rasa 3.6).

The component decides every intent the bot sees, so its contract is checked on small data:
it learns separable intents, blends a ranking that an earlier classifier left on the message,
sharpening never changes the top intent, and a persisted model predicts the same after loading.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path

    import numpy as np
    import scipy.sparse as sp
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu_components.blended_intent_classifier import BlendedIntentClassifier

    WORDS = ["hallo", "moin", "tschuess", "bis", "bayern", "hessen"]

    def message(text, intent=None):
        row = np.zeros((1, len(WORDS)))
        for word in text.split():
            if word in WORDS:
                row[0, WORDS.index(word)] += 1
        data = {TEXT: text}
        if intent:
            data["intent"] = intent
        m = Message(data=data)
        m.add_features(Features(sp.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "cvf"))
        return m

    train = [message(t, i) for t, i in [
        ("hallo", "greet"), ("moin", "greet"), ("hallo moin", "greet"),
        ("tschuess", "goodbye"), ("bis", "goodbye"), ("tschuess bis", "goodbye"),
        ("bayern", "inform"), ("hessen", "inform"), ("bayern hessen", "inform"),
    ]]
    tmp = Path(tempfile.mkdtemp())
    storage = LocalModelStorage(tmp)
    resource = Resource("blended")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {"C": 100, "weight": 0.7, "sharpen": 2}
    clf = BlendedIntentClassifier.create(config, storage, resource, context)

    untrained = message("hallo")
    clf.process([untrained])
    assert untrained.get("intent") is None, "an untrained component must leave the message alone"

    clf.train(TrainingData(train))
    for text, expected in [("moin", "greet"), ("bis", "goodbye"), ("hessen", "inform")]:
        m = message(text)
        clf.process([m])
        ranking = m.get("intent_ranking")
        assert m.get("intent")["name"] == expected, (text, ranking)
        assert abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6, ranking
        assert ranking == sorted(ranking, key=lambda r: -r["confidence"])

    # the ranking an earlier classifier (DIET) left on the message counts with 1 - weight
    lr_only = BlendedIntentClassifier({**config, "weight": 1.0, "sharpen": 1}, storage, resource,
                                      clf.classes, clf.coef, clf.intercept)
    m = message("hallo")
    lr_only.process([m])
    p_lr = {r["name"]: r["confidence"] for r in m.get("intent_ranking")}
    diet = [{"name": "inform", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]
    blend = BlendedIntentClassifier({**config, "sharpen": 1}, storage, resource,
                                    clf.classes, clf.coef, clf.intercept)
    m = message("hallo")
    m.set("intent_ranking", diet)
    blend.process([m])
    got = {r["name"]: r["confidence"] for r in m.get("intent_ranking")}
    for name in p_lr:
        want = 0.7 * p_lr[name] + 0.3 * {"inform": 0.9, "greet": 0.1}.get(name, 0.0)
        assert abs(got[name] - want) < 1e-6, (name, got, want)

    # sharpening moves confidences apart, never the top intent
    sharp = BlendedIntentClassifier({**config, "sharpen": 2}, storage, resource,
                                    clf.classes, clf.coef, clf.intercept)
    m2 = message("hallo")
    m2.set("intent_ranking", diet)
    sharp.process([m2])
    assert m2.get("intent")["name"] == m.get("intent")["name"]
    assert m2.get("intent")["confidence"] >= m.get("intent")["confidence"]

    # a message without features (empty text) gets a ranking instead of an error
    empty = Message(data={TEXT: ""})
    clf.process([empty])
    assert empty.get("intent")["name"] in clf.classes

    # persisted and loaded: the same prediction
    loaded = BlendedIntentClassifier.load(config, storage, resource, context)
    a, b = message("tschuess hallo"), message("tschuess hallo")
    clf.process([a]); loaded.process([b])
    assert a.get("intent_ranking") == b.get("intent_ranking")
    print("OK")
    """
)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_blended_classifier_learns_blends_and_persists() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.strip().endswith("OK")
