"""`lotse classify` as other tools call it: JSON on stdin, JSON or exit 2 out."""

import json
import subprocess
import sys

from tests.unit.test_advisor import SMALL_CAUTIOUS


def run_classify(payload: str):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify"],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
    )


def test_classify_prints_the_result():
    proc = run_classify(json.dumps(SMALL_CAUTIOUS))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in ("typ", "typ_scores", "phase", "phase_reason", "reifegrad", "recommendations"):
        assert key in out
    assert len(out["recommendations"]) == 3


def test_unknown_question_id_exits_2_naming_the_field():
    proc = run_classify(json.dumps({"gemeindeart": "stadt"}))
    assert proc.returncode == 2
    assert "gemeindeart" in proc.stderr


def test_unknown_value_exits_2_naming_the_field():
    proc = run_classify(json.dumps({"bundesland": "XY"}))
    assert proc.returncode == 2
    assert "bundesland" in proc.stderr and "XY" in proc.stderr


def test_invalid_json_exits_2():
    assert run_classify("{nope").returncode == 2
