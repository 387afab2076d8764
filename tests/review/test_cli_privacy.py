"""`lotse users` and `lotse review export|forget|reindex|retention`, the search index, the migration."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text, update
from sqlalchemy.orm import Session

from bot import cli, db, store
from bot.review import auth, queries, search
from bot.review.queries import Filters
from tests.review import seed


def run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_prints_a_working_token_once(review_env, capsys, monkeypatch, client):
    code, out, err = run(
        capsys,
        "users",
        "add",
        "clara",
        "--role",
        "admin",
        "--password-stdin",
        stdin="ein-gutes-passwort\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0 and "nur jetzt angezeigt" in err
    token = out.strip()
    assert len(token) >= 40 and "\n" not in token
    assert client.get("/api/assessments", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert auth.authenticate("clara", "ein-gutes-passwort", review_env.engine).principal.role == "admin"
    code, out, _ = run(capsys, "users", "list")
    assert {u["name"]: u["role"] for u in json.loads(out)}["clara"] == "admin"
    # same name again, unknown role, short password: refused with exit 2
    monkeypatch.setenv("KL_NEW_PASSWORD", "ein-gutes-passwort")
    assert run(capsys, "users", "add", "clara", "--role", "admin")[0] == 2
    monkeypatch.setenv("KL_NEW_PASSWORD", "kurz")
    assert run(capsys, "users", "add", "dieter", "--role", "consultant")[0] == 2
    with pytest.raises(SystemExit):
        cli.main(["users", "add", "erik", "--role", "chef"])


def test_users_token_disable_unlock(review_env, capsys, client):
    code, out, _ = run(capsys, "users", "token", "berta")
    new = out.strip()
    old = review_env.tokens["consultant"]
    assert client.get("/api/assessments", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/api/assessments", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert run(capsys, "users", "disable", "berta")[0] == 0
    assert client.get("/api/assessments", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    assert run(capsys, "users", "enable", "berta")[0] == 0
    for _ in range(5):
        auth.authenticate("berta", "falsch-falsch", review_env.engine)
    assert auth.authenticate("berta", "richtig-langes-passwort", review_env.engine).locked
    assert run(capsys, "users", "unlock", "berta")[0] == 0
    assert auth.authenticate("berta", "richtig-langes-passwort", review_env.engine).principal
    assert run(capsys, "users", "token", "niemand")[0] == 2


def test_review_export_csv_and_json(review_env, capsys, tmp_path):
    code, out, _ = run(capsys, "review", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert code == 0 and {r["sender_id"] for r in rows} == {"dorf-1", "stadt-2", "mitte-3"}
    target = tmp_path / "export.json"
    code, _out, _ = run(
        capsys, "review", "export", "--format", "json", "--bundesland", "NW", "-o", str(target)
    )
    assert [a["sender_id"] for a in json.loads(target.read_text())] == ["stadt-2"]
    assert run(capsys, "review", "export", "--typ", "gibtsnicht")[0] == 2
    with review_env.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'export'")).scalar() == 2


def test_review_forget(review_env, capsys):
    code, out, _ = run(capsys, "review", "forget", "stadt-2")
    result = json.loads(out)
    assert code == 0 and result["events"] > 0 and result["assessments"] == 1
    with review_env.tracker.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = 'stadt-2'")).scalar() == 0
    assert store.get_assessment("stadt-2") is None


def test_reindex_and_search(review_env, capsys):
    code, out, _ = run(capsys, "review", "reindex")
    assert code == 0 and json.loads(out)["indexed"] == 3
    found = queries.list_page(Filters(q="glasfaser")).rows
    assert [r["sender_id"] for r in found] == ["dorf-1"]
    # a deleted assessment leaves no search text behind, and reindex removes strays
    with review_env.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO assessment_search (sender_id, content, indexed_at) "
                "VALUES ('weg', 'x', '2026-01-01')"
            )
        )
    assert search.reindex(review_env.engine, review_env.tracker)["removed"] == 1


def test_refresh_stale_indexes_new_conversations(review_env):
    search.reindex(review_env.engine, review_env.tracker)
    seed.seed_assessment("neu-4", {"kommune_art": "stadt"}, completed=False)
    seed.add_turns(
        review_env.tracker, "neu-4", [("user", "Wir haben einen Chatbot im Bürgerbüro", [])], 1_780_000_000
    )
    assert queries.list_page(Filters(q="chatbot")).rows == []
    assert search.refresh_stale(review_env.engine, review_env.tracker) == 1
    assert [r["sender_id"] for r in queries.list_page(Filters(q="chatbot")).rows] == ["neu-4"]
    assert search.refresh_stale(review_env.engine, review_env.tracker) == 0


def _age(review_env, sender_id: str, days: int) -> None:
    old = datetime.now(UTC) - timedelta(days=days)
    with Session(review_env.engine) as session, session.begin():
        session.execute(
            update(store.Assessment).where(store.Assessment.sender_id == sender_id).values(updated_at=old)
        )
    with review_env.tracker.begin() as conn:
        conn.execute(
            text("UPDATE events SET timestamp = :t WHERE sender_id = :s"),
            {"t": old.timestamp(), "s": sender_id},
        )


def test_retention_deletes_only_old_conversations(review_env, capsys, monkeypatch):
    for sender_id in ("dorf-1", "stadt-2", "mitte-3"):
        _age(review_env, sender_id, 10)
    _age(review_env, "dorf-1", 400)
    _age(review_env, "stadt-2", 400)
    # stadt-2 chatted again yesterday (after the assessment): still in use, kept
    with review_env.tracker.begin() as conn:
        conn.execute(
            text(
                "UPDATE events SET timestamp = :t "
                "WHERE id = (SELECT MAX(id) FROM events WHERE sender_id = 'stadt-2')"
            ),
            {"t": (datetime.now(UTC) - timedelta(days=1)).timestamp()},
        )
    # a conversation that never got an assessment, long ago
    seed.add_turns(
        review_env.tracker,
        "nur-hallo",
        [("user", "Hallo", [])],
        (datetime.now(UTC) - timedelta(days=500)).timestamp(),
    )

    code, out, _ = run(capsys, "review", "retention", "--dry-run")
    planned = json.loads(out)
    assert planned["days"] == 365 and {d["sender_id"] for d in planned["deleted"]} == {"dorf-1", "nur-hallo"}
    assert store.get_assessment("dorf-1") is not None  # dry run deletes nothing

    monkeypatch.setenv("KL_RETENTION_DAYS", "365")
    code, out, err = run(capsys, "review", "retention")
    done = json.loads(out)
    assert code == 0 and "2 Gespräche" in err
    assert {d["sender_id"] for d in done["deleted"]} == {"dorf-1", "nur-hallo"}
    assert store.get_assessment("dorf-1") is None and store.get_assessment("stadt-2") is not None
    with review_env.tracker.connect() as conn:
        left = {r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}
    assert left == {"stadt-2", "mitte-3"}
    code, out, _ = run(capsys, "review", "retention", "--days", "5")
    assert {d["sender_id"] for d in json.loads(out)["deleted"]} == {"mitte-3"}
    with review_env.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'retention'")).scalar() == 2


def test_store_delete_removes_derived_rows(review_env):
    search.reindex(review_env.engine, review_env.tracker)
    queries.add_note("dorf-1", "berta", "Notiz", review_env.engine)
    assert store.delete_assessment("dorf-1")
    with review_env.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM assessment_notes")).scalar() == 0
        assert (
            conn.execute(text("SELECT COUNT(*) FROM assessment_search WHERE sender_id='dorf-1'")).scalar()
            == 0
        )


def test_migration_0003_up_and_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(url)
    engine = store.get_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {
        "users",
        "api_tokens",
        "review_sessions",
        "audit_log",
        "assessment_notes",
        "assessment_search",
    } <= tables
    assert "deletion_requested_at" in {c["name"] for c in inspect(engine).get_columns("assessments")}
    from alembic import command

    command.downgrade(db.alembic_config(url), "0002")
    engine.dispose()
    inspector = inspect(engine)
    assert (
        "users" not in inspector.get_table_names()
        and "assessment_search_fts" not in inspector.get_table_names()
    )
    assert "deletion_requested_at" not in {c["name"] for c in inspector.get_columns("assessments")}
    db.upgrade(url)
    store.get_engine.cache_clear()
