"""Knowledge search on held-out questions: top-1/top-3 accuracy, refusals and latency of ask().

The questions (bench/data/knowledge_questions.yml) were written after the search was tuned on
tests/data/knowledge_dev.yml and were never used for tuning, so the figures estimate how the
search does on questions it has not seen. Run with --data to measure another set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, record  # noqa: E402
from bot import knowledge  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "knowledge_questions.yml"


def _expected(item: dict) -> list[str]:
    value = item["expected"]
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-record", action="store_true", help="nur ausgeben, nicht in RESULTS.md")
    parser.add_argument("--verbose", action="store_true", help="jede Frage mit Ergebnis ausgeben")
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as fh:
        items = yaml.safe_load(fh)["questions"]

    start = time.perf_counter()
    knowledge.ask("Was ist EfA?")  # loads articles, lemma table and index once
    cold = time.perf_counter() - start

    in_domain = [i for i in items if _expected(i)]
    off_topic = [i for i in items if not _expected(i)]
    top1 = top3 = answered_right = answered_wrong = refused_in = refused_off = 0
    latencies: list[float] = []
    misses: list[str] = []
    for item in items:
        expected = _expected(item)
        start = time.perf_counter()
        answer = knowledge.ask(item["q"])
        latencies.append(time.perf_counter() - start)
        if not expected:
            refused_off += answer.knowledge_id is None
            if answer.knowledge_id is not None or args.verbose:
                misses.append(
                    f"off-topic beantwortet: {item['q']!r} -> {answer.knowledge_id} ({answer.score})"
                )
            continue
        ranked = [article_id for article_id, _ in knowledge.search(item["q"], k=3)]
        top1 += bool(ranked) and ranked[0] in expected
        top3 += any(r in expected for r in ranked)
        refused_in += answer.knowledge_id is None
        answered_right += answer.knowledge_id in expected
        answered_wrong += answer.knowledge_id is not None and answer.knowledge_id not in expected
        if answer.knowledge_id not in expected or args.verbose:
            misses.append(
                f"{item['q']!r}: erwartet {expected}, Suche {ranked}, "
                f"Antwort {answer.knowledge_id} ({answer.score})"
            )

    n_in, n_off = len(in_domain), len(off_topic)
    figures = {
        "Fragen im Themenbereich": str(n_in),
        "Fragen außerhalb": str(n_off),
        "Top-1-Genauigkeit (search)": f"{top1 / n_in:.3f}",
        "Top-3-Genauigkeit (search)": f"{top3 / n_in:.3f}",
        "Richtig beantwortet (ask)": f"{answered_right / n_in:.3f}",
        "Falsch beantwortet (ask)": f"{answered_wrong / n_in:.3f}",
        "Im Themenbereich fälschlich abgelehnt": f"{refused_in / n_in:.3f}",
        "Außerhalb abgelehnt": f"{refused_off / n_off:.3f}" if n_off else "–",
        "Latenz ask() p50 (warm)": f"{percentile(latencies, 50) * 1000:.1f} ms",
        "Latenz ask() p95 (warm)": f"{percentile(latencies, 95) * 1000:.1f} ms",
        "Erster Aufruf (Laden)": f"{cold * 1000:.0f} ms",
        "Schwelle": f"{knowledge.THRESHOLD}",
    }
    print("\n".join(misses))
    print()
    for key, value in figures.items():
        print(f"{key}: {value}")
    if not args.no_record:
        record(
            name="knowledge_search",
            title="Wissenssuche",
            figures=figures,
            notes=(
                f"Zurückgehaltene Fragen aus {args.data.name}, nach dem Einstellen der Suche auf "
                "tests/data/knowledge_dev.yml geschrieben und nie zum Einstellen benutzt. Top-1/Top-3: "
                "erwarteter Artikel an erster bzw. unter den ersten drei Stellen von search(); "
                "ask() antwortet nur oberhalb der Schwelle und lehnt sonst ab. Ziele: Top-1 ≥ 0,9, "
                "Top-3 ≥ 0,98."
            ),
        )


if __name__ == "__main__":
    main()
