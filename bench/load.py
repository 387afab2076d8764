"""Load: simulated municipalities complete the short check concurrently through nginx.

Starts the production layout (deploy/local.py: PostgreSQL, Redis, nginx, two Rasa instances,
two action servers) on loopback, then for 1 and 2 Rasa instances behind nginx:
  - "paced": USERS municipalities pausing 1-3 s between turns (like people),
  - "saturation": the same without pauses.
Prints per-turn p50/p95/p99, turns/s, errors and lost events (user events expected vs stored in
the PostgreSQL tracker store; answers expected vs stored). A minimal `rasa init` reference bot is
measured the same way (saturation, warmed up, its own greet/mood conversation three times over,
as many turns as our short check) for the ratio.

    .venv-core/bin/python bench/load.py [--users 50] [--seconds 90] [--no-reference]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.local import ADVISOR_DB, HOST, RASA_BIN, TRACKER_DB, Ports, ProdLayout, free_port  # noqa: E402
from tests.integration.test_short_check import CONVERSATION  # noqa: E402

EXPECTED = {q: value for q, _, value in CONVERSATION}
TURNS = ["Guten Tag", "ja, gerne", *[answer for _, answer, _ in CONVERSATION]]
# the moodbot's own conversation, three times over: as many turns per user as our short check
REFERENCE_TURNS = ["hello", "I am sad", "yes", "great", "bye"] * 3


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run_users(url: str, prefix: str, users: int, turns: list[str], pause: tuple[float, float] | None,
                    seconds: float) -> dict:
    """Each user sends its turns in order; stops starting turns after `seconds`."""
    latencies: list[float] = []
    errors = 0
    sent_ok: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)

    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def user(n: int) -> None:
            nonlocal errors
            sender = f"{prefix}-{n}"
            sent_ok[sender] = 0
            if pause:
                await asyncio.sleep(random.uniform(0, pause[1]))  # stagger the arrivals
            for message in turns:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                try:
                    response = await client.post(url, json={"sender": sender, "message": message})
                    ok = response.status_code == 200 and bool(response.json())
                except (httpx.HTTPError, ValueError):
                    ok = False
                latencies.append(time.perf_counter() - start)
                if ok:
                    sent_ok[sender] += 1
                else:
                    errors += 1
                if pause:
                    await asyncio.sleep(random.uniform(*pause))

        began = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        wall = time.perf_counter() - began
    return {
        "turns": len(latencies),
        "errors": errors,
        "wall_s": round(wall, 1),
        "turns_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000),
        "p95_ms": round(percentile(latencies, 95) * 1000),
        "p99_ms": round(percentile(latencies, 99) * 1000),
        "_sent_ok": sent_ok,
    }


def count_lost(layout: ProdLayout, prefix: str, result: dict) -> None:
    """User events expected (successful turns) vs stored; answers of completed checks vs stored."""
    sent_ok: dict[str, int] = result.pop("_sent_ok")
    tracker = create_engine(layout.db_url(TRACKER_DB).replace("postgresql://", "postgresql+psycopg2://"))
    advisor = create_engine(layout.db_url(ADVISOR_DB).replace("postgresql://", "postgresql+psycopg2://"))
    with tracker.connect() as db:
        rows = db.execute(
            text("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' AND sender_id LIKE :p "
                 "GROUP BY sender_id"),
            {"p": f"{prefix}-%"},
        ).all()
    stored_events = dict(rows)
    result["user_events_expected"] = sum(sent_ok.values())
    result["user_events_stored"] = sum(stored_events.get(s, 0) for s in sent_ok)
    result["lost_events"] = sum(max(0, n - stored_events.get(s, 0)) for s, n in sent_ok.items())
    completed = [s for s, n in sent_ok.items() if n == len(TURNS)]
    from bot import store

    wrong = 0
    for sender in completed:
        row = store.get_assessment(sender, engine=advisor)
        if not row or row["answers"] != EXPECTED:
            wrong += 1
    result["checks_completed"] = len(completed)
    result["checks_with_lost_answers"] = wrong
    tracker.dispose()
    advisor.dispose()


def set_upstreams(layout: ProdLayout, count: int) -> None:
    """Rewrite nginx's upstream list to the first `count` Rasa instances and reload nginx."""
    ports = layout.ports.rasa
    layout.ports.rasa = ports[:count]
    (layout.state / "nginx.conf").write_text(layout.nginx_conf())
    layout.ports.rasa = ports
    os.kill(layout.pids["nginx"], signal.SIGHUP)
    time.sleep(1.5)


