"""`make bench`: run every benchmark; each one records its figures in bench/RESULTS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = [
    "turn_latency.py",
    "long_conversation.py",
    "load.py",
    "conversation.py",
    "typology.py",
    "knowledge_search.py",
    "widget.py",
    "review.py",
    "rasa_training.py",
    "make_run.py",
]

if __name__ == "__main__":
    only = sys.argv[1:] or SCRIPTS
    for script in only:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(BENCH / script)], check=True)
