"""Rasa's SQL tracker store with `pool_pre_ping` (runs inside the Rasa process, Rasa venv).

Rasa 3.6 creates its engine without pre-ping: after a PostgreSQL restart the first request on
each pooled connection failed, Rasa treated the tracker as missing and began the conversation
anew. With pre-ping a dead pooled connection is replaced before use.

Reading and writing events use prepared SQLAlchemy Core statements instead of Rasa's ORM
queries, which it builds anew for every call (a fifth of Rasa's CPU per turn went into them).
The SQL is the same: the events of the latest session, ordered by id; new events are those
beyond the stored count, written in one transaction.
endpoints: `tracker_store: type: deploy.rasa_tracker_store.PrePingSQLTrackerStore`, in every
endpoints file (SQLite by default, PostgreSQL in production). Importing this module also installs
the CPU fixes of deploy/rasa_runtime.py, since Rasa imports it in every process that serves
conversations.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any

import rasa.core.tracker_store as rasa_tracker_store
import sqlalchemy as sa
from rasa.shared.core.events import SessionStarted
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


class PrePingSQLTrackerStore(rasa_tracker_store.SQLTrackerStore):
    """SQLTrackerStore whose PostgreSQL connections are checked before use."""

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
            "session_events": sa.select(events.c.data).where(in_latest_session).order_by(events.c.id),
            "all_events": sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id),
            "session_count": sa.select(sa.func.count()).select_from(events).where(in_latest_session),
            "insert": events.insert(),
        }

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        statement = self._statements["all_events" if fetch_events_from_all_sessions else "session_events"]
        with self.session_scope() as session:
            rows = session.connection().execute(statement, {"sender_id": sender_id}).all()
        if not self.domain or not rows:
            return None
        events = [json.loads(data) for (data,) in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

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
            session.commit()
