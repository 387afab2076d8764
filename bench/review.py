"""Review UI and API with 10,000 assessments: list, search, detail and API times, full export.

Builds a temp advisor database and tracker store: answer sets from the type profiles
(bot.typology.generate_respondents), results from bot.advisor.evaluate on a sample of them
(each evaluated set stands for several municipalities with other names, Länder and dates), and a
synthetic transcript of about 20 turns per conversation. The web app runs with uvicorn on
loopback; times are measured from the client (httpx) including HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench.common import percentile, record  # noqa: E402
from bot import db, store  # noqa: E402
from bot.advisor import evaluate  # noqa: E402
from bot.review import auth, search  # noqa: E402
from bot.typology import generate_respondents  # noqa: E402
from tests.review import seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LAENDER = ["BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"]
TOPICS = [
    "Wir planen den Glasfaserausbau im Ortsteil",
    "Der Mängelmelder kommt gut an",
    "Uns fehlt Personal in der IT",
    "Die E-Akte wird gerade eingeführt",
    "Wir arbeiten mit dem Nachbarkreis zusammen",
    "Die Bürgerinnen wünschen sich Online-Termine",
    "Fördermittel haben wir beantragt",
    "Das Rathaus hat jetzt WLAN für alle",
]
PASSWORD = "bench-passwort-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(tmp: Path, n: int, sample: int) -> tuple[str, str, str, float]:
    """Fill a fresh advisor DB and tracker store; returns the URLs, an API token and the seconds."""
    start = time.perf_counter()
    url, tracker_url = f"sqlite:///{tmp / 'advisor.db'}", f"sqlite:///{tmp / 'tracker.db'}"
    db.upgrade(url)
    engine, tracker = store.get_engine(url), create_engine(tracker_url)
    seed.create_events_table(tracker)
    answers_list, _labels = generate_respondents(max(1, sample // 4), seed=7)
    rng = random.Random(7)
    evaluated = []
    for answers in answers_list[:sample]:
        answers = {**answers, "bundesland": rng.choice(LAENDER)}
        evaluated.append((answers, evaluate(answers)))
    now = datetime.now(UTC)
    rows, events = [], []
    for i in range(n):
        answers, result = evaluated[i % len(evaluated)]
        answers = {**answers, "kommune_name": f"Kommune {i:05d}", "bundesland": rng.choice(LAENDER)}
        started = now - timedelta(days=rng.uniform(0, 700))
        completed = rng.random() < 0.8
        sender = f"bench-{i:05d}"
        rows.append(
            {
                "sender_id": sender,
                "channel": rng.choice(["rest", "rest", "socketio", "msteams", "matrix"]),
                "mode": "kurz",
                "started_at": started,
                "updated_at": started + timedelta(minutes=12),
                "completed_at": started + timedelta(minutes=12) if completed else None,
                "answers": answers,
                "kommune_art": answers.get("kommune_art"),
                "bundesland": answers["bundesland"],
                "einwohner": answers.get("einwohner"),
                "typ": result.typ if completed else None,
                "typ_scores": result.typ_scores if completed else None,
                "phase": result.phase if completed else None,
                "phase_reason": result.phase_reason if completed else None,
                "reifegrad": result.reifegrad if completed else None,
                "recommendations": [r.model_dump() for r in result.recommendations] if completed else None,
                "model_version": result.model_version,
                "confirmed_typ": result.typ if rng.random() < 0.05 else None,
                "handover_requested_at": started if rng.random() < 0.1 else None,
            }
        )
        turns = seed.conversation_for(answers, rng.choice(TOPICS))
        turns += [("bot", f"Frage {k}: Wie steht es um {q}?", ["Ja", "Nein"]) for k, q in enumerate(answers)][
            :12
        ]
        for k, (role, words, buttons) in enumerate(turns):
            stamp = started.timestamp() + k
            data = {"event": role, "timestamp": stamp, "text": words}
            if role == "bot":
                data["data"] = {"buttons": [{"title": b, "payload": b} for b in buttons]}
            else:
                data["parse_data"] = {"intent": {"name": "inform"}}
            events.append(
                {"sender": sender, "type": role, "ts": stamp, "data": json.dumps(data, ensure_ascii=False)}
            )
    with engine.begin() as conn:
        conn.execute(insert(store.Assessment), rows)
    with tracker.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "VALUES (:sender, :type, :ts, :data)"
            ),
            events,
        )
    _user, token = auth.create_user("bench", "consultant", PASSWORD, engine)
    return url, tracker_url, token, time.perf_counter() - start


def timed(client: httpx.Client, url: str, repeat: int, **kwargs) -> tuple[list[float], httpx.Response]:
    times, response = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, **kwargs)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return times, response


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=400, help="answer sets evaluated by the advisor")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        url, tracker_url, token, build_s = build(tmp, args.n, args.sample)
        print(f"{args.n} Einschätzungen angelegt in {build_s:.1f} s", flush=True)
        start = time.perf_counter()
        indexed = search.reindex(store.get_engine(url), create_engine(tracker_url))
        reindex_s = time.perf_counter() - start
        print(f"Suchindex: {indexed} in {reindex_s:.1f} s", flush=True)
        port = free_port()
        env = {
            **os.environ,
            "KL_DATABASE_URL": url,
            "KL_TRACKER_DB_URL": tracker_url,
            "PYTHONPATH": str(ROOT),
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bot.web:create_app",
                "--factory",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            figures = measure(base, token, args.repeat, args.n)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    figures = {
        "Einschätzungen": f"{args.n:,}".replace(",", "."),
        "Aufbau der Testdaten": f"{build_s:.1f} s",
        "Suchindex neu aufbauen (lotse review reindex)": f"{reindex_s:.1f} s",
        **figures,
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    if not args.no_record:
        record(
            "review",
            "Review-Oberfläche",
            figures,
            f"{args.n} synthetische Einschätzungen aus den Typprofilen ({args.sample} Antwortsätze mit "
            "bot.advisor.evaluate ausgewertet und mehrfach verwendet), je etwa 20 Gesprächsbeiträge im "
            "Tracker-Store; SQLite, Web-App mit uvicorn "
            f"(1 Prozess) auf 127.0.0.1, Zeiten beim Client gemessen, je {args.repeat} Aufrufe.",
        )


def measure(base: str, token: str, repeat: int, n: int) -> dict[str, str]:
    figures: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/beratung/anmelden")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/beratung/anmelden", data={"name": "bench", "password": PASSWORD, "csrf_token": csrf})
        times, first = timed(client, "/beratung/", repeat)
        figures["Liste, erste Seite (50 Zeilen)"] = ms(times)
        times, _ = timed(client, "/beratung/?bundesland=BY&groesse=5000-20000&abgeschlossen=ja", repeat)
        figures["Liste mit Filtern (Land, Größe, abgeschlossen)"] = ms(times)
        times, _ = timed(client, "/beratung/?q=glasfaser", repeat)
        figures["Liste mit Volltextsuche (\u201eglasfaser\u201c)"] = ms(times)
        times, _ = timed(client, "/beratung/?q=ortsteil+glasfaser&bundesland=NW", repeat)
        figures["Volltextsuche, zwei Wörter und Land"] = ms(times)
        # keyset paging to page 100 (the oldest entries)
        deep, url = [], "/beratung/"
        for _ in range(min(100, n // 50)):
            start = time.perf_counter()
            html = client.get(url).text
            deep.append(time.perf_counter() - start)
            match = re.search(r'rel="next" href="([^"]+)"', html)
            if not match:
                break
            url = match.group(1).replace("&amp;", "&")
        figures[f"Blättern bis Seite {len(deep)} (je Seite)"] = ms(deep)
        sample_id = f"bench-{n // 2:05d}"
        times, _ = timed(client, f"/beratung/einschaetzung/{sample_id}", repeat)
        figures["Detailseite (mit Verlauf, Diagrammen)"] = ms(times)
        times, _ = timed(client, "/beratung/statistik", max(5, repeat // 3))
        figures["Statistikseite (alle)"] = ms(times)

        api = {"Authorization": f"Bearer {token}"}
        times, response = timed(client, "/api/assessments?limit=50", repeat, headers=api)
        assert response.json()["total"] == n
        figures["API /api/assessments (50)"] = ms(times)
        times, _ = timed(client, f"/api/assessments?limit=50&offset={n - 60}", repeat, headers=api)
        figures["API /api/assessments, offset am Ende"] = ms(times)
        times, _ = timed(
            client, "/api/assessments?typ=optimierer&bundesland=BY&limit=50", repeat, headers=api
        )
        figures["API /api/assessments mit Filtern"] = ms(times)
        times, _ = timed(client, f"/api/assessments/{sample_id}", repeat, headers=api)
        figures["API /api/assessments/{id}"] = ms(times)
        times, _ = timed(client, f"/api/conversations/{sample_id}", repeat, headers=api)
        figures["API /api/conversations/{id}"] = ms(times)
        for fmt in ("csv", "json"):
            start = time.perf_counter()
            response = client.get(f"/api/export?format={fmt}", headers=api)
            seconds = time.perf_counter() - start
            size = len(response.content) / 2**20
            lines = response.text.count("\n")
            assert response.status_code == 200 and lines >= n
            figures[f"Export {fmt.upper()} aller {n} Einschätzungen"] = f"{seconds:.1f} s ({size:.1f} MiB)"
    return figures


if __name__ == "__main__":
    main()
