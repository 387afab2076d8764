"""The review pages: login, sessions, CSRF, lock-out, roles, list filters, detail actions, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from bot.review import auth
from bot.review.models import User
from bot.settings import Settings
from bot.web import create_app
from tests.review import seed
from tests.review.conftest import PASSWORD, csrf_of, login


def test_pages_need_login(client):
    for url in (
        "/beratung/",
        "/beratung/statistik",
        "/beratung/einschaetzung/dorf-1",
        "/beratung/export.csv",
    ):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/beratung/anmelden?weiter=")
        assert "Musterdorf" not in response.text


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(client):
    response = login(client, "berta", follow=False)
    assert response.status_code == 303 and response.headers["location"] == "/beratung/"
    cookie = response.headers["set-cookie"].lower()
    assert "kl_beratung=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http in development
    page = client.get("/beratung/")
    assert page.status_code == 200 and "Musterdorf" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    logout = client.post(
        "/beratung/abmelden", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert logout.status_code == 303
    assert client.get("/beratung/", follow_redirects=False).status_code == 303


def test_cookie_is_secure_in_production(review_env, monkeypatch):
    settings = Settings(env="production", secret_key="p" * 40, database_url=str(review_env.engine.url))
    client = TestClient(create_app(settings), base_url="https://testserver")
    page = client.get("/beratung/anmelden")
    assert "secure" in page.headers["set-cookie"].lower()
    response = client.post(
        "/beratung/anmelden",
        data={"name": "berta", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "kl_beratung=" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_login_form_needs_its_csrf_token(client):
    client.get("/beratung/anmelden")
    response = client.post(
        "/beratung/anmelden", data={"name": "berta", "password": PASSWORD, "csrf_token": "falsch"}
    )
    assert response.status_code == 403
    assert client.get("/beratung/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    for name in ("berta", "niemand"):
        response = login(client, name, "falsches-passwort")
        assert response.status_code == 401
        assert "Anmeldung ist fehlgeschlagen" in response.text


def test_lockout_after_five_failures_for_fifteen_minutes(client, review_env):
    for _ in range(5):
        assert login(client, "berta", "falsches-passwort").status_code == 401
    # locked: even the right password does not get in
    assert login(client, "berta").status_code == 401
    with Session(review_env.engine) as session:
        user = session.query(User).filter_by(name="berta").one()
        locked_until = auth.aware(user.locked_until)
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    # the lock-out is about the password; the account's API token keeps working
    api = client.get(
        "/api/assessments", headers={"Authorization": f"Bearer {review_env.tokens['consultant']}"}
    )
    assert api.status_code == 200
    # after the lock has run out, the right password works again
    with Session(review_env.engine) as session, session.begin():
        session.execute(
            update(User)
            .where(User.name == "berta")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert login(client, "berta").status_code == 200
    with review_env.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log WHERE actor = 'berta'"))]
    assert actions.count("login_failed") == 6 and "login" in actions


def test_lockout_is_per_account_and_admin_can_lift_it(client, review_env):
    for _ in range(5):
        login(client, "berta", "falsches-passwort")
    admin = TestClient(create_app())
    assert login(admin, "anton").status_code == 200  # other accounts are not affected
    page = admin.get("/beratung/admin/konten")
    assert "gesperrt bis" in page.text
    user_id = review_env.engine.connect().execute(text("SELECT id FROM users WHERE name='berta'")).scalar()
    admin.post(f"/beratung/admin/konten/{user_id}/entsperren", data={"csrf_token": csrf_of(page.text)})
    assert login(client, "berta").status_code == 200


def test_post_forms_need_the_session_csrf_token(client, review_env):
    login(client, "berta")
    for url, data in (
        ("/beratung/einschaetzung/dorf-1/typ", {"typ": "optimierer"}),
        ("/beratung/einschaetzung/dorf-1/notiz", {"text": "Hallo"}),
        ("/beratung/abmelden", {}),
    ):
        assert client.post(url, data=data).status_code == 403
        assert client.post(url, data={**data, "csrf_token": "geraten"}).status_code == 403
    assert client.get("/api/assessments/dorf-1").status_code == 401  # the cookie is no API token
    with review_env.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT confirmed_typ FROM assessments WHERE sender_id='dorf-1'")).scalar()
            is None
        )


def test_every_post_form_carries_a_csrf_token(client):
    login(client, "anton")
    for url in (
        "/beratung/",
        "/beratung/einschaetzung/dorf-1",
        "/beratung/einschaetzung/dorf-1/loeschen",
        "/beratung/admin/konten",
        "/beratung/statistik",
    ):
        html = client.get(url).text
        forms = html.split("<form")[1:]
        posts = [f for f in forms if 'method="post"' in f.split(">")[0]]
        assert posts, url
        assert all('name="csrf_token"' in f.split("</form>")[0] for f in posts), url


def test_list_filters_and_text_search(client, review_env):
    login(client, "berta")
    page = client.get("/beratung/")
    assert all(name in page.text for name in ("Musterdorf", "Großstadt am Fluss", "Mittelstadt"))

    def names(**params):
        html = client.get("/beratung/", params=params).text
        return {n for n in ("Musterdorf", "Großstadt am Fluss", "Mittelstadt") if f">{n}</a>" in html}

    assert names(bundesland="NW") == {"Großstadt am Fluss"}
    assert names(groesse="ab100000") == {"Großstadt am Fluss"}
    assert names(groesse="unter5000") == set()
    assert names(groesse="5000-20000") == {"Musterdorf"}
    assert names(kommune_art="gemeinde") == {"Musterdorf"}
    assert names(kanal="socketio") == {"Großstadt am Fluss"}
    assert names(abgeschlossen="nein") == {"Mittelstadt"}
    assert names(uebergabe="ja") == {"Musterdorf"}
    assert names(loeschwunsch="ja") == {"Mittelstadt"}
    assert names(von="2026-04-01", bis="2026-04-30") == {"Großstadt am Fluss"}
    assert names(phase="orientierung") == {"Musterdorf"}
    assert names(bestaetigt="ja") == set()
    # full text over the transcripts: substrings of compounds, case and umlauts
    assert names(q="glasfaser") == {"Musterdorf"}
    assert names(q="faserAUSBAU") == {"Musterdorf"}
    assert names(q="MÄNGELMELDER") == {"Großstadt am Fluss"}
    assert names(q="Ortsteil glasfaser") == {"Musterdorf"}
    assert names(q="Ortsteil mängelmelder") == set()
    assert names(q="so um die") == {"Musterdorf", "Großstadt am Fluss", "Mittelstadt"}
    assert names(q="100%_") == set()  # LIKE wildcards are literal
    assert names(q='"; DROP TABLE assessments; --') == set()
    assert names(typ="nichts", groesse="riesig") == {"Musterdorf", "Großstadt am Fluss", "Mittelstadt"}


def test_keyset_pagination(client, review_env):
    for n in range(60):
        seed.seed_assessment(
            f"extra-{n:02d}",
            {"kommune_art": "gemeinde", "einwohner": 1000 + n},
            completed=False,
            started_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
        )
    login(client, "berta")
    first = client.get("/beratung/")
    assert "63</strong>" in first.text and "Ältere" in first.text
    older = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older)
    # newest first: mitte-3, stadt-2, dorf-1, extra-59 … extra-13 on the first page
    assert "extra-00" in second.text and "extra-12" in second.text
    assert "extra-13" not in second.text and "dorf-1" not in second.text
    newer = second.text.split('rel="prev" href="')[1].split('"')[0].replace("&amp;", "&")
    back = client.get(newer)
    assert "stadt-2" in back.text and "extra-59" in back.text


def test_detail_shows_transcript_answers_charts_and_report_link(client):
    login(client, "berta")
    page = client.get("/beratung/einschaetzung/dorf-1")
    assert page.status_code == 200
    html = page.text
    assert "Wie viele Einwohner hat Ihre Kommune?" in html  # bot turn
    assert "Wir planen den Glasfaserausbau im Ortsteil" in html  # user turn
    assert '<span class="btn">Landkreis</span>' in html  # buttons shown
    assert "Wichtigste Digitalisierungsziele" in html and "Fördermittel" in html  # titles and labels
    assert html.count("<svg") == 2  # type probabilities and maturity
    assert "Orientierungsphase" in html
    assert "/bericht/dorf-1?t=" in html
    assert "it@musterdorf.example" in html  # handover contact
    assert client.get("/beratung/einschaetzung/gibt-es-nicht").status_code == 404


def test_transcript_text_is_escaped(client, review_env):
    seed.seed_assessment("xss", {"kommune_name": "<b>Fett</b>", "kommune_art": "stadt"}, completed=False)
    seed.add_turns(review_env.tracker, "xss", [("user", "<script>alert(1)</script>", [])], 1_780_000_000)
    login(client, "berta")
    html = client.get("/beratung/einschaetzung/xss").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Fett</b>" not in html
    assert "<b>Fett</b>" not in client.get("/beratung/").text


def test_confirm_type_and_notes(client, review_env):
    login(client, "berta")
    page = client.get("/beratung/einschaetzung/dorf-1")
    token = csrf_of(page.text)
    response = client.post(
        "/beratung/einschaetzung/dorf-1/typ", data={"typ": "optimierer", "csrf_token": token}
    )
    assert response.status_code == 200 and "bestätigte Typ wurde gespeichert" in response.text
    with review_env.engine.connect() as conn:
        assert conn.execute(
            text("SELECT confirmed_typ FROM assessments WHERE sender_id='dorf-1'")
        ).scalar() == ("optimierer")
    assert (
        client.post("/beratung/einschaetzung/dorf-1/typ", data={"typ": "x", "csrf_token": token}).status_code
        == 400
    )
    client.post(
        "/beratung/einschaetzung/dorf-1/notiz", data={"text": "Rückruf am Montag", "csrf_token": token}
    )
    html = client.get("/beratung/einschaetzung/dorf-1").text
    assert "Rückruf am Montag" in html and "berta ·" in html
    names = client.get("/beratung/", params={"bestaetigt": "optimierer"}).text
    assert "Musterdorf" in names
    with review_env.engine.connect() as conn:
        audit = [tuple(r) for r in conn.execute(text("SELECT actor, action, target FROM audit_log"))]
    assert ("berta", "confirm", "dorf-1") in audit and ("berta", "note", "dorf-1") in audit
    assert ("berta", "view", "dorf-1") in audit


def test_consultants_cannot_delete_or_administer(client):
    login(client, "berta")
    for url in (
        "/beratung/einschaetzung/dorf-1/loeschen",
        "/beratung/admin/konten",
        "/beratung/admin/protokoll",
        "/beratung/admin/loeschwuensche",
    ):
        assert client.get(url).status_code == 403, url
    token = csrf_of(client.get("/beratung/").text)
    response = client.post(
        "/beratung/einschaetzung/dorf-1/loeschen", data={"csrf_token": token, "bestaetigt": "ja"}
    )
    assert response.status_code == 403
    assert "Glasfaser" in client.get("/beratung/einschaetzung/dorf-1").text


def test_admin_deletes_after_confirmation(client, review_env):
    login(client, "anton")
    confirm = client.get("/beratung/einschaetzung/mitte-3/loeschen")
    assert "endgültig löschen" in confirm.text and "um Löschung gebeten" in confirm.text
    token = csrf_of(confirm.text)
    # without the explicit confirmation nothing happens
    assert (
        client.post("/beratung/einschaetzung/mitte-3/loeschen", data={"csrf_token": token}).status_code == 400
    )
    response = client.post(
        "/beratung/einschaetzung/mitte-3/loeschen", data={"csrf_token": token, "bestaetigt": "ja"}
    )
    assert response.status_code == 200 and "wurden gelöscht" in response.text
    with review_env.tracker.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id='mitte-3'")).scalar() == 0
    assert client.get("/beratung/einschaetzung/mitte-3").status_code == 404
    log = client.get("/beratung/admin/protokoll").text
    assert "Gelöscht" in log and "mitte-3" in log


def test_deletion_requests_page(client):
    login(client, "anton")
    html = client.get("/beratung/admin/loeschwuensche").text
    assert "Mittelstadt" in html and "Musterdorf" not in html


def test_admin_manages_accounts(client, review_env):
    login(client, "anton")
    page = client.get("/beratung/admin/konten")
    token = csrf_of(page.text)
    created = client.post(
        "/beratung/admin/konten",
        data={"name": "carla", "role": "consultant", "password": "noch-ein-langes-pw", "csrf_token": token},
    )
    assert created.status_code == 200 and "nur jetzt angezeigt" in created.text
    api_token = created.text.split('<code class="secret">')[1].split("</code>")[0]
    assert (
        TestClient(create_app())
        .get("/api/assessments", headers={"Authorization": f"Bearer {api_token}"})
        .json()["total"]
        == 3
    )
    short = client.post(
        "/beratung/admin/konten",
        data={"name": "dora", "role": "admin", "password": "kurz", "csrf_token": token},
    )
    assert short.status_code == 400 and "mindestens 10 Zeichen" in short.text
    carla_id = review_env.engine.connect().execute(text("SELECT id FROM users WHERE name='carla'")).scalar()
    client.post(f"/beratung/admin/konten/{carla_id}/deaktivieren", data={"csrf_token": token})
    other = TestClient(create_app())
    assert login(other, "carla", "noch-ein-langes-pw").status_code == 401
    own_id = review_env.engine.connect().execute(text("SELECT id FROM users WHERE name='anton'")).scalar()
    refused = client.post(f"/beratung/admin/konten/{own_id}/deaktivieren", data={"csrf_token": token})
    assert refused.status_code == 400


def test_disabling_an_account_ends_its_sessions(client, review_env):
    login(client, "berta")
    assert client.get("/beratung/").status_code == 200
    user_id = review_env.engine.connect().execute(text("SELECT id FROM users WHERE name='berta'")).scalar()
    auth.set_active(user_id, False, review_env.engine)
    assert client.get("/beratung/", follow_redirects=False).status_code == 303


def test_session_expires_after_eight_hours(client, review_env):
    login(client, "berta")
    with review_env.engine.begin() as conn:
        conn.execute(
            text("UPDATE review_sessions SET expires_at = :t"),
            {"t": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert client.get("/beratung/", follow_redirects=False).status_code == 303


def test_login_redirect_stays_inside_the_review(client):
    page = client.get("/beratung/anmelden", params={"weiter": "https://evil.example/"})
    assert 'value="/beratung/"' in page.text
    response = client.post(
        "/beratung/anmelden",
        data={
            "name": "berta",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "weiter": "//evil.example",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/beratung/"


def test_statistics_page(client):
    login(client, "berta")
    html = client.get("/beratung/statistik").text
    assert html.count("<svg") == 5
    assert "Bayern" in html and "Nordrhein-Westfalen" in html
    assert "100.000 und mehr" in html and "Orientierungsphase" in html
    filtered = client.get("/beratung/statistik", params={"bundesland": "NW"}).text
    assert "Bayern" not in filtered.split("Kommunentypen nach Bundesland")[2]


def test_ui_export_downloads(client):
    login(client, "berta")
    csv_response = client.get("/beratung/export.csv", params={"bundesland": "BY"})
    assert csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("dorf-1,")
    assert client.get("/beratung/export.json").json()[0]["sender_id"] == "mitte-3"
    assert client.get("/beratung/export.xml").status_code == 404
