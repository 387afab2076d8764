#!/usr/bin/env python3
"""Sanity checks for the Rasa NLU training data and the held-out NLU test set.

Run from the repository root:  python3 tests/nlu/check_nlu_data.py

Checks (exit code 1 on any failure):
- every file under data/nlu/ and tests/nlu/heldout.yml is YAML with version "3.1"
- no entity annotations ("[text](entity)" / "[text]{...}")
- at least 25 training examples per intent, 150 for inform
- no duplicate example inside the training data, neither within an intent
  nor across intents (compared after lowercasing, collapsing spaces and
  dropping trailing punctuation)
- held-out set: at least 320 messages, covers every training intent, no
  intent unknown to training, and no message equal to a training example
  under the same normalisation
- development set tests/nlu/dev.yml (used for tuning the training data), if
  present: same format, no intent unknown to training, no duplicate and no
  message equal to a training example
- second development set tests/nlu/dev2.yml (written fresh for comparing
  pipeline configurations), if present: same checks as dev.yml, every
  training intent covered, and no message equal to one of dev.yml
- third development set tests/nlu/dev3.yml (written fresh before the next
  round of training-data tuning), if present: same checks as dev2.yml and
  no message equal to one of dev.yml or dev2.yml
Prints the counts per intent for training, held-out and development data.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "data" / "nlu"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
DEV = ROOT / "tests" / "nlu" / "dev.yml"
DEV2 = ROOT / "tests" / "nlu" / "dev2.yml"
DEV3 = ROOT / "tests" / "nlu" / "dev3.yml"
MIN_PER_INTENT = 25
MIN_INFORM = 150
MIN_HELDOUT = 320
ENTITY_RE = re.compile(r"\[[^\]]+\]\s*[({]")


def normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.rstrip(" .!?,;:")


def load(path: Path, problems: list[str]) -> list[tuple[str, str]]:
    """Return (intent, example) pairs of one Rasa NLU YAML file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if str(doc.get("version")) != "3.1":
        problems.append(f"{path}: version is {doc.get('version')!r}, expected '3.1'")
    pairs = []
    for block in doc.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            problems.append(f"{path}: block without intent: {block}")
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line:
                continue
            if not line.startswith("- "):
                problems.append(f"{path}: {intent}: line not in '- text' form: {line!r}")
                continue
            text = line[2:].strip()
            if ENTITY_RE.search(text):
                problems.append(f"{path}: {intent}: entity annotation in {text!r}")
            if not re.search(r"\w", text):
                problems.append(f"{path}: {intent}: no word characters in {text!r}")
            pairs.append((intent, text))
    return pairs


def check_dev_set(
    name: str,
    items: list[tuple[str, str]],
    training: dict[str, str],
    earlier: dict[str, set[str]],
    intents: set[str],
    covers_all: bool,
    problems: list[str],
) -> set[str]:
    """Checks one development set against training and the earlier dev sets; its normalised texts."""
    own: set[str] = set()
    for intent, text in items:
        key = normalise(text)
        if key in training:
            problems.append(f"{name} {text!r} ({intent}) equals a training example ({training[key]})")
        for other, texts in earlier.items():
            if key in texts:
                problems.append(f"{name} {text!r} ({intent}) equals a {other}.yml message")
        if key in own:
            problems.append(f"{name} duplicate {text!r} ({intent})")
        own.add(key)
    found = {intent for intent, _ in items}
    for intent in found - intents:
        problems.append(f"{name} intent {intent} is not in the training data")
    if covers_all and items:
        for intent in intents - found:
            problems.append(f"{name} set has no example for {intent}")
    return own


def main() -> int:
    problems: list[str] = []
    train: list[tuple[str, str]] = []
    for path in sorted(TRAIN_DIR.glob("*.yml")):
        train += load(path, problems)

    seen: dict[str, str] = {}
    for intent, text in train:
        key = normalise(text)
        if key in seen:
            problems.append(f"training duplicate {text!r}: {seen[key]} / {intent}")
        else:
            seen[key] = intent

    counts = Counter(i for i, _ in train)
    for intent, n in sorted(counts.items()):
        need = MIN_INFORM if intent == "inform" else MIN_PER_INTENT
        if n < need:
            problems.append(f"training: {intent} has {n} examples, needs {need}")

    held = load(HELDOUT, problems) if HELDOUT.exists() else []
    if not held:
        problems.append(f"{HELDOUT} missing or empty")
    hcounts = Counter(i for i, _ in held)
    hseen: dict[str, str] = {}
    for intent, text in held:
        key = normalise(text)
        if key in seen:
            problems.append(f"held-out {text!r} ({intent}) equals a training example ({seen[key]})")
        if key in hseen:
            problems.append(f"held-out duplicate {text!r}: {hseen[key]} / {intent}")
        hseen[key] = intent
    for intent in set(hcounts) - set(counts):
        problems.append(f"held-out intent {intent} is not in the training data")
    for intent in set(counts) - set(hcounts):
        problems.append(f"held-out set has no example for {intent}")
    if len(held) < MIN_HELDOUT:
        problems.append(f"held-out set has {len(held)} messages, needs {MIN_HELDOUT}")

    # dev.yml tuned the training data; dev2/dev3 were written fresh and must cover every intent
    dev_sets: dict[str, list[tuple[str, str]]] = {}
    earlier: dict[str, set[str]] = {}
    for name, path, covers_all in (("dev", DEV, False), ("dev2", DEV2, True), ("dev3", DEV3, True)):
        items = load(path, problems) if path.exists() else []
        dev_sets[name] = items
        earlier[name] = check_dev_set(name, items, seen, earlier, set(counts), covers_all, problems)
    dev, dev2, dev3 = dev_sets["dev"], dev_sets["dev2"], dev_sets["dev3"]
    dcounts, d2counts, d3counts = (Counter(i for i, _ in dev_sets[n]) for n in ("dev", "dev2", "dev3"))

    print(f"{'intent':<16}{'train':>7}{'heldout':>9}{'dev':>6}{'dev2':>6}{'dev3':>6}")
    for intent in sorted(set(counts) | set(hcounts) | set(dcounts) | set(d2counts) | set(d3counts)):
        print(
            f"{intent:<16}{counts[intent]:>7}{hcounts[intent]:>9}{dcounts[intent]:>6}"
            f"{d2counts[intent]:>6}{d3counts[intent]:>6}"
        )
    print(f"{'total':<16}{len(train):>7}{len(held):>9}{len(dev):>6}{len(dev2):>6}{len(dev3):>6}")

    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
