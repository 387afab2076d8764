"""The result report: HTML page and PDF, rendered for real and checked page by page as images.

Page images go to tests/artifacts/report/ (gitignored) so a person can look at them.
pdftoppm and pdftotext (Debian package poppler-utils, installed by scripts/setup.sh) are required:
without them the PDF tests fail with a message instead of being skipped.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from PIL import Image
from rasa_sdk.executor import CollectingDispatcher

from actions.result import ActionShowResult
from bot import report, store
from bot.advisor import evaluate
from bot.maturity import load_formulas
from bot.phase import load_rules
from bot.settings import get_settings
from bot.typology import profile_of
from bot.web import create_app
from tests.actions.conftest import make_tracker
from tests.unit.test_advisor import SMALL_CAUTIOUS

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"
SENDER = "gemeinde-musterhausen"
ANSWERS = {**SMALL_CAUTIOUS, "kommune_name": "Musterhausen"}


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} fehlt: Die Berichtstests brauchen poppler-utils "
            "(sudo apt-get install poppler-utils; scripts/setup.sh installiert es als root)."
        )
    return path


@pytest.fixture()
def assessment(temp_db):
    store.save_result(SENDER, "rest", ANSWERS, evaluate(ANSWERS))
    return store.get_assessment(SENDER)


@pytest.fixture()
def client(temp_db):
    return TestClient(create_app(get_settings()))


class ResourceCollector(HTMLParser):
    """Everything a browser would load for the page, and every link target."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("src", "srcset", "poster", "data", "background"):
            if values.get(name):
                self.loads.append(values[name])
        if tag == "link" and values.get("href"):
            self.loads.append(values["href"])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if values.get("style"):
            self.style += values["style"]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def cited_urls(assessment) -> set[str]:
    return {
        src.url
        for rec in assessment["recommendations"]
        for src in report.sources_for(rec["knowledge_ids"], assessment["answers"].get("bundesland"))
        if src.url
    }


# ------------------------------------------------------------------------------------------ HTML


def test_html_report_content(assessment):
    html = report.render_html(assessment, pdf_url="/bericht/x.pdf?t=y")
    built = report.build_report(assessment)
    assert 'lang="de"' in html
    assert "Musterhausen" in html
    assert str(escape(profile_of(assessment["typ"])["name"])) in html
    assert str(escape(load_rules().phases[assessment["phase"]].name)) in html
    assert len(assessment["recommendations"]) == 3
    for rec in assessment["recommendations"]:
        assert str(escape(rec["title"])) in html
    for rec in built.recommendations:
        assert rec.sources, f"Empfehlung {rec.title} ohne Quellen"
        assert str(escape(rec.sources[0].title)) in html
    # answers table, method and data protection
    assert "Einwohnerzahl" in html and "6.000" in html
    assert "ÖFIT" in html and "Expertenprofilen" in html
    assert "Datenschutz" in html
    # all six dimensions in the table
    assert html.count('<th scope="row">') >= 6 + len(built.answers)


def test_html_report_loads_nothing_from_elsewhere(assessment):
    html = report.render_html(assessment, pdf_url="/bericht/x.pdf?t=y")
    page = ResourceCollector()
    page.feed(html)
    # images and styles are inline: data: URIs and a <style> block, no stylesheet or script
    assert page.loads and all(src.startswith("data:image/") for src in page.loads)
    assert "<script" not in html.lower()
    assert not re.search(r"url\(|@import", page.style)
    # the only third-party addresses are links to the cited sources (navigation, nothing loaded)
    cited = cited_urls(assessment)
    external = [href for href in page.links if href.startswith(("http:", "https:", "//"))]
    assert external and set(external) <= cited
    rest = html
    for url in cited:
        rest = rest.replace(f'href="{escape(url)}"', "").replace(f">{escape(url)}<", "><")
    assert not re.search(r"https?://", rest), re.findall(r"https?://[^\s\"'<]+", rest)


def test_html_escapes_the_municipality_name(temp_db):
    answers = {**SMALL_CAUTIOUS, "kommune_name": "<script>alert(1)</script> & Co"}
    store.save_result("frech", "rest", answers, evaluate(answers))
    stored = store.get_assessment("frech")
    html = report.render_html(stored)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert report.file_name(stored) == "Kommunallotse-Bericht-script-alert-1-script-Co.pdf"


