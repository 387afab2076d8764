"""Property-based test of the review API from its own OpenAPI document (schemathesis).

Every documented operation gets generated parameters, with a consultant's and an admin's token
and without one. The API must never answer with a server error and its answers must match the
document. (schemathesis' pytest plugin does not work with this pytest version, so the test
drives hypothesis itself with each operation's strategy.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from bot.web import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def operations():
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app())
    ops = [result.ok() for result in schema.include(path_regex=r"^/api/").get_all_operations()]
    assert len(ops) == 5
    return ops


def test_api_has_no_server_errors_and_matches_its_document(review_env):
    for operation in operations():
        for role in ("consultant", "admin"):
            _fuzz(operation, {"Authorization": f"Bearer {review_env.tokens[role]}"})


def _fuzz(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_api_without_token_answers_401_only(review_env):
    for operation in operations():

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call()
            assert response.status_code == 401, (case.method, case.formatted_path, response.text)

        check()
