"""Figures of the conversation (issue 3): NLU on held-out messages, answer parsing on held-out
answers, and the turns a user needs for the full assessment one answer at a time versus
several at once (real Rasa and action server on loopback)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, record  # noqa: E402
from bot.extraction import extract  # noqa: E402
from tests.integration.stack import asked_question, running_stack, texts  # noqa: E402

# answers in the order of the full assessment (short-check questions first)
ANSWERS = {
    "kommune_art": "Gemeinde",
    "einwohner": "8.500",
    "bundesland": "Bayern",
    "ziele_top3": "Rechtliche Vorgaben und Fördermittel",
    "handlungsfelder_top3": "Verwaltung und digitale Infrastruktur",
    "strategie_status": "geplant",
    "steuerung": "die IT",
    "basiskomponenten": "E-Payment und BundID",
    "ozg_stand": "einzelne",
    "fim": "bekannt, aber nicht genutzt",
    "wissen": "Grundlagen",
    "lotsen": "nein",
    "projekte": "erste Ideen",
    "kommune_name": "Musterhausen",
    "strategie_anknuepfung": "Vorgaben von Bund und Land",
    "strategie_partner": "eigene Verwaltung und IT-Dienstleister",
    "datennutzung": "Berichtswesen",
    "fortbildung": "Fachverfahren",
    "beteiligung_mitarbeitende": "teilweise",
    "engpaesse": "Personal und Finanzen",
    "interkommunal": "geplant",
    "glasfaser": "geplant",
    "unterstuetzung": "Ehrenamt",
    "kompetenzangebote": "nein",
    "beteiligungsformen": "Mängelmelder",
}
ONE_AT_A_TIME = list(ANSWERS.values())
SEVERAL_AT_ONCE = [
    "Wir sind eine Gemeinde in Bayern mit 8.500 Einwohnern, eine Strategie ist geplant",
    *[
        v
        for k, v in ANSWERS.items()
        if k not in ("kommune_art", "einwohner", "bundesland", "strategie_status")
    ],
]


def nlu_figures() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "test",
                "nlu",
                "--nlu",
                "tests/nlu/heldout.yml",
                "--model",
                "models/rasa/current.tar.gz",
                "--out",
                out,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        report = json.loads((Path(out) / "intent_report.json").read_text())
    return {
        "NLU Intent-Genauigkeit (Held-out)": f"{report['accuracy']:.3f}",
        "NLU Intent-Makro-F1 (Held-out)": f"{report['macro avg']['f1-score']:.3f}",
        "NLU Held-out-Nachrichten": str(report["macro avg"]["support"]),
    }


def parsing_figures() -> dict[str, str]:
    items = yaml.safe_load((ROOT / "bench/data/answers_heldout.yml").read_text(encoding="utf-8"))
    correct = unclear = 0
    for item in items:
        parsed = extract(item["text"], item["question_id"], {}).open_answer
        got = None if parsed.status == "skip" else (parsed.value if parsed.status == "ok" else "?")
        unclear += got == "?"
        expected = item["expected"]
        if isinstance(expected, list) and isinstance(got, list):
            correct += sorted(expected) == sorted(got)
        else:
            correct += expected == got
    wrong = len(items) - correct - unclear
    return {
        "Antworten richtig erkannt (Held-out)": f"{correct / len(items):.3f} ({correct}/{len(items)})",
        "davon nachgefragt statt geraten": f"{unclear / len(items):.3f}",
        "falsch erkannt": f"{wrong / len(items):.3f}",
    }


def turns_to_result(stack, sender: str, messages: list[str]) -> int:
    stack.send(sender, "Guten Tag")
    reply = stack.send(sender, "Ausführliche Analyse")
    turns = 2
    for text in messages:
        reply = stack.send(sender, text)
        turns += 1
        if asked_question(reply) is None and any("Typ" in t for t in texts(reply)):
            return turns
    raise RuntimeError(f"no result after {turns} turns: {texts(reply)[-2:]}")


def main() -> None:
    figures = {**nlu_figures(), **parsing_figures()}
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        one = turns_to_result(stack, "bench-one", ONE_AT_A_TIME)
        several = turns_to_result(stack, "bench-several", SEVERAL_AT_ONCE)
    figures["Schritte volle Analyse, eine Angabe je Nachricht"] = str(one)
    figures["Schritte volle Analyse, mehrere Angaben auf einmal"] = str(several)
    for key, value in figures.items():
        print(f"{key}: {value}")
    record(
        "conversation",
        "Gespräch: Sprachverstehen, Antworterkennung, Schritte",
        figures,
        "Held-out-Mengen: tests/nlu/heldout.yml (nicht im Training) und bench/data/answers_heldout.yml "
        "(getrennt von den Synonymen geschrieben; die Synonyme wurden nur an tests/data/answers_dev.yml "
        "abgestimmt). Schritte zählen Begrüßung und Start mit.",
    )


if __name__ == "__main__":
    main()