def reference_bot(workdir: Path, users: int, seconds: float) -> dict | None:
    """`rasa init --no-prompt` (English moodbot), trained and served on loopback, saturated."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    workdir.mkdir(parents=True, exist_ok=True)  # rasa init refuses a missing --init-dir
    init = subprocess.run([str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(workdir)], env=env,
                          capture_output=True, text=True, timeout=900)
    models = list((workdir / "models").glob("*.tar.gz"))
    if init.returncode != 0 or not models:
        print("Referenz-Bot: rasa init/Training fehlgeschlagen:", init.stderr[-500:])
        return None
    port = free_port()
    log = (workdir / "rasa.log").open("w")
    proc = subprocess.Popen(
        [str(RASA_BIN), "run", "--model", str(models[0]), "--interface", HOST, "--port", str(port),
         "--enable-api"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{HOST}:{port}/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        url = f"http://{HOST}:{port}/webhooks/rest/webhook"
        # warmed up like our bot (whose saturation run follows its paced run)
        asyncio.run(run_users(url, f"refwarm-{uuid.uuid4().hex[:6]}", 5, REFERENCE_TURNS, None, seconds))
        prefix = f"ref-{uuid.uuid4().hex[:6]}"
        result = asyncio.run(run_users(url, prefix, users, REFERENCE_TURNS, None, seconds))
        result.pop("_sent_ok")
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                kids.append(int(entry.name))
    return kids


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (PostgreSQL and Sanic fork workers)."""
    total_kib = 0
    for p in [pid, *(c for k in _children(pid) for c in [k, *_children(k)])]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total_kib += next((int(line.split()[1]) for line in status.splitlines()
                           if line.startswith("VmRSS:")), 0)
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def describe(result: dict) -> str:
    return (f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms; "
            f"{result['turns']} Schritte, {result['turns_per_s']} Schritte/s; Fehler {result['errors']}; "
            f"verlorene Ereignisse {result['lost_events']} von {result['user_events_expected']}; "
            f"Kurzchecks vollständig {result['checks_completed']}, davon mit verlorenen Antworten "
            f"{result['checks_with_lost_answers']}")


