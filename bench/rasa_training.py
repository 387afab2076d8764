"""Rasa training time from scratch (empty training cache), as on a fresh machine."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, record  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache"), "PATH": "/usr/bin:/bin"}
        start = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv-rasa/bin/rasa"), "train", "--force", "--quiet", "--out", tmp],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - start
    print(f"Rasa-Training (ohne Cache): {seconds:.0f} s")
    record("rasa_training", "Rasa-Training", {"Dauer ohne Cache": f"{seconds:.0f} s"})


if __name__ == "__main__":
    main()
