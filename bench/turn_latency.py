"""Per-turn latency of the short check over REST (real Rasa and action server on loopback).

Several simulated users complete the short check one after another in free German text;
every request from sending the message to receiving the full reply counts as one turn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import record, summary_ms  # noqa: E402
from tests.integration.stack import asked_question, running_stack  # noqa: E402
from tests.integration.test_short_check import CONVERSATION  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        stack.send("warmup", "Hallo")
        for n in range(args.users):
            sender = f"bench-{n}"
            turns = ["Guten Tag", "ja", *[answer for _, answer, _ in CONVERSATION]]
            for text in turns:
                start = time.perf_counter()
                reply = stack.send(sender, text)
                latencies.append(time.perf_counter() - start)
            assert asked_question(reply) is None and any("Typ" in m.get("text", "") for m in reply)
    figures = summary_ms(latencies)
    print("Latenz je Gesprächsschritt (Kurzcheck über REST):", figures)
    record(
        "turn_latency",
        "Latenz je Schritt im Kurzcheck (REST, echter Rasa- und Aktionsserver)",
        figures,
        f"{args.users} Nutzer nacheinander, je 15 Schritte (Begrüßung, Start, 13 Antworten in freiem Text).",
    )


if __name__ == "__main__":
    main()