SCENARIO_TITLES = {
    "paced": "Pause 1-3 s",
    "saturation": "ohne Pause (Sättigung)",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=90, help="time bound per scenario")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="kl-load-"))
    state.chmod(0o755)
    layout = ProdLayout(state=state, ports=Ports.free())
    figures: dict[str, dict] = {}
    memory: dict[str, int] = {}
    generator_cpu = time.process_time()
    try:
        print("Starte PostgreSQL, Redis, nginx, 2x Rasa, 2x Aktionsserver ...")
        layout.start()
        url = f"{layout.nginx_url}/webhooks/rest/webhook"
        for instances in (1, 2):
            set_upstreams(layout, instances)
            for scenario, pause in (("paced", (1.0, 3.0)), ("saturation", None)):
                prefix = f"load{instances}{scenario[0]}-{uuid.uuid4().hex[:6]}"
                cpu_start = sum(cpu_seconds(layout.pids[f"rasa{i}"]) for i in range(instances))
                result = asyncio.run(run_users(url, prefix, args.users, TURNS, pause, args.seconds))
                count_lost(layout, prefix, result)
                key = f"{instances}_rasa_{scenario}"
                rasa_cpu = sum(cpu_seconds(layout.pids[f"rasa{i}"]) for i in range(instances))
                result["rasa_cpu_s"] = round(rasa_cpu - cpu_start, 1)
                figures[key] = result
                print(key, result, flush=True)
        memory = {name: round(rss_mib(pid)) for name, pid in sorted(layout.pids.items())}
        print("Speicher (MiB RSS):", memory, flush=True)
    finally:
        layout.stop()
        shutil.rmtree(state, ignore_errors=True)

    if not args.no_reference:
        with tempfile.TemporaryDirectory(prefix="kl-ref-") as tmp:
            print("Referenz: rasa init (Moodbot), Training und Last ohne Pause ...")
            ref = reference_bot(Path(tmp) / "ref", args.users, args.seconds)
        if ref:
            figures["reference_saturation"] = ref
            print("reference_saturation", ref)
            ours = figures["1_rasa_saturation"]
            figures["ratios"] = {
                "p50_vs_reference": round(ours["p50_ms"] / max(ref["p50_ms"], 1), 2),
                "turns_per_s_vs_reference": round(ours["turns_per_s"] / max(ref["turns_per_s"], 0.01), 2),
                "two_vs_one_instance_turns_per_s": round(
                    figures["2_rasa_saturation"]["turns_per_s"]
                    / max(figures["1_rasa_saturation"]["turns_per_s"], 0.01), 2),
            }
            print("ratios", figures["ratios"])
    generator_cpu = time.process_time() - generator_cpu
    if not args.no_record:
        from bench.common import record

        table = {}
        for instances in (1, 2):
            for scenario, title in SCENARIO_TITLES.items():
                table[f"{instances} Rasa, {args.users} Nutzer, {title}"] = describe(
                    figures[f"{instances}_rasa_{scenario}"])
        if "reference_saturation" in figures:
            ref = figures["reference_saturation"]
            table[f"Referenz `rasa init`, {args.users} Nutzer, ohne Pause"] = (
                f"p50 {ref['p50_ms']} ms, p95 {ref['p95_ms']} ms; {ref['turns_per_s']} Schritte/s; "
                f"Fehler {ref['errors']}")
            ratios = figures["ratios"]
            table["Durchsatz 1 Rasa / Referenz"] = str(ratios["turns_per_s_vs_reference"])
            table["Durchsatz 2 Rasa / 1 Rasa"] = str(ratios["two_vs_one_instance_turns_per_s"])
        for key in ("1_rasa_saturation", "2_rasa_saturation"):
            r = figures[key]
            table[f"Rasa-CPU je Schritt ({key[0]} Rasa, Sättigung)"] = (
                f"{1000 * r['rasa_cpu_s'] / max(r['turns'], 1):.0f} ms")
        table["Speicher je Prozess (MiB RSS, nach der Last)"] = ", ".join(
            f"{name} {mib}" for name, mib in memory.items())
        table["CPU des Lastgenerators (gleiche Maschine)"] = f"{generator_cpu:.0f} s"
        record(
            name="load",
            title="Last und Fehler",
            figures=table,
            notes=(
                f"{args.users} simulierte Kommunen führen den Kurzcheck (15 Turns, freier Text) über nginx "
                f"aus; 'paced' mit 1-3 s Pause, 'saturation' ohne Pause; je Szenario höchstens "
                f"{args.seconds:.0f} s. lost_events: erfolgreich beantwortete Nutzernachrichten, die "
                "nicht im Tracker-Store (PostgreSQL) stehen. Referenz: `rasa init`-Moodbot (ohne "
                "Aktionsserver, In-Memory-Tracker, direkt ohne nginx), aufgewärmt, mit 15 Turns je Nutzer "
                "(sein Gespräch dreimal), im selben Lauf gemessen."
            ),
        )


if __name__ == "__main__":
    main()
