"""Rasa's SQL tracker store with `pool_pre_ping` (runs inside the Rasa process, Rasa venv).

Rasa 3.6 creates its engine without pre-ping: after a PostgreSQL restart the first request on
each pooled connection failed, Rasa treated the tracker as missing and began the conversation
anew. With pre-ping a dead pooled connection is replaced before use.
endpoints: `tracker_store: type: deploy.rasa_tracker_store.PrePingSQLTrackerStore`, in every
endpoints file (SQLite by default, PostgreSQL in production). Importing this module also installs
the CPU fixes of deploy/rasa_runtime.py, since Rasa imports it in every process that serves
conversations.
"""

from __future__ import annotations

from typing import Any

import rasa.core.tracker_store as rasa_tracker_store

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
