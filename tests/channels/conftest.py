"""Fixtures of the channel tests: a Bot Framework stand-in and one real stack that loads the
Teams channel configured against it (the Matrix connector talks to the same stack over REST)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.channels.botframework_standin import BotFrameworkStandIn
from tests.integration.stack import Stack, running_stack


@pytest.fixture(scope="session")
def botframework() -> BotFrameworkStandIn:
    standin = BotFrameworkStandIn(
        app_id="11111111-2222-3333-4444-555555555555",
        app_password="test-secret-not-real",
        tenant_id="kommune-test-tenant",
    )
    server, thread = standin.serve()
    yield standin
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def channel_stack(tmp_path_factory, botframework) -> Stack:
    tmp = tmp_path_factory.mktemp("channel-stack")
    credentials = tmp / "credentials.yml"
    credentials.write_text(
        json.dumps(  # JSON is YAML; a test-only app registration, nothing secret
            {
                "rest": None,
                "channels.teams.TeamsInput": {
                    "app_id": botframework.app_id,
                    "app_password": botframework.app_password,
                    "tenant_id": botframework.tenant_id,
                    "login_base_url": botframework.base_url,
                    "openid_metadata_url": botframework.metadata_url,
                },
            }
        )
    )
    with running_stack(tmp, credentials=credentials) as running:
        yield running


@pytest.fixture()
def stored(channel_stack):
    from bot import store

    engine = store.get_engine(channel_stack.database_url)

    def read(sender: str) -> dict[str, Any] | None:
        return store.get_assessment(sender, engine=engine)

    return read
