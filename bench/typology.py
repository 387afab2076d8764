"""The type model on the hand-written vignettes, and the latency of `lotse classify`.

Quality: accuracy, macro-F1, mean Brier score (over the four types) and recall per type of the
saved model (models/typology, or KL_MODELS_DIR) on bench/data/type_vignettes.yml – vignettes
written from the published type descriptions, independent of the profiles the model learns from.
Target: accuracy and macro-F1 >= 0.9.

Latency: `bot.advisor.evaluate` in-process (what `lotse classify` and the action server call:
type, phase, maturity, recommendations), p50/p95 over 200 calls after a warm-up, and one
end-to-end run of the `lotse classify` subprocess (interpreter start, imports, model load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, percentile, record  # noqa: E402
from bot import typology  # noqa: E402
from bot.models import TYPE_IDS  # noqa: E402

TARGET = 0.9


def subset_accuracy(model, vignettes, key: str) -> dict[str, str]:
    out = {}
    for value in sorted({v.get(key) for v in vignettes}):
        part = [v for v in vignettes if v.get(key) == value]
        r = typology.evaluate_model(model, part)
        out[value] = f"{r['accuracy']:.3f} ({len(part) - len(r['errors'])}/{len(part)})"
    return out


def in_process_latency(vignettes, calls: int, warmup: int = 20) -> list[float]:
    from bot.advisor import evaluate

    answer_sets = [v["answers"] for v in vignettes]
    for i in range(warmup):
        evaluate(answer_sets[i % len(answer_sets)])
    timings = []
    for i in range(calls):
        answers = answer_sets[i % len(answer_sets)]
        start = time.perf_counter()
        evaluate(answers)
        timings.append(time.perf_counter() - start)
    return timings


def cli_latency(answers: dict) -> float:
    lotse = Path(sys.executable).parent / "lotse"
    cmd = [str(lotse), "classify"] if lotse.exists() else [sys.executable, "-m", "bot.cli", "classify"]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, input=json.dumps(answers), capture_output=True, text=True, cwd=ROOT, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"lotse classify failed: {proc.stderr}")
    json.loads(proc.stdout)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--no-record", action="store_true", help="nur ausgeben, nicht in RESULTS.md schreiben"
    )
    args = parser.parse_args()

    model = typology.load_model()
    vignettes = typology.load_vignettes()
    r = typology.evaluate_model(model, vignettes)
    by_difficulty = subset_accuracy(model, vignettes, "difficulty")
    by_mode = subset_accuracy(model, vignettes, "mode")
    ranked_margin = sorted(
        (
            (scores[v["expected_typ"]], v["id"])
            for v, scores in zip(
                vignettes, model.predict_many([v["answers"] for v in vignettes]), strict=True
            )
        )
    )

    print(f"Typmodell {model.version} auf {r['n']} Vignetten ({typology.VIGNETTES_FILE.relative_to(ROOT)})")
    print(f"  Genauigkeit {r['accuracy']:.4f}, Makro-F1 {r['macro_f1']:.4f}, Brier {r['brier']:.4f}")
    print("  Recall je Typ: " + ", ".join(f"{t} {r['recall'][t]:.3f}" for t in TYPE_IDS))
    print(f"  nach Schwierigkeit: {by_difficulty}; nach Umfang: {by_mode}")
    print("  Fehler: " + (json.dumps(r["errors"], ensure_ascii=False) if r["errors"] else "keine"))
    print(
        "  knappste Fälle (P des erwarteten Typs): " + ", ".join(f"{i} {p:.2f}" for p, i in ranked_margin[:5])
    )
    meets = r["accuracy"] >= TARGET and r["macro_f1"] >= TARGET
    print(f"  Ziel Genauigkeit und Makro-F1 >= {TARGET}: {'erreicht' if meets else 'NICHT erreicht'}")

    timings = in_process_latency(vignettes, args.calls)
    cli = cli_latency(vignettes[0]["answers"])
    p50, p95 = percentile(timings, 50) * 1000, percentile(timings, 95) * 1000
    print(f"Latenz bot.advisor.evaluate: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.calls} Aufrufe)")
    print(f"Latenz lotse classify (Unterprozess, Ende zu Ende, 1 Messung): {cli * 1000:.0f} ms")

    figures = {
        "Modellversion": model.version,
        "Vignetten": str(r["n"]),
        "Genauigkeit": f"{r['accuracy']:.3f}",
        "Makro-F1": f"{r['macro_f1']:.3f}",
        "Brier (Mittel über 4 Typen)": f"{r['brier']:.4f}",
        **{f"Recall {t}": f"{r['recall'][t]:.3f}" for t in TYPE_IDS},
        "Genauigkeit typisch": by_difficulty.get("typisch", "–"),
        "Genauigkeit schwer": by_difficulty.get("schwer", "–"),
        "Genauigkeit Kurzcheck": by_mode.get("kurz", "–"),
        "Genauigkeit voller Check": by_mode.get("voll", "–"),
        "Ziel ≥ 0,9 (Genauigkeit und Makro-F1)": "erreicht" if meets else "nicht erreicht",
        "Synthetische Testmenge Genauigkeit": f"{model.metrics.get('synthetic_accuracy', float('nan')):.3f}",
        "evaluate() p50": f"{p50:.1f} ms",
        "evaluate() p95": f"{p95:.1f} ms",
        "lotse classify Unterprozess (1 Messung)": f"{cli * 1000:.0f} ms",
    }
    closest = ", ".join(f"{i} ({p:.2f})" for p, i in ranked_margin[:3])
    notes = (
        "Vignetten: von Hand aus den Typbeschreibungen der Quellen 000/002 geschrieben, unabhängig von "
        "knowledge/typology/profiles.yml (bench/data/type_vignettes.yml); etwa ein Viertel absichtlich "
        "schwer (ein untypisches Ziel oder Merkmal, unbekannte Ziele). Bei 52 Fällen entspricht ein Fehler "
        f"knapp 2 Prozentpunkten. Knappste Fälle (Wahrscheinlichkeit des erwarteten Typs): {closest}. "
        f"Latenz: bot.advisor.evaluate in-process über {args.calls} Aufrufe nach 20 Aufwärmaufrufen; "
        "der Unterprozess enthält Interpreterstart, Importe und Laden des Modells."
    )
    if not args.no_record:
        record(name="typology", title="Typmodell", figures=figures, notes=notes)


if __name__ == "__main__":
    main()