def test_dimensions_not_judged_are_named(temp_db, tmp_path):
    dim = "kompetenzen_beteiligung"
    answers = {**SMALL_CAUTIOUS, **{i.question: None for i in load_formulas().dimensions[dim].items}}
    store.save_result("offen", "rest", answers, evaluate(answers))
    built = report.build_report(store.get_assessment("offen"))
    unknown = [d for d in built.dimensions if d.score is None]
    assert [d.id for d in unknown] == [dim]
    html = report.render_html(store.get_assessment("offen"))
    assert "nicht beurteilt" in html
    assert "Offen geblieben sind" in html
    pdf = tmp_path / "offen.pdf"
    pdf.write_bytes(report.render_pdf(store.get_assessment("offen")))
    text = subprocess.run(
        [need("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "nicht beurteilt" in text and "Offen geblieben sind" in text


# ------------------------------------------------------------------------------------------- PDF


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        [need("pdftotext"), "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def ink_share(image: Image.Image) -> float:
    """Share of pixels that are not (nearly) white."""
    grey = image.convert("L")
    dark = sum(grey.histogram()[:240])
    return dark / (grey.width * grey.height)


def coloured_pixels(image: Image.Image) -> int:
    """Pixels with a clear hue (not grey): the charts' blues."""
    rgb = image.convert("RGB")
    return sum(1 for r, g, b in rgb.get_flattened_data() if max(r, g, b) - min(r, g, b) > 40)


def test_pdf_report_renders_and_every_page_is_checked(assessment):
    need("pdftoppm")
    need("pdftotext")
    pdf_bytes = report.render_pdf(assessment)
    assert pdf_bytes.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*"):
        old.unlink()
    pdf = ARTIFACTS / "bericht.pdf"
    pdf.write_bytes(pdf_bytes)

    text = subprocess.run(
        [need("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert profile_of(assessment["typ"])["name"] in flat
    assert load_rules().phases[assessment["phase"]].name in flat
    for rec in assessment["recommendations"]:
        assert rec["title"] in flat
    assert "Ergebnisbericht: Musterhausen" in flat

    subprocess.run([need("pdftoppm"), "-r", "60", "-png", str(pdf), str(ARTIFACTS / "seite")], check=True)
    pages = sorted(ARTIFACTS.glob("seite-*.png"))
    assert 2 <= len(pages) <= 4, f"{len(pages)} Seiten"
    assert f"Seite 1 von {len(pages)}" in text

    radar_pages = []
    for number, path in enumerate(pages, start=1):
        with Image.open(path) as image:
            width_mm = image.width / 60 * 25.4
            assert 205 < width_mm < 215, "nicht A4"
            share = ink_share(image)
            assert share > 0.03, f"Seite {number} ist fast leer ({share:.1%} Farbe)"
            assert f"Seite {number} von {len(pages)}" in page_text(pdf, number)
            if "3. Reifegrad" in page_text(pdf, number):
                radar_pages.append(number)
                assert coloured_pixels(image) > 500, "Netzdiagramm ohne Farbe"
                images = subprocess.run(
                    [need("pdfimages"), "-list", "-f", str(number), "-l", str(number), str(pdf)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                assert re.search(r"\bimage\s+\d+\s+\d+\s+rgb\b", images), "kein Diagramm auf der Seite"
    assert len(radar_pages) == 1


def test_charts_are_drawn(assessment):
    built = report.build_report(assessment)
    png = report.radar_chart(built, "png", dpi=60)
    assert png.startswith(b"\x89PNG")
    svg = report.type_chart(built, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


# ----------------------------------------------------------------------------------- links, web


def test_report_link_is_signed(temp_db):
    link = report.report_link("a b/ü", "https://lotse.example.org/")
    assert link.startswith("https://lotse.example.org/bericht/a%20b%2F%C3%BC?t=")
    token = link.rsplit("t=", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert report.check_token("a b/ü", token)
    flipped = token[:-1] + ("1" if token[-1] == "0" else "0")
    assert not report.check_token("a b/ü", flipped)
    assert not report.check_token("anderer", token)
    assert not report.check_token("a b/ü", None)
    assert not report.check_token("a b/ü", "ä" * 64)
    assert report.report_link(SENDER, "http://h", pdf=True).startswith(f"http://h/bericht/{SENDER}.pdf?t=")


def test_sources_of_other_states_are_left_out():
    assert report.sources_for(["lotsen-bw"], "BY") == []
    assert report.sources_for(["lotsen-bw"], "BW")
    assert report.sources_for(["gibt-es-nicht", "../settings"], "BW") == []


def test_web_report_needs_the_signed_token(assessment, client):
    token = report.report_token(SENDER)
    for url in (f"/bericht/{SENDER}", f"/bericht/{SENDER}.pdf"):
        missing = client.get(url)
        assert missing.status_code == 403
        assert "Link" in missing.text
        wrong = client.get(url, params={"t": "0" * 64})
        assert wrong.status_code == 403
        other = client.get(url, params={"t": report.report_token("jemand-anderes")})
        assert other.status_code == 403

    page = client.get(f"/bericht/{SENDER}", params={"t": token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert profile_of(assessment["typ"])["name"] in page.text
    assert f"/bericht/{SENDER}.pdf?t={token}" in page.text

    pdf = client.get(f"/bericht/{SENDER}.pdf", params={"t": token})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        pdf.headers["content-disposition"] == 'attachment; filename="Kommunallotse-Bericht-Musterhausen.pdf"'
    )


def test_web_report_unknown_or_unfinished_is_404(temp_db, client):
    for sender in ("unbekannt", "angefangen"):
        if sender == "angefangen":
            store.save_answers(sender, "rest", {"kommune_art": "gemeinde"})
        for suffix in ("", ".pdf"):
            response = client.get(f"/bericht/{sender}{suffix}", params={"t": report.report_token(sender)})
            assert response.status_code == 404
            assert "Selbstcheck" in response.text


def test_result_action_sends_the_report_link(temp_db, client, monkeypatch):
    monkeypatch.setenv("KL_PUBLIC_URL", "https://lotse.example.org")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionShowResult().run(dispatcher, make_tracker("", None, dict(SMALL_CAUTIOUS)), {}))
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    line = next(t for t in texts if t.startswith("Ihren Bericht zum Herunterladen (HTML und PDF)"))
    url = line.rsplit(" ", 1)[1]
    assert url == report.report_link("test-sender", "https://lotse.example.org")
    path = url.removeprefix("https://lotse.example.org")
    assert client.get(path).status_code == 200
