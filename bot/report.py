"""The result report a municipality downloads for its council: HTML page and PDF.

Both are rendered on the server from the stored assessment (bot.store), with the German wording
from data/report_texts.yml. Charts (bar chart of the type probabilities, radar chart of the
maturity dimensions) are drawn with matplotlib; the PDF is laid out with reportlab using the
DejaVu Sans fonts that matplotlib ships in its package data. Nothing is fetched from elsewhere:
the HTML page carries its CSS and its charts inline (data: URIs), so a saved copy stands alone.

Access is by a signed link: the token is HMAC-SHA256(secret_key, sender_id), hex.
matplotlib and reportlab are imported only when a chart or PDF is drawn, so the action server,
which only builds links, does not load them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import textwrap
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.advisor import SECOND_TYPE_GAP, SECOND_TYPE_MIN
from bot.maturity import dimension_title, maturity
from bot.models import DIMENSION_IDS, TYPE_IDS
from bot.phase import load_rules
from bot.questionnaire import load_questionnaire
from bot.settings import get_settings
from bot.typology import profile_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEXTS_FILE = HERE / "data" / "report_texts.yml"
TEMPLATES_DIR = HERE / "templates"
CSS_FILE = HERE / "static" / "report.css"
ARTICLES_DIR = ROOT / "knowledge" / "articles"
# Sources shown per recommendation (the first articles of a recommendation are its main ones).
MAX_SOURCES = 5
ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,100}$")

# Colours shared by charts, HTML (report.css) and PDF.
INK = "#1b2a3a"
PRIMARY = "#1f4e79"
ACCENT = "#2e86c1"
MUTED = "#9aa9b8"
LIGHT = "#e8f0f8"
LINE = "#c9d6e3"
MUTED_TEXT = "#5d6d7e"

# The report page loads nothing: inline CSS, charts as data: URIs; links to sources only navigate.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

_chart_lock = threading.Lock()  # matplotlib is not thread-safe; web routes run in a thread pool


class ReportUnavailable(LookupError):
    """The assessment is unknown or not completed: there is nothing to report yet."""


# --------------------------------------------------------------------------- texts and links


@cache
def texts() -> dict[str, str]:
    with open(TEXTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def report_token(sender_id: str, secret_key: str | None = None) -> str:
    key = (secret_key or get_settings().secret_key).encode("utf-8")
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()


def check_token(sender_id: str, token: str | None, secret_key: str | None = None) -> bool:
    if not token:
        return False
    # as bytes: compare_digest refuses str with non-ASCII characters (a forged token may have them)
    return hmac.compare_digest(report_token(sender_id, secret_key).encode(), token.encode("utf-8"))


def report_link(sender_id: str, base_url: str, pdf: bool = False, secret_key: str | None = None) -> str:
    """The signed address of the report: <base_url>/bericht/<sender_id>[.pdf]?t=<token>."""
    suffix = ".pdf" if pdf else ""
    path = f"/bericht/{quote(sender_id, safe='')}{suffix}"
    return f"{base_url.rstrip('/')}{path}?t={report_token(sender_id, secret_key)}"


UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def _ascii_slug(text: str, limit: int = 60) -> str:
    text = text.translate(UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    return slug[:limit].strip("-")


def file_name(assessment: dict[str, Any]) -> str:
    """German file name of the PDF: Kommunallotse-Bericht-<name or id>.pdf (ASCII only)."""
    name = (assessment.get("answers") or {}).get("kommune_name") or ""
    slug = _ascii_slug(str(name)) or _ascii_slug(str(assessment.get("sender_id", ""))) or "Kommune"
    return texts()["file_name"].format(name=slug)


# --------------------------------------------------------------------------- knowledge sources


@cache
def article_front_matter(article_id: str) -> dict[str, Any] | None:
    """The YAML front matter of knowledge/articles/<id>.md, or None if there is no such article."""
    if not ARTICLE_ID.match(article_id):
        return None
    path = ARTICLES_DIR / f"{article_id}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        return None
    data = yaml.safe_load(parts[0].removeprefix("---"))
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    stand: str | None = None


def sources_for(
    knowledge_ids: list[str], bundesland: str | None = None, limit: int | None = None
) -> list[Source]:
    """The cited sources of the given knowledge articles, in order, without duplicates.

    Articles for other federal states (front matter `applies_if.bundesland`) are left out.
    """
    seen: set[tuple[str, str | None]] = set()
    result: list[Source] = []
    for article_id in knowledge_ids:
        front = article_front_matter(article_id) or {}
        states = (front.get("applies_if") or {}).get("bundesland")
        if states and bundesland not in states:
            continue
        for src in front.get("sources") or []:
            if not isinstance(src, dict) or not src.get("title"):
                continue
            url = src.get("url")
            url = str(url) if url and str(url).startswith(("https://", "http://")) else None
            key = (str(src["title"]), url)
            if key in seen:
                continue
            seen.add(key)
            stand = str(src["stand"]) if src.get("stand") else None
            result.append(Source(title=str(src["title"]), url=url, stand=stand))
    return result[:limit] if limit else result


# --------------------------------------------------------------------------- report data


@dataclass
class TypeShare:
    id: str
    name: str
    probability: float

    @property
    def percent(self) -> int:
        return round(self.probability * 100)


@dataclass
class DimensionRow:
    id: str
    title: str
    score: int | None
    note: str


@dataclass
class RecommendationView:
    number: int
    title: str
    reason: str
    first_step: str
    who_helps: str
    sources: list[Source]


@dataclass
class PhaseStep:
    id: str
    name: str
    current: bool


@dataclass
class Report:
    """Everything the HTML template and the PDF show, already in German."""

    sender_id: str
    kommune: str
    has_name: bool
    date: str
    summary: list[str]
    summary_recommendations: list[str]
    typ: str
    type_name: str
    type_percent: int
    type_shares: list[TypeShare]
    type_result: str
    type_second: str | None
    type_confirmed: str | None
    type_summary: str
    type_strengths: list[str]
    type_learn: list[str]
    phase: str
    phase_name: str
    phase_short: str
    phase_reason: str
    phase_steps: list[PhaseStep]
    dimensions: list[DimensionRow]
    recommendations: list[RecommendationView]
    answers: list[tuple[str, str]]
    not_judged: str | None
    model_version: str
    texts: dict[str, str] = field(default_factory=dict)


def _german_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso[:10]


def _clean(text: Any) -> str:
    return " ".join(str(text or "").split())


def build_report(assessment: dict[str, Any] | None) -> Report:
    """The report of a stored assessment (bot.store.get_assessment); raises ReportUnavailable."""
    if not assessment or not assessment.get("completed_at") or not assessment.get("typ"):
        raise ReportUnavailable("assessment unknown or not completed")
    t = texts()
    answers: dict[str, Any] = assessment.get("answers") or {}
    name = _clean(answers.get("kommune_name"))
    kommune = name or t["kommune_fallback"]
    scores: dict[str, float] = assessment.get("typ_scores") or {}
    typ = assessment["typ"]
    profile = profile_of(typ)

    shares = [TypeShare(tid, profile_of(tid)["name"], float(scores.get(tid, 0.0))) for tid in TYPE_IDS]
    by_id = {s.id: s for s in shares}
    ranked = sorted(shares, key=lambda s: s.probability, reverse=True)
    runner_up = next(s for s in ranked if s.id != typ)
    primary = by_id[typ]
    type_second = None
    close = primary.probability - runner_up.probability <= SECOND_TYPE_GAP
    if runner_up.probability >= SECOND_TYPE_MIN and close:
        type_second = t["type_second"].format(name=runner_up.name, percent=runner_up.percent)
    confirmed = assessment.get("confirmed_typ")
    type_confirmed = None
    if confirmed and confirmed in TYPE_IDS:
        type_confirmed = t["type_confirmed"].format(name=profile_of(confirmed)["name"])

    rules = load_rules()
    phase = assessment.get("phase") or ""
    phase_info = rules.phases.get(phase)
    phase_name = phase_info.name if phase_info else phase
    steps = [PhaseStep(pid, info.name, pid == phase) for pid, info in rules.phases.items()]

    reifegrad: dict[str, int | None] = assessment.get("reifegrad") or {}
    try:
        estimated = set(maturity(answers)[1])
    except Exception:  # answers of an older questionnaire: no estimate flags, scores stay as stored
        estimated = set()
    dims = []
    for dim in DIMENSION_IDS:
        score = reifegrad.get(dim)
        if score is None:
            note = t["maturity_note_not_judged"]
        elif dim in estimated:
            note = t["maturity_note_estimated"]
        else:
            note = t["maturity_note_none"]
        dims.append(DimensionRow(dim, dimension_title(dim), None if score is None else int(score), note))

    recs = [
        RecommendationView(
            number=i,
            title=_clean(r.get("title")),
            reason=_clean(r.get("reason")),
            first_step=_clean(r.get("first_step")),
            who_helps=_clean(r.get("who_helps")),
            sources=sources_for(list(r.get("knowledge_ids") or []), answers.get("bundesland"), MAX_SOURCES),
        )
        for i, r in enumerate(assessment.get("recommendations") or [], start=1)
    ]

    qn = load_questionnaire()
    answer_rows: list[tuple[str, str]] = []
    for q in qn.questions:
        if q.id not in answers:
            continue
        try:
            label = q.label_of(answers[q.id])
        except (KeyError, AssertionError, TypeError, ValueError):
            label = _clean(answers[q.id])
        answer_rows.append((q.title, label))
    open_titles = [qn.get(q).title for q in qn.ids_for("kurz") if answers.get(q) is None]
    not_judged = t["not_judged"].format(questions=", ".join(open_titles)) if open_titles else None

    subject = name or t["kommune_subject_fallback"]
    summary = [
        t["summary_type"].format(kommune_subject=subject, type=primary.name, percent=primary.percent),
        t["summary_phase"].format(phase=phase_name),
    ]
    judged = [d for d in dims if d.score is not None]
    if len(judged) >= 2:
        best = max(judged, key=lambda d: d.score or 0)
        worst = min(judged, key=lambda d: d.score or 0)
        if best.score != worst.score:
            summary.append(
                t["summary_strongest"].format(
                    dimension=best.title, score=best.score, weakest=worst.title, weakest_score=worst.score
                )
            )

    learn = [
        t["type_learn_item"].format(topic=item["topic"], type=profile_of(item["type"])["name"])
        for item in profile.get("learn_from", [])
    ]
    return Report(
        sender_id=assessment["sender_id"],
        kommune=kommune,
        has_name=bool(name),
        date=_german_date(assessment.get("completed_at")),
        summary=summary,
        summary_recommendations=[r.title for r in recs],
        typ=typ,
        type_name=primary.name,
        type_percent=primary.percent,
        type_shares=shares,
        type_result=t["type_result"].format(name=primary.name, percent=primary.percent),
        type_second=type_second,
        type_confirmed=type_confirmed,
        type_summary=_clean(profile.get("summary")),
        type_strengths=[_clean(s) for s in profile.get("strengths", [])],
        type_learn=learn,
        phase=phase,
        phase_name=phase_name,
        phase_short=phase_info.short if phase_info else "",
        phase_reason=_clean(assessment.get("phase_reason")),
        phase_steps=steps,
        dimensions=dims,
        recommendations=recs,
        answers=answer_rows,
        not_judged=not_judged,
        model_version=_clean(assessment.get("model_version")),
        texts=t,
    )


# --------------------------------------------------------------------------- charts


def _mpl():
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return matplotlib, Figure


def _save(fig, fmt: str, dpi: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    else:
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _rc() -> dict[str, Any]:
    return {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "svg.fonttype": "path",  # text as paths: the SVG needs no font on the reader's machine
        "svg.hashsalt": "kommunallotse",
        "axes.edgecolor": LINE,
        "text.color": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
    }


def type_chart(report: Report, fmt: str = "png", dpi: int = 200) -> bytes:
    """Horizontal bar chart of the four type probabilities; the primary type is highlighted."""
    matplotlib, Figure = _mpl()
    with _chart_lock, matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(6.6, 1.9))
        ax = fig.add_subplot(111)
        shares = list(reversed(report.type_shares))
        values = [s.percent for s in shares]
        colours = [PRIMARY if s.id == report.typ else MUTED for s in shares]
        bars = ax.barh([s.name for s in shares], values, color=colours, height=0.62)
        for bar, value in zip(bars, values, strict=True):
            y = bar.get_y() + bar.get_height() / 2
            if value >= 85:  # no room right of the bar: write inside it
                ax.text(value - 1.5, y, f"{value} %", va="center", ha="right", fontsize=9, color="white")
            else:
                ax.text(value + 1.5, y, f"{value} %", va="center", fontsize=9)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xticklabels(["0 %", "25 %", "50 %", "75 %", "100 %"])
        ax.tick_params(axis="y", length=0, labelsize=9.5)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", color=LINE, linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        fig.tight_layout(pad=0.4)
        return _save(fig, fmt, dpi)


def radar_chart(report: Report, fmt: str = "png", dpi: int = 200) -> bytes:
    """Radar chart of the six maturity dimensions (0-100); dimensions not judged are marked."""
    import math

    matplotlib, Figure = _mpl()
    unknown = report.texts["maturity_chart_unknown"]
    dims = report.dimensions
    n = len(dims)
    angles = [2 * math.pi * i / n for i in range(n)]  # clockwise from the top (offset, direction)
    values = [d.score or 0 for d in dims]
    with _chart_lock, matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(5.2, 4.6))
        ax = fig.add_subplot(111, projection="polar")
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_ylim(0, 100)
        ax.set_yticks([25, 50, 75, 100])
        ax.set_yticklabels(["25", "50", "75", "100"], fontsize=7, color="#6b7b8c")
        ax.set_rlabel_position(360 / n / 2)
        ax.set_xticks(angles)
        labels = []
        for d in dims:
            label = textwrap.fill(d.title, 16, break_long_words=False)
            labels.append(f"{label}\n({unknown})" if d.score is None else f"{label}\n{d.score}")
        ax.set_xticklabels(labels, fontsize=8.5)
        for tick, d in zip(ax.get_xticklabels(), dims, strict=True):
            tick.set_color("#8a96a3" if d.score is None else INK)
        ax.tick_params(axis="x", pad=14)
        ax.grid(color=LINE, linewidth=0.7)
        ax.spines["polar"].set_color(LINE)
        closed_a = [*angles, angles[0]]
        closed_v = [*values, values[0]]
        ax.fill(closed_a, closed_v, color=ACCENT, alpha=0.28, zorder=2)
        ax.plot(closed_a, closed_v, color=PRIMARY, linewidth=2, zorder=3)
        known = [(a, d.score) for a, d in zip(angles, dims, strict=True) if d.score is not None]
        if known:
            ax.scatter([a for a, _ in known], [v for _, v in known], color=PRIMARY, s=22, zorder=4)
        fig.tight_layout(pad=0.6)
        return _save(fig, fmt, dpi)


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


# --------------------------------------------------------------------------- HTML


@cache
def _jinja() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(assessment: dict[str, Any] | None, pdf_url: str | None = None) -> str:
    """The report as a self-contained HTML page (inline CSS, charts as data: URIs)."""
    report = build_report(assessment)
    css = CSS_FILE.read_text(encoding="utf-8")
    template = _jinja().get_template("report.html")
    return template.render(
        r=report,
        t=report.texts,
        css=Markup(css),  # our own file, not user input
        pdf_url=pdf_url,
        type_chart=_data_uri(type_chart(report, "svg"), "image/svg+xml"),
        radar_chart=_data_uri(radar_chart(report, "svg"), "image/svg+xml"),
    )


# --------------------------------------------------------------------------- PDF


FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
FONT_BOLD_ITALIC = "DejaVuSans-BoldOblique"


@cache
def register_fonts() -> str:
    """Register DejaVu Sans (shipped in matplotlib's package data) with reportlab."""
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in (FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC):
        pdfmetrics.registerFont(TTFont(name, str(font_dir / f"{name}.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT_ITALIC)
    addMapping(FONT, 1, 1, FONT_BOLD_ITALIC)
    return FONT


def _x(text: Any) -> str:
    """Text for reportlab's paragraph markup (which is XML-like): escape it."""
    from xml.sax.saxutils import escape

    return escape(str(text))


def render_pdf(assessment: dict[str, Any] | None) -> bytes:
    """The report as an A4 PDF (reportlab), 2-4 pages, with page numbers in the footer."""
    report = build_report(assessment)
    register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    t = report.texts
    ink, primary, accent = colors.HexColor(INK), colors.HexColor(PRIMARY), colors.HexColor(ACCENT)
    light, line, muted = colors.HexColor(LIGHT), colors.HexColor(LINE), colors.HexColor(MUTED_TEXT)

    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13.5, textColor=ink, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=muted)
    h_title = ParagraphStyle(
        "title", parent=base, fontName=FONT_BOLD, fontSize=20, leading=25, textColor=primary, spaceAfter=3
    )
    h_sub = ParagraphStyle("sub", parent=base, fontSize=11, leading=15, textColor=muted)
    h1 = ParagraphStyle(
        "h1", parent=base, fontName=FONT_BOLD, fontSize=14, leading=18, textColor=primary,
        spaceBefore=12, spaceAfter=6,
    )  # fmt: skip
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3
    )
    label = ParagraphStyle("label", parent=base, fontName=FONT_BOLD)
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11)
    cell_b = ParagraphStyle("cellb", parent=cell, fontName=FONT_BOLD)
    cell_head = ParagraphStyle("cellh", parent=cell, fontName=FONT_BOLD, textColor=colors.white)

    margin = 18 * mm  # plus the frame's 6 pt padding: text starts about 20 mm from the edge
    width = A4[0] - 2 * margin - 12

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(_x(text), style)

    def bullets(items: list[str], style: ParagraphStyle = base) -> ListFlowable:
        return ListFlowable(
            [ListItem(p(i, style), leftIndent=12, value="•") for i in items],
            bulletType="bullet", bulletFontName=FONT, bulletFontSize=8, leftIndent=12,
            bulletColor=accent, spaceBefore=2, spaceAfter=4,
        )  # fmt: skip

    def png(data: bytes, w: float) -> Image:
        img = Image(io.BytesIO(data))
        ratio = img.imageHeight / img.imageWidth
        img.drawWidth, img.drawHeight = w, w * ratio
        return img

    story: list[Any] = []
    # title and summary
    story.append(p(t["document_title"], small))
    story.append(Spacer(1, 2 * mm))
    story.append(p(t["title"].format(kommune=report.kommune), h_title))
    story.append(p(t["subtitle"], h_sub))
    story.append(p(t["date_line"].format(date=report.date), h_sub))
    story.append(Spacer(1, 6 * mm))
    box: list[Any] = [p(t["summary_head"], h2), p(" ".join(report.summary))]
    if report.summary_recommendations:
        box += [Spacer(1, 2 * mm), p(t["summary_recommendations"]), bullets(report.summary_recommendations)]
    summary_box = Table([[box]], colWidths=[width])
    summary_box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), light),
                ("LINEBEFORE", (0, 0), (0, -1), 3, primary),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story.append(summary_box)

    # 1. type
    story.append(p(t["type_head"], h1))
    story.append(p(t["type_intro"]))
    story.append(Spacer(1, 2 * mm))
    story.append(png(type_chart(report, "png"), width * 0.92))
    story.append(Spacer(1, 2 * mm))
    type_text = [report.type_result, report.type_summary]
    type_text += [x for x in (report.type_second, report.type_confirmed) if x]
    story.append(Paragraph(_x(type_text[0]), label))
    story.extend(p(x) for x in type_text[1:])
    strengths = [p(t["type_strengths_head"], h2), bullets(report.type_strengths)]
    learn = [p(t["type_learn_head"], h2), bullets(report.type_learn)] if report.type_learn else []
    story.append(
        Table(
            [[strengths, learn]],
            colWidths=[width / 2, width / 2],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
        )
    )

    # 2. phase
    phase_block: list[Any] = [p(t["phase_head"], h1), p(t["phase_intro"]), Spacer(1, 2 * mm)]
    steps = [[p(s.name, cell_head if s.current else cell) for s in report.phase_steps]]
    strip = Table(steps, colWidths=[width / len(report.phase_steps)] * len(report.phase_steps))
    strip_style = [
        ("BOX", (0, 0), (-1, -1), 0.6, line),
        ("INNERGRID", (0, 0), (-1, -1), 0.6, line),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    for i, s in enumerate(report.phase_steps):
        if s.current:
            strip_style.append(("BACKGROUND", (i, 0), (i, 0), primary))
    strip.setStyle(TableStyle(strip_style))
    phase_block += [strip, Spacer(1, 3 * mm)]
    phase_block.append(p(t["phase_current"].format(name=report.phase_name), label))
    if report.phase_short:
        phase_block.append(p(report.phase_short))
    phase_block.append(Paragraph(f"<b>{_x(t['phase_reason_label'])}:</b> {_x(report.phase_reason)}", base))
    story.append(CondPageBreak(60 * mm))
    story.append(KeepTogether(phase_block))

    # 3. maturity
    rows = [[p(t["maturity_col_dimension"], cell_head), p(t["maturity_col_score"], cell_head)]]
    for d in report.dimensions:
        score = "–" if d.score is None else str(d.score)
        note = t["maturity_not_judged"] if d.score is None else d.note
        text = _x(d.title)
        if note:
            text += f'<br/><font size="7" color="{MUTED_TEXT}">{_x(note)}</font>'
        rows.append([Paragraph(text, cell), p(score, cell_b if d.score is not None else cell)])
    table_w = width * 0.42
    dim_table = Table(rows, colWidths=[table_w * 0.7, table_w * 0.3])
    dim_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), primary),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, light]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, line),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    radar = png(radar_chart(report, "png"), width * 0.56)
    maturity_block = [
        p(t["maturity_head"], h1),
        p(t["maturity_intro"]),
        Spacer(1, 2 * mm),
        Table(
            [[radar, dim_table]],
            colWidths=[width * 0.58, width * 0.42],
            style=[
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    ]
    story.append(CondPageBreak(95 * mm))
    story.append(KeepTogether(maturity_block))

    # 4. recommendations: one table row per paragraph, so a recommendation may continue on the next page
    story.append(CondPageBreak(60 * mm))
    story.append(p(t["recommendations_head"], h1))
    story.append(p(t["recommendations_intro"]))
    for rec in report.recommendations:
        rows_: list[Any] = [
            p(t["recommendation_title"].format(number=rec.number, title=rec.title), h2),
            Paragraph(f"<b>{_x(t['recommendation_reason'])}:</b> {_x(rec.reason)}", base),
            Paragraph(f"<b>{_x(t['recommendation_first_step'])}:</b> {_x(rec.first_step)}", base),
            Paragraph(f"<b>{_x(t['recommendation_who_helps'])}:</b> {_x(rec.who_helps)}", base),
        ]
        if rec.sources:
            rows_.append(Paragraph(f"<b>{_x(t['recommendation_sources'])}</b>", small))
            for src in rec.sources:
                parts = [_x(src.title)]
                if src.stand:
                    parts.append(_x(t["source_stand"].format(stand=src.stand)))
                line_text = ", ".join(parts)
                if src.url:
                    line_text += f': <link href="{_x(src.url)}" color="{ACCENT}">{_x(src.url)}</link>'
                rows_.append(Paragraph("• " + line_text, small))
        card = Table([[row] for row in rows_], colWidths=[width])
        card_style = [
            ("LINEBEFORE", (0, 0), (0, -1), 2.5, accent),
            ("LEFTPADDING", (0, 0), (-1, -1), 9),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 4),
            ("NOSPLIT", (0, 0), (0, 1)),  # the title stays with the reason
        ]
        if rec.sources:
            card_style.append(("NOSPLIT", (0, 4), (0, 5)))  # the heading "Quellen" with a source
        card.setStyle(TableStyle(card_style))
        story += [Spacer(1, 3 * mm), card]

    # 5. answers
    story.append(CondPageBreak(50 * mm))
    story.append(p(t["answers_head"], h1))
    story.append(p(t["answers_intro"]))
    story.append(Spacer(1, 2 * mm))
    answer_rows = [[p(t["answers_col_question"], cell_head), p(t["answers_col_answer"], cell_head)]]
    answer_rows += [[p(q, cell_b), p(a, cell)] for q, a in report.answers]
    answers_table = Table(answer_rows, colWidths=[width * 0.38, width * 0.62], repeatRows=1)
    answers_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), primary),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, light]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, line),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(answers_table)
    if report.not_judged:
        story += [Spacer(1, 2 * mm), p(report.not_judged)]

    # method and data protection
    story.append(
        KeepTogether(
            [
                p(t["method_head"], h1),
                p(t["method"]),
                Spacer(1, 1 * mm),
                p(t["model_version"].format(version=report.model_version), small),
            ]
        )
    )
    story.append(KeepTogether([p(t["privacy_head"], h1), p(t["privacy"])]))

    footer = t["footer"].format(kommune=report.kommune, date=report.date)

    class NumberedCanvas(Canvas):
        """Draws 'Seite x von y' once the total number of pages is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setStrokeColor(line)
                self.setLineWidth(0.5)
                self.line(20 * mm, 14 * mm, A4[0] - 20 * mm, 14 * mm)
                self.setFont(FONT, 7.5)
                self.setFillColor(muted)
                self.drawString(20 * mm, 9.5 * mm, footer)
                self.drawRightString(
                    A4[0] - 20 * mm, 9.5 * mm, t["page_of"].format(page=self._pageNumber, pages=total)
                )
                super().showPage()
            super().save()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=18 * mm,
        bottomMargin=22 * mm,
        title=t["title"].format(kommune=report.kommune),
        author=t["pdf_author"],
        subject=t["pdf_subject"],
        creator=t["pdf_author"],
        lang="de-DE",
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buf.getvalue()
