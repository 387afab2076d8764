"""The NLU training data and the held-out test set stay apart and well-formed."""

import subprocess
import sys
from pathlib import Path

CHECK = Path(__file__).resolve().parents[1] / "nlu" / "check_nlu_data.py"


def test_nlu_data_is_valid_and_heldout_is_not_in_training():
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
