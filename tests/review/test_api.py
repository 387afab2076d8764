"""The review JSON API: no data without a valid token, roles enforced on every route, exports."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text

from bot import conversations
from bot.models import DIMENSION_IDS, TYPE_IDS
from bot.questionnaire import load_questionnaire
from bot.review import auth
from bot.review.models import User
from tests.review.conftest import bearer

API_ROUTES_EXPECTED = {
    ("GET", "/api/assessments"),
    ("GET", "/api/assessments/{sender_id}"),
    ("GET", "/api/conversations/{sender_id}"),
    ("DELETE", "/api/conversations/{sender_id}"),
    ("GET", "/api/export"),
}


def all_routes(routes, prefix: str = ""):
    """(full path, route) for every route, also inside included routers (FastAPI keeps them nested)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from all_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def api_routes(app):
    """(method, path, route) for every route under /api (the OpenAPI document is no APIRoute)."""
    for path, route in all_routes(app.routes):
        if path.startswith("/api/"):
            for method in route.methods:
                yield method, path, route


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "dorf-1", path)


def allowed_roles(route: APIRoute) -> tuple[str, ...]:
    roles = [getattr(d.call, "allowed_roles", None) for d in route.dependant.dependencies]
    roles = [r for r in roles if r]
    assert len(roles) == 1, f"{route.path} has no role check"
    return roles[0]


