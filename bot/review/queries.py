"""Reading and changing assessments for the review: filters, pages, statistics, export, deletion.

Shared by the web pages, the JSON API and the CLI so that all three filter and export alike.
Lists are ordered by (started_at, id) descending, which migration 0003 indexes; the web list
pages by keyset (stable and fast at any depth), the API by limit/offset as documented.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from bot import conversations
from bot.models import DIMENSION_IDS, PHASE_IDS, TYPE_IDS
from bot.questionnaire import load_questionnaire
from bot.review import search
from bot.review.labels import BERLIN, SIZE_CLASSES, land_names
from bot.review.models import AssessmentNote
from bot.store import Assessment, get_engine, utcnow

PAGE_SIZE = 50
YES_NO = ("ja", "nein")


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _choice(value: Any, allowed) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


@dataclass(frozen=True)
class Filters:
    """The list filters; unknown values are dropped (a bookmark never fails)."""

    typ: str | None = None
    phase: str | None = None
    bundesland: str | None = None
    kommune_art: str | None = None
    groesse: str | None = None
    kanal: str | None = None
    von: date | None = None
    bis: date | None = None
    abgeschlossen: str | None = None
    uebergabe: str | None = None
    bestaetigt: str | None = None
    loeschwunsch: str | None = None
    q: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Filters:
        confirmed = (*TYPE_IDS, "ja", "nein")
        return cls(
            typ=_choice(params.get("typ"), TYPE_IDS),
            phase=_choice(params.get("phase"), PHASE_IDS),
            bundesland=_choice(params.get("bundesland"), land_names()),
            kommune_art=_choice(params.get("kommune_art"), ("gemeinde", "stadt", "landkreis")),
            groesse=_choice(params.get("groesse"), [s[0] for s in SIZE_CLASSES]),
            kanal=(str(params.get("kanal"))[:64] or None) if params.get("kanal") else None,
            von=_parse_date(params.get("von") or params.get("from")),
            bis=_parse_date(params.get("bis") or params.get("to")),
            abgeschlossen=_choice(params.get("abgeschlossen"), YES_NO),
            uebergabe=_choice(params.get("uebergabe"), YES_NO),
            bestaetigt=_choice(params.get("bestaetigt"), confirmed),
            loeschwunsch=_choice(params.get("loeschwunsch"), YES_NO),
            q=(str(params.get("q")).strip()[:200] or None) if params.get("q") else None,
        )

    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}

    def query_string(self, **extra: Any) -> str:
        values = {**self.params(), **{k: str(v) for k, v in extra.items() if v is not None}}
        return urlencode(values)

    @property
    def active(self) -> bool:
        return bool(self.params())

    def conditions(self, dialect: str) -> list:
        a = Assessment
        cond: list = []
        for name, col in (
            ("typ", a.typ),
            ("phase", a.phase),
            ("bundesland", a.bundesland),
            ("kommune_art", a.kommune_art),
            ("kanal", a.channel),
        ):
            value = getattr(self, name)
            if value:
                cond.append(col == value)
        if self.groesse:
            _id, _label, low, high = next(s for s in SIZE_CLASSES if s[0] == self.groesse)
            if low is not None:
                cond.append(a.einwohner >= low)
            if high is not None:
                cond.append(a.einwohner < high)
        if self.von:
            cond.append(a.started_at >= day_start(self.von))
        if self.bis and self.bis < date.max:  # the last day of the calendar has no day after it
            cond.append(a.started_at < day_start(self.bis + timedelta(days=1)))
        for flag, col in (
            (self.abgeschlossen, a.completed_at),
            (self.uebergabe, a.handover_requested_at),
            (self.loeschwunsch, a.deletion_requested_at),
        ):
            if flag == "ja":
                cond.append(col.is_not(None))
            elif flag == "nein":
                cond.append(col.is_(None))
        if self.bestaetigt == "ja":
            cond.append(a.confirmed_typ.is_not(None))
        elif self.bestaetigt == "nein":
            cond.append(a.confirmed_typ.is_(None))
        elif self.bestaetigt:
            cond.append(a.confirmed_typ == self.bestaetigt)
        if self.q:
            found = search.matching_senders(self.q, dialect)
            if found is not None:
                cond.append(found)
        return cond


def day_start(day: date) -> datetime:
    """Midnight in Berlin, in UTC: SQLite stores UTC without zone and ignores tzinfo in parameters.

    Days at the ends of the calendar (0001-01-01, 9999-12-31) have no UTC midnight; they clamp.
    """
    try:
        return datetime.combine(day, time(), tzinfo=BERLIN).astimezone(UTC)
    except OverflowError:
        return (datetime.min if day.year == 1 else datetime.max).replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _dialect(engine: Engine) -> str:
    return engine.dialect.name


LIST_COLUMNS = (
    Assessment.id,
    Assessment.sender_id,
    Assessment.channel,
    Assessment.started_at,
    Assessment.completed_at,
    Assessment.kommune_art,
    Assessment.bundesland,
    Assessment.einwohner,
    Assessment.typ,
    Assessment.confirmed_typ,
    Assessment.phase,
    Assessment.handover_requested_at,
    Assessment.deletion_requested_at,
    Assessment.answers,
)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    older: str | None  # cursor for the next (older) page
    newer: str | None  # cursor for the previous (newer) page


def _cursor(row: Mapping[str, Any]) -> str:
    return f"{_utc(row['started_at']).isoformat()}~{row['id']}"


def _parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value or "~" not in value:
        return None
    stamp, _, ident = value.partition("~")
    try:
        return _utc(datetime.fromisoformat(stamp)), int(ident)
    except ValueError:
        return None


def list_page(
    filters: Filters,
    older_than: str | None = None,
    newer_than: str | None = None,
    size: int = PAGE_SIZE,
    engine: Engine | None = None,
) -> Page:
    """One page of the list, newest first, by keyset on (started_at, id)."""
    engine = engine or get_engine()
    cond = filters.conditions(_dialect(engine))
    a = Assessment
    query = select(*LIST_COLUMNS).where(*cond)
    before, after = _parse_cursor(older_than), _parse_cursor(newer_than)
    if after:
        stamp, ident = after
        query = query.where(or_(a.started_at > stamp, and_(a.started_at == stamp, a.id > ident)))
        query = query.order_by(a.started_at.asc(), a.id.asc())
    else:
        if before:
            stamp, ident = before
            query = query.where(or_(a.started_at < stamp, and_(a.started_at == stamp, a.id < ident)))
        query = query.order_by(a.started_at.desc(), a.id.desc())
    with Session(engine) as session:
        rows = [dict(r._mapping) for r in session.execute(query.limit(size + 1))]
        total = session.scalar(select(func.count(a.id)).where(*cond)) or 0
    more = len(rows) > size
    rows = rows[:size]
    if after:
        rows.reverse()
        older = _cursor(rows[-1]) if rows else None
        newer = _cursor(rows[0]) if rows and more else None
    else:
        older = _cursor(rows[-1]) if rows and more else None
        newer = _cursor(rows[0]) if rows and before else None
    for row in rows:
        row["kommune_name"] = (row.pop("answers") or {}).get("kommune_name")
    return Page(rows, total, older, newer)


def api_list(
    filters: Filters, limit: int, offset: int, engine: Engine | None = None
) -> tuple[list[dict[str, Any]], int]:
    engine = engine or get_engine()
    cond = filters.conditions(_dialect(engine))
    with Session(engine) as session:
        total = session.scalar(select(func.count(Assessment.id)).where(*cond)) or 0
        rows = session.scalars(
            select(Assessment)
            .where(*cond)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [r.to_dict() for r in rows], total


def channels(engine: Engine | None = None) -> list[str]:
    with Session(engine or get_engine()) as session:
        return [
            c for c in session.scalars(select(Assessment.channel).distinct().order_by(Assessment.channel))
        ]


# --------------------------------------------------------------------------- one assessment


def get_row(sender_id: str, engine: Engine | None = None) -> dict[str, Any] | None:
    with Session(engine or get_engine()) as session:
        row = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
        return row.to_dict() if row else None


def answers_table(answers: dict[str, Any]) -> list[dict[str, str]]:
    """(question id, title, answer label) in questionnaire order, for the answered questions."""
    qn = load_questionnaire()
    rows = []
    for qid in qn.ids:
        if qid not in answers:
            continue
        q = qn.get(qid)
        try:
            label = q.label_of(answers[qid])
        except (KeyError, ValueError, TypeError, AssertionError):
            label = str(answers[qid])  # an id the current questionnaire no longer has
        rows.append({"id": qid, "title": q.title, "label": label})
    for qid in sorted(set(answers) - set(qn.ids)):
        rows.append({"id": qid, "title": qid, "label": str(answers[qid])})
    return rows


def confirm_type(sender_id: str, typ: str | None, engine: Engine | None = None) -> bool:
    """Set (or clear) the consultant's type; it trains the model (`train-typology --from-db`)."""
    if typ is not None and typ not in TYPE_IDS:
        raise ValueError(typ)
    with Session(engine or get_engine()) as session, session.begin():
        row = session.scalar(select(Assessment).where(Assessment.sender_id == sender_id))
        if row is None:
            return False
        row.confirmed_typ = typ
        return True


