"""Helpers for the benchmarks: percentiles, machine description, the results file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "RESULTS.md"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} Kerne ({cpu}), {mem_gib:.0f} GiB RAM, {platform.system()} {platform.release()}"


def record(name: str, title: str, figures: dict[str, Any], notes: str = "") -> None:
    """Keep the latest figures of one benchmark (with date and machine) and rewrite RESULTS.md."""
    data = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    data[name] = {
        "title": title,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "figures": figures,
        "notes": notes,
    }
    RESULTS_JSON.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Messergebnisse",
        "",
        "Geschrieben von `make bench` (bench/run_all.py); je Messung der letzte Lauf.",
        "",
    ]
    for entry in data.values():
        lines += [
            f"## {entry['title']}",
            "",
            f"Stand {entry['date']}, Commit {entry['commit']}, {entry['machine']}",
            "",
        ]
        lines += ["| Kennzahl | Wert |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in entry["figures"].items()]
        if entry["notes"]:
            lines += ["", entry["notes"]]
        lines.append("")
    RESULTS_MD.write_text("\n".join(lines))


def summary_ms(values: list[float]) -> dict[str, str]:
    return {
        "Anzahl": str(len(values)),
        "p50": f"{percentile(values, 50) * 1000:.0f} ms",
        "p95": f"{percentile(values, 95) * 1000:.0f} ms",
        "Mittel": f"{statistics.mean(values) * 1000:.0f} ms",
    }
