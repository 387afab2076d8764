"""Per-turn latency as a conversation grows (issue 7): the full assessment with corrections and
questions on the SQL tracker store, then result follow-ups, to more than 60 turns.

Each conversation runs on a real Rasa and action server (loopback, SQLite tracker store). Several
conversations run one after another; for every turn number we take the median over them. The
figure the issue asks for is the latency of turn 60 against turn 1; since a greeting and a
follow-up question are different kinds of turn, turn 1 and turn 60 are the same message ("Was
bedeutet FIM?", as a user who opens with a question); the greeting follows as turn 2 and the
same question is asked once more inside the form (turn 5). The tracker size at the end is printed.

    .venv-core/bin/python bench/long_conversation.py [--conversations 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import record  # noqa: E402
from bench.conversation import ANSWERS  # noqa: E402
from tests.integration.stack import asked_question, running_stack  # noqa: E402

PROBE = "Was bedeutet FIM?"
FOLLOW_UPS = [
    "Mehr zu Empfehlung 2",
    "Was kostet das?",
    "Wer hilft uns in Bayern?",
    "Was bedeutet EfA?",
    "Mehr zu Empfehlung 1",
    "Warum dieser Typ?",
    "Was ist ein Servicekonto?",
    "Mehr zu Empfehlung 3",
]


def script() -> list[str]:
    """65 turns: full assessment with questions and corrections, then the result conversation."""
    answers = list(ANSWERS.values())
    # turn 1 and turn 60 are the same message (a user opening with a question about a term), so
    # their ratio shows what the grown conversation costs, not the difference between two kinds
    # of turn; the probe is also asked inside the form at turn 5
    turns = [PROBE, "Guten Tag", "Ausführliche Analyse", answers[0], PROBE]
    turns += [answers[1], "Warum fragen Sie das?", answers[2], "Was bedeutet OZG?"]
    turns += answers[3:8]
    turns += ["Moment, die Einwohnerzahl ist falsch, es sind 9.500", "zurück"]
    turns += answers[7:14]
    turns += ["Was bedeutet Servicekonto?", "Hilfe", "weiter"]
    turns += answers[14:]
    # result shown; from here follow-ups and corrections after the result
    turns += ["Moment, wir haben doch schon eine Strategie", *FOLLOW_UPS[:4]]
    turns += ["die Einwohnerzahl ist falsch, es sind 12.000", *FOLLOW_UPS[4:]]
    while len(turns) < 59:
        turns += FOLLOW_UPS[: 59 - len(turns)]
    turns += [PROBE]  # turn 60
    turns += ["Mehr zu Empfehlung 2", "Was kostet das?", "Wer hilft uns in Bayern?", "danke", "tschüss"]
    return turns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=5)
    args = parser.parse_args()
    turns = script()
    per_turn: list[list[float]] = [[] for _ in turns]
    events_at_end: list[int] = []
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        for text in ("Hallo", "Kurzcheck starten", "Gemeinde"):
            stack.send("warmup", text)
        for n in range(args.conversations):
            sender = f"long-{n}"
            for i, text in enumerate(turns):
                start = time.perf_counter()
                reply = stack.send(sender, text)
                per_turn[i].append((time.perf_counter() - start) * 1000)
                assert reply, f"no answer at turn {i + 1}: {text!r}"
            assert asked_question(reply) is None
            events_at_end.append(len(stack.tracker_events(sender)))
    median = [statistics.median(values) for values in per_turn]
    first5 = statistics.median(v for values in per_turn[:5] for v in values)
    window = statistics.median(v for values in per_turn[55:65] for v in values)
    figures = {
        "Gesprächsschritte je Gespräch": str(len(turns)),
        "Gespräche": str(args.conversations),
        "Ereignisse im Tracker am Ende (Median)": str(int(statistics.median(events_at_end))),
        "Schritt 1 (Frage „Was bedeutet FIM?“), Median": f"{median[0]:.0f} ms",
        "Schritt 60 (dieselbe Frage), Median": f"{median[59]:.0f} ms",
        "Verhältnis Schritt 60 / Schritt 1": f"{median[59] / median[0]:.2f}",
        "Begrüßung (Schritt 2) / Schritt 60": f"{median[1]:.0f} ms / {median[59]:.0f} ms "
        f"({median[59] / median[1]:.2f}x)",
        "dieselbe Frage im Formular (Schritt 5)": f"{median[4]:.0f} ms",
        "Schritte 1-5 / 56-65, Median": f"{first5:.0f} ms / {window:.0f} ms ({window / first5:.2f}x)",
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    print("Median je Schritt (ms):", " ".join(f"{m:.0f}" for m in median))
    record(
        "long_conversation",
        "Latenz je Schritt in einem langen Gespräch (SQL-Tracker-Store)",
        figures,
        "Volle Analyse mit Rückfragen („Warum fragen Sie das?“, „Was bedeutet …?“), Korrekturen, "
        "„zurück“, „Hilfe“, danach Ergebnis-Nachfragen und Korrekturen nach dem Ergebnis bis "
        f"Schritt {len(turns)}; echter Rasa- und Aktionsserver auf 127.0.0.1, SQLite-Tracker-Store, "
        "Gespräche nacheinander, Median je Schritt über die Gespräche.",
    )


if __name__ == "__main__":
    main()