def test_every_api_route_is_known_and_protected(client):
    found = {(m, path) for m, path, _r in api_routes(client.app)}
    assert found >= API_ROUTES_EXPECTED
    for _method, _path, route in api_routes(client.app):
        assert allowed_roles(route)  # each route declares its roles


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer falsch"},
        {"Authorization": "Basic YW50b246cGFzcw=="},
        {"Authorization": "bearer " + "x" * 400},
    ],
)
def test_401_without_valid_token_on_every_route(client, review_env, headers):
    for method, path, _route in api_routes(client.app):
        response = client.request(method, concrete(path), headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers.get("www-authenticate") == "Bearer"
        body = response.text
        assert "Musterdorf" not in body and "dorf-1" not in body and "sender_id" not in body
    # and nothing was deleted by the attempts
    assert conversations.transcript("dorf-1", review_env.tracker)


def test_403_for_the_wrong_role_on_every_route(client, review_env):
    # a role outside the allow-list (e.g. written by a newer version) is refused everywhere
    _user, stranger = auth.create_user("gast", "consultant", "noch-ein-passwort", review_env.engine)
    with review_env.engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'gast' WHERE name = 'gast'"))
    checked_admin_only = 0
    for method, path, route in api_routes(client.app):
        url = concrete(path)
        response = client.request(method, url, headers=bearer(stranger))
        assert response.status_code == 403, (method, path)
        assert "Musterdorf" not in response.text
        if "consultant" not in allowed_roles(route):
            response = client.request(method, url, headers=bearer(review_env.tokens["consultant"]))
            assert response.status_code == 403, (method, path)
            checked_admin_only += 1
    assert checked_admin_only >= 1  # DELETE /api/conversations is for admins only
    assert conversations.transcript("dorf-1", review_env.tracker)


def test_disabled_account_and_new_token_invalidate_old_tokens(client, review_env):
    token = review_env.tokens["consultant"]
    assert client.get("/api/assessments", headers=bearer(token)).status_code == 200
    user_id = review_env.engine.connect().execute(text("SELECT id FROM users WHERE name='berta'")).scalar()
    auth.set_active(user_id, False, review_env.engine)
    assert client.get("/api/assessments", headers=bearer(token)).status_code == 401
    auth.set_active(user_id, True, review_env.engine)
    new = auth.issue_token(user_id, engine=review_env.engine)
    assert client.get("/api/assessments", headers=bearer(token)).status_code == 401
    assert client.get("/api/assessments", headers=bearer(new)).status_code == 200


def test_tokens_are_stored_hashed(review_env):
    with review_env.engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT token_hash FROM api_tokens"))]
        hashes = [row[0] for row in conn.execute(text("SELECT password_hash FROM users"))]
    assert review_env.tokens["admin"] not in stored
    assert auth.sha256(review_env.tokens["admin"]) in stored
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_list_filters_and_pagination(client, review_env):
    h = bearer(review_env.tokens["consultant"])
    everything = client.get("/api/assessments", headers=h).json()
    assert everything["total"] == 3
    assert [a["sender_id"] for a in everything["items"]] == ["mitte-3", "stadt-2", "dorf-1"]  # newest first
    by_land = client.get("/api/assessments", params={"bundesland": "NW"}, headers=h).json()
    assert [a["sender_id"] for a in by_land["items"]] == ["stadt-2"]
    typ = review_env.seeded["dorf-1"]["typ"]
    by_typ = client.get("/api/assessments", params={"typ": typ}, headers=h).json()
    assert "dorf-1" in [a["sender_id"] for a in by_typ["items"]]
    assert all(a["typ"] == typ for a in by_typ["items"])
    phase = client.get("/api/assessments", params={"phase": "orientierung"}, headers=h).json()
    assert all(a["phase"] == "orientierung" for a in phase["items"]) and phase["total"] >= 1
    dated = client.get(
        "/api/assessments", params={"from": "2026-04-01", "to": "2026-04-30"}, headers=h
    ).json()
    assert [a["sender_id"] for a in dated["items"]] == ["stadt-2"]
    page = client.get("/api/assessments", params={"limit": 1, "offset": 1}, headers=h).json()
    assert page["total"] == 3 and [a["sender_id"] for a in page["items"]] == ["stadt-2"]
    assert client.get("/api/assessments", params={"typ": "unbekannt"}, headers=h).status_code == 422
    assert client.get("/api/assessments", params={"limit": 0}, headers=h).status_code == 422


def test_single_assessment_and_conversation(client, review_env):
    h = bearer(review_env.tokens["consultant"])
    one = client.get("/api/assessments/dorf-1", headers=h).json()
    assert one["answers"]["kommune_art"] == "gemeinde"
    assert set(one["typ_scores"]) == set(TYPE_IDS)
    assert set(one["reifegrad"]) == set(DIMENSION_IDS)
    assert one["confirmed_typ"] is None
    assert client.get("/api/assessments/gibt-es-nicht", headers=h).status_code == 404
    talk = client.get("/api/conversations/dorf-1", headers=h).json()
    assert talk["sender_id"] == "dorf-1"
    assert talk["turns"][0] == {**talk["turns"][0], "role": "nutzer", "text": "Hallo"}
    with_buttons = [t for t in talk["turns"] if t.get("buttons")]
    assert with_buttons and with_buttons[0]["buttons"] == ["Gemeinde", "Stadt", "Landkreis"]
    assert client.get("/api/conversations/gibt-es-nicht", headers=h).status_code == 404


def test_delete_really_removes_events_assessment_and_derived_rows(client, review_env):
    from bot.review import search

    search.reindex(review_env.engine, review_env.tracker)
    response = client.delete("/api/conversations/dorf-1", headers=bearer(review_env.tokens["admin"]))
    assert response.status_code == 200
    assert response.json()["events"] > 0 and response.json()["assessments"] == 1
    with review_env.tracker.connect() as conn:
        left = conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = 'dorf-1'")).scalar()
    assert left == 0
    with review_env.engine.connect() as conn:
        for table in ("assessments", "assessment_search", "assessment_notes"):
            assert (
                conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE sender_id = 'dorf-1'")).scalar() == 0
            )
        if review_env.engine.dialect.name == "sqlite":
            fts = "SELECT COUNT(*) FROM assessment_search_fts WHERE content MATCH 'glasfaser'"
            assert conn.execute(text(fts)).scalar() == 0
        audit = conn.execute(text("SELECT actor, action FROM audit_log WHERE target = 'dorf-1'")).all()
    assert ("anton", "delete") in [tuple(r) for r in audit]
    h = bearer(review_env.tokens["admin"])
    assert client.get("/api/assessments/dorf-1", headers=h).status_code == 404
    assert client.delete("/api/conversations/dorf-1", headers=h).status_code == 404


def test_export_csv_has_ids_of_the_spec(client, review_env):
    response = client.get(
        "/api/export", params={"format": "csv"}, headers=bearer(review_env.tokens["consultant"])
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    header = list(rows[0])
    for column in ("sender_id", "channel", "started_at", "completed_at", "typ", "phase", "phase_reason"):
        assert column in header
    for qid in load_questionnaire().ids:
        assert qid in header  # answers flattened by question id
    assert {f"typ_scores.{t}" for t in TYPE_IDS} <= set(header)
    assert {f"reifegrad.{d}" for d in DIMENSION_IDS} <= set(header)
    dorf = next(r for r in rows if r["sender_id"] == "dorf-1")
    assert dorf["ziele_top3"] == "rechtliche_vorgaben|foerdermittel|it_sicherheit"
    assert dorf["einwohner"] == "6000" and dorf["bundesland"] == "BY"
    assert len(dorf["recommendations"].split("|")) == 3
    open_one = next(r for r in rows if r["sender_id"] == "mitte-3")
    assert open_one["completed_at"] == "" and open_one["typ"] == ""


def test_export_json_and_filters(client, review_env):
    h = bearer(review_env.tokens["consultant"])
    response = client.get("/api/export", params={"format": "json"}, headers=h)
    assert response.headers["content-type"].startswith("application/json")
    data = json.loads(response.text)
    assert sorted(a["sender_id"] for a in data) == ["dorf-1", "mitte-3", "stadt-2"]
    assert data[0]["answers"] and "typ_scores" in data[0]
    only_nw = json.loads(
        client.get("/api/export", params={"format": "json", "bundesland": "NW"}, headers=h).text
    )
    assert [a["sender_id"] for a in only_nw] == ["stadt-2"]
    assert client.get("/api/export", params={"format": "xml"}, headers=h).status_code == 422


def test_csv_export_neutralises_formulas(client, review_env):
    from tests.review import seed

    seed.seed_assessment("formel", {"kommune_name": '=HYPERLINK("http://x")', "kommune_art": "stadt"})
    response = client.get("/api/export", headers=bearer(review_env.tokens["consultant"]))
    row = next(
        r
        for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        if r["sender_id"] == "formel"
    )
    assert row["kommune_name"].startswith("'=")


def test_openapi_documents_the_api_with_bearer_auth(client):
    spec = client.get("/api/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())
    for method, path in API_ROUTES_EXPECTED:
        operation = spec["paths"][path][method.lower()]
        assert operation.get("security"), path
        assert "401" in operation["responses"] and "403" in operation["responses"]
    assert not any(p.startswith("/beratung") for p in spec["paths"])


def test_api_reads_are_audited(client, review_env):
    client.get("/api/assessments/stadt-2", headers=bearer(review_env.tokens["consultant"]))
    client.get("/api/export", headers=bearer(review_env.tokens["consultant"]))
    with review_env.engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action, target FROM audit_log ORDER BY id")).all()
    assert ("berta", "view", "stadt-2") in [tuple(r) for r in rows]
    assert ("berta", "export", None) in [tuple(r) for r in rows]


def test_user_model_has_no_clear_secrets():
    assert {"password", "token"}.isdisjoint(User.__table__.columns.keys())


def test_date_filters_at_the_ends_of_the_calendar(client, review_env):
    """Found by the property test: from=0001-01-01 once crashed the export with an OverflowError."""
    headers = bearer(review_env.tokens["consultant"])
    for query in ("from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31"):
        assert client.get(f"/api/assessments?{query}", headers=headers).status_code == 200
        assert client.get(f"/api/export?format=csv&{query}", headers=headers).status_code == 200