def add_note(sender_id: str, author: str, note: str, engine: Engine | None = None) -> bool:
    with Session(engine or get_engine()) as session, session.begin():
        if session.scalar(select(Assessment.id).where(Assessment.sender_id == sender_id)) is None:
            return False
        session.add(AssessmentNote(sender_id=sender_id, author=author, text=note, created_at=utcnow()))
        return True


def notes(sender_id: str, engine: Engine | None = None) -> list[AssessmentNote]:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(AssessmentNote)
                .where(AssessmentNote.sender_id == sender_id)
                .order_by(AssessmentNote.created_at, AssessmentNote.id)
            )
        )


def forget(sender_id: str, tracker: Engine | None = None, engine: Engine | None = None) -> dict[str, int]:
    """Delete transcript, assessment, search text and notes of one conversation."""
    return conversations.forget(sender_id, tracker=tracker, advisor=engine)


# --------------------------------------------------------------------------- retention


def retention_candidates(
    days: int, engine: Engine | None = None, tracker: Engine | None = None, now: datetime | None = None
) -> list[str]:
    """Conversations whose last activity is older than `days`.

    Last activity is the later of the assessment's updated_at and the conversation's last tracker
    event, so a conversation that is still going on (e.g. questions after the result) is kept.
    Conversations that never produced an assessment count by their last event alone.
    """
    engine = engine or get_engine()
    tracker = tracker or conversations.tracker_engine()
    cutoff = (now or utcnow()) - timedelta(days=days)
    last_event: dict[str, float] = {}
    from sqlalchemy import inspect

    if inspect(tracker).has_table("events"):
        with tracker.connect() as conn:
            last_event = dict(
                conn.execute(text("SELECT sender_id, MAX(timestamp) FROM events GROUP BY sender_id")).all()
            )
    with Session(engine) as session:
        updated = dict(session.execute(select(Assessment.sender_id, Assessment.updated_at)).all())
    limit = cutoff.timestamp()
    old: list[str] = []
    for sender_id in sorted(set(updated) | set(last_event)):
        stamps = [last_event.get(sender_id)]
        if sender_id in updated and updated[sender_id] is not None:
            value = updated[sender_id]
            stamps.append((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())
        newest = max((s for s in stamps if s is not None), default=None)
        if newest is not None and newest < limit:
            old.append(sender_id)
    return old


def apply_retention(
    days: int,
    dry_run: bool = False,
    engine: Engine | None = None,
    tracker: Engine | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Delete every conversation older than the retention period; returns what was deleted."""
    deleted = []
    for sender_id in retention_candidates(days, engine, tracker, now):
        counts = {"events": 0, "assessments": 0} if dry_run else forget(sender_id, tracker, engine)
        deleted.append({"sender_id": sender_id, **counts})
    return deleted


# --------------------------------------------------------------------------- statistics


@dataclass
class Statistics:
    total: int
    completed: int
    by_land: list[tuple[str, list[int]]]
    by_size: list[tuple[str, list[int]]]
    phases: list[tuple[str, int]]
    maturity: list[tuple[str, float, float, float, int]]
    recommendations: list[tuple[str, str, int]]


def _size_case():
    whens = []
    for size_id, _label, low, high in SIZE_CLASSES:
        parts = []
        if low is not None:
            parts.append(Assessment.einwohner >= low)
        if high is not None:
            parts.append(Assessment.einwohner < high)
        whens.append((and_(*parts), size_id))
    return case(*whens, else_=None)


def statistics_for(filters: Filters, engine: Engine | None = None) -> Statistics:
    """Counts by SQL grouping; maturity and recommendations from the JSON columns in Python."""
    engine = engine or get_engine()
    cond = filters.conditions(_dialect(engine))
    a = Assessment
    effective = func.coalesce(a.confirmed_typ, a.typ)
    with Session(engine) as session:
        total = session.scalar(select(func.count(a.id)).where(*cond)) or 0
        completed = session.scalar(select(func.count(a.id)).where(*cond, a.completed_at.is_not(None))) or 0
        land_counts = session.execute(
            select(a.bundesland, effective, func.count())
            .where(*cond, effective.is_not(None))
            .group_by(a.bundesland, effective)
        ).all()
        size = _size_case().label("size")
        size_counts = session.execute(
            select(size, effective, func.count())
            .where(*cond, effective.is_not(None))
            .group_by(size, effective)
        ).all()
        phase_counts = dict(
            session.execute(
                select(a.phase, func.count()).where(*cond, a.phase.is_not(None)).group_by(a.phase)
            ).all()
        )
        dims: dict[str, list[int]] = {d: [] for d in DIMENSION_IDS}
        recs: Counter[str] = Counter()
        titles: dict[str, str] = {}
        result = session.execute(
            select(a.reifegrad, a.recommendations)
            .where(*cond, a.completed_at.is_not(None))
            .execution_options(yield_per=1000)
        )
        for reifegrad, recommendations in result:
            for dim, value in (reifegrad or {}).items():
                if dim in dims and isinstance(value, int | float):
                    dims[dim].append(value)
            for rec in recommendations or []:
                recs[rec.get("id")] += 1
                titles.setdefault(rec.get("id"), rec.get("title") or rec.get("id"))

    def table(counts) -> dict[str | None, list[int]]:
        out: dict[str | None, list[int]] = {}
        for key, typ, n in counts:
            if typ in TYPE_IDS:
                out.setdefault(key, [0] * len(TYPE_IDS))[TYPE_IDS.index(typ)] += n
        return out

    lands = table(land_counts)
    sizes = table(size_counts)
    return Statistics(
        total=total,
        completed=completed,
        by_land=[(k, lands[k]) for k in [*land_names(), None] if k in lands],
        by_size=[(k, sizes[k]) for k in [*(s[0] for s in SIZE_CLASSES), None] if k in sizes],
        phases=[(p, phase_counts.get(p, 0)) for p in PHASE_IDS],
        maturity=[(d, min(v), statistics.median(v), max(v), len(v)) for d, v in dims.items() if v],
        recommendations=[(rid, titles[rid], n) for rid, n in recs.most_common(10) if rid],
    )


# --------------------------------------------------------------------------- export

BASE_COLUMNS = (
    "sender_id",
    "channel",
    "mode",
    "started_at",
    "updated_at",
    "completed_at",
    "typ",
    *(f"typ_scores.{t}" for t in TYPE_IDS),
    "phase",
    "phase_reason",
    *(f"reifegrad.{d}" for d in DIMENSION_IDS),
    "recommendations",
    "model_version",
    "confirmed_typ",
    "handover_requested_at",
    "handover_contact",
    "deletion_requested_at",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_columns() -> list[str]:
    return [*BASE_COLUMNS, *load_questionnaire().ids]


def flat_row(assessment: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: nested fields as dotted columns, answers by question id, lists joined with '|'."""
    row: dict[str, Any] = {k: assessment.get(k) for k in BASE_COLUMNS if "." not in k}
    for t in TYPE_IDS:
        row[f"typ_scores.{t}"] = (assessment.get("typ_scores") or {}).get(t)
    for d in DIMENSION_IDS:
        row[f"reifegrad.{d}"] = (assessment.get("reifegrad") or {}).get(d)
    row["recommendations"] = "|".join(r.get("id", "") for r in assessment.get("recommendations") or [])
    for qid, value in (assessment.get("answers") or {}).items():
        row[qid] = "|".join(map(str, value)) if isinstance(value, list) else value
    return row


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in free text (CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def iter_assessments(filters: Filters, engine: Engine | None = None) -> Iterator[dict[str, Any]]:
    engine = engine or get_engine()
    cond = filters.conditions(_dialect(engine))
    with Session(engine) as session:
        rows = session.scalars(
            select(Assessment)
            .where(*cond)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
            .execution_options(yield_per=500)
        )
        for row in rows:
            yield row.to_dict()


def export_csv(filters: Filters, engine: Engine | None = None) -> Iterator[str]:
    """CSV in UTF-8 with BOM (spreadsheet programs then read the umlauts), comma-separated."""
    columns = export_columns()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writeheader()
    for n, assessment in enumerate(iter_assessments(filters, engine), 1):
        writer.writerow({k: _cell(v) for k, v in flat_row(assessment).items()})
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_json(filters: Filters, engine: Engine | None = None) -> Iterator[str]:
    """A JSON array of stored assessments (field names of assessment.md), streamed."""
    parts = ["["]
    for n, assessment in enumerate(iter_assessments(filters, engine)):
        parts.append(("," if n else "") + "\n" + json.dumps(assessment, ensure_ascii=False))
        if len(parts) >= 200:  # fewer, larger chunks: each one is a separate send
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)


def count(filters: Filters, engine: Engine | None = None) -> int:
    engine = engine or get_engine()
    with Session(engine) as session:
        return (
            session.scalar(select(func.count(Assessment.id)).where(*filters.conditions(_dialect(engine))))
            or 0
        )


def without(filters: Filters, *names: str) -> Filters:
    return replace(filters, **{n: None for n in names if n in {f.name for f in fields(Filters)}})
