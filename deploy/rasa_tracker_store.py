"""Rasa's SQL tracker store with `pool_pre_ping` (runs inside the Rasa process, Rasa venv).

Rasa 3.6 creates its engine without pre-ping: after a PostgreSQL restart the first request on
each pooled connection failed, Rasa treated the tracker as missing and began the conversation
anew. With pre-ping a dead pooled connection is replaced before use.

Reading and writing events use prepared SQLAlchemy Core statements instead of Rasa's ORM
queries, which it builds anew for every call (a fifth of Rasa's CPU per turn went into them).
The SQL is the same: the events of the latest session, ordered by id; new events are those
beyond the stored count, written in one transaction.
Rasa rebuilt the tracker from all events of the session for every message (JSON decoding and
replaying each event): at turn 60 of a full assessment (about 490 events) that was a third of the
turn's CPU. The store therefore keeps the trackers it last saved or read (an LRU of
`KL_TRACKER_CACHE_SIZE` conversations, 256 by default, 0 switches it off) and checks with one
aggregate query (count, highest id, latest timestamp of the session's rows) whether the database
still holds exactly what the cached tracker holds. Events another Rasa instance added are read and
applied on top (the lock store lets only one instance work on a conversation at a time); anything
else (deleted events, a new session, a cached tracker changed but not saved after a failed turn)
rebuilds the tracker from the database as before.

endpoints: `tracker_store: type: deploy.rasa_tracker_store.PrePingSQLTrackerStore`, in every
endpoints file (SQLite by default, PostgreSQL in production). Importing this module also installs
the CPU fixes of deploy/rasa_runtime.py, since Rasa imports it in every process that serves
conversations.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import os
from dataclasses import dataclass
from typing import Any

import rasa.core.tracker_store as rasa_tracker_store
import sqlalchemy as sa
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from deploy import rasa_runtime

rasa_runtime.install()

_rasa_engine_kwargs = rasa_tracker_store.create_engine_kwargs


def _engine_kwargs(url: Any) -> dict[str, Any]:
    kwargs = _rasa_engine_kwargs(url)
    if rasa_tracker_store.is_postgresql_url(url):
        kwargs["pool_pre_ping"] = True
    return kwargs


# SQLTrackerStore.__init__ looks the function up in its module when it creates the engine
rasa_tracker_store.create_engine_kwargs = _engine_kwargs


DEFAULT_CACHE_SIZE = 256


@dataclass
class _CachedTracker:
    tracker: Any
    fingerprint: tuple[Any, ...]  # (count, highest id, latest timestamp) of the session's rows
    length: int  # len(tracker.events) when it matched the database


class PrePingSQLTrackerStore(rasa_tracker_store.SQLTrackerStore):
    """SQLTrackerStore whose PostgreSQL connections are checked before use, with a tracker cache."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_size = int(os.environ.get("KL_TRACKER_CACHE_SIZE", DEFAULT_CACHE_SIZE))
        self._cache: collections.OrderedDict[str, _CachedTracker] = collections.OrderedDict()

    @functools.cached_property
    def _statements(self) -> dict[str, Any]:
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_latest_session = sa.and_(
            events.c.sender_id == sender,
            sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
        )
        return {
            "session_rows": sa.select(events.c.id, events.c.timestamp, events.c.data)
            .where(in_latest_session)
            .order_by(events.c.id),
            "session_rows_after": sa.select(events.c.id, events.c.timestamp, events.c.data)
            .where(in_latest_session, events.c.id > sa.bindparam("after_id"))
            .order_by(events.c.id),
            "fingerprint": sa.select(
                sa.func.count(), sa.func.max(events.c.id), sa.func.max(events.c.timestamp)
            ).where(in_latest_session),
            "all_events": sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id),
            "session_count": sa.select(sa.func.count()).select_from(events).where(in_latest_session),
            "insert": events.insert(),
        }

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        if fetch_events_from_all_sessions:
            with self.session_scope() as session:
                query = self._statements["all_events"]
                rows = session.connection().execute(query, {"sender_id": sender_id}).all()
            return self._tracker_from(sender_id, [data for (data,) in rows])
        with self.session_scope() as session:
            connection = session.connection()
            cached = self._cached(sender_id)
            if cached is not None:
                tracker = self._refreshed(connection, sender_id, cached)
                if tracker is not None:
                    return tracker
            rows = connection.execute(self._statements["session_rows"], {"sender_id": sender_id}).all()
        tracker = self._tracker_from(sender_id, [data for (_, _, data) in rows])
        if tracker is not None and rows:
            latest = max((r[1] for r in rows if r[1] is not None), default=None)
            self._remember(sender_id, tracker, (len(rows), rows[-1][0], latest))
        return tracker

    def _tracker_from(self, sender_id: str, serialised: list[str]) -> Any:
        if not self.domain or not serialised:
            return None
        events = [json.loads(data) for data in serialised]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    # --- tracker cache ---------------------------------------------------------------------
    def _cache_on(self) -> bool:
        # with a capped event history the length check below could not see a change
        return self.cache_size > 0 and self.max_event_history is None and self.domain is not None

    def _cached(self, sender_id: str) -> _CachedTracker | None:
        cached = self._cache.get(sender_id) if self._cache_on() else None
        if cached is not None and len(cached.tracker.events) != cached.length:
            # changed since it matched the database and not saved (a turn that failed)
            del self._cache[sender_id]
            return None
        return cached

    def _refreshed(self, connection: Any, sender_id: str, cached: _CachedTracker) -> Any:
        """The cached tracker if the database holds the same events, or the same plus newer ones."""
        query = self._statements["fingerprint"]
        fingerprint = tuple(connection.execute(query, {"sender_id": sender_id}).one())
        if fingerprint == cached.fingerprint:
            self._cache.move_to_end(sender_id)
            return cached.tracker
        count, _, _ = cached.fingerprint
        if fingerprint[0] > count:
            rows = connection.execute(
                self._statements["session_rows_after"],
                {"sender_id": sender_id, "after_id": cached.fingerprint[1]},
            ).all()
            # only appended rows (another instance's turn); deletions or a new session rebuild
            if count + len(rows) == fingerprint[0] and rows[-1][0] == fingerprint[1]:
                for _, _, data in rows:
                    cached.tracker.update(Event.from_parameters(json.loads(data)))
                self._remember(sender_id, cached.tracker, fingerprint)
                return cached.tracker
        del self._cache[sender_id]
        return None

    def _remember(self, sender_id: str, tracker: Any, fingerprint: tuple[Any, ...]) -> None:
        if not self._cache_on():
            return
        self._cache[sender_id] = _CachedTracker(tracker, fingerprint, len(tracker.events))
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def save(self, tracker: Any) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            connection = session.connection()
            count = self._statements["session_count"]
            stored = connection.execute(count, {"sender_id": tracker.sender_id}).scalar()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                connection.execute(self._statements["insert"], rows)
            fingerprint = None
            if self._cache_on():
                query = self._statements["fingerprint"]
                fingerprint = tuple(connection.execute(query, {"sender_id": tracker.sender_id}).one())
            session.commit()
        if fingerprint is not None:
            if fingerprint[0] == len(tracker.events):
                self._remember(tracker.sender_id, tracker, fingerprint)
            else:  # the tracker holds more than the latest session (a session began in this turn)
                self._cache.pop(tracker.sender_id, None)
