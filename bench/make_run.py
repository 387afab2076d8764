"""Time of `make run` until the bot answers: cold (fresh clone, empty caches) and warm (again).

Cold uses a fresh clone with its own empty venv cache and Rasa cache, so it installs both
environments from the lock files and trains everything; pip's download cache of this machine
is used (as it would be on a machine that installed Python packages before).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, record  # noqa: E402

PORTS = {"KL_RASA_PORT": "5105", "KL_ACTION_PORT": "5155", "KL_WEB_PORT": "8180"}


def time_make_run(clone: Path, env: dict[str, str], limit: float = 1800) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{PORTS['KL_RASA_PORT']}/webhooks/rest/webhook"
    try:
        while time.perf_counter() - start < limit:
            if proc.poll() is not None:
                raise RuntimeError(f"make run ended with {proc.returncode}")
            try:
                reply = httpx.post(url, json={"sender": "bench", "message": "Hallo"}, timeout=5)
                if reply.status_code == 200 and any(m.get("text") for m in reply.json()):
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError("make run did not answer in time")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {
            **os.environ,
            **PORTS,
            "KOMMUNALLOTSE_CACHE": str(Path(tmp) / "cache"),
            "RASA_CACHE_DIRECTORY": str(Path(tmp) / "rasa-cache"),
        }
        cold = time_make_run(clone, env)
        print(f"make run kalt: {cold:.0f} s")
        warm = time_make_run(clone, env)
        print(f"make run warm: {warm:.0f} s")
    record(
        "make_run",
        "make run bis zur ersten Antwort",
        {
            "kalt (frischer Klon, leere Caches)": f"{cold:.0f} s",
            "warm (zweiter Start)": f"{warm:.0f} s",
        },
        "Kalt: beide Umgebungen aus den Sperrdateien installiert (pip-Downloadcache des Rechners "
        "vorhanden), spaCy-Pipelines, Typmodell und Rasa-Modell neu gebaut.",
    )


if __name__ == "__main__":
    main()
