"""Fixtures of the integration tests: one real stack per test session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture()
def stored(stack):
    """Read the stored assessment of a sender from the stack's database."""
    from bot import store

    engine = store.get_engine(stack.database_url)

    def read(sender: str) -> dict[str, Any] | None:
        return store.get_assessment(sender, engine=engine)

    return read
