"""Fixes to Rasa 3.6 that run inside the Rasa process (Rasa venv, Python 3.10).

Profiling a Rasa instance under the short check (py-spy, bench/load.py) showed half of its CPU
time in `jsonschema.validate`: Rasa validates every action-server response with it, and that
function checks the *schema* against the JSON-Schema meta-schema on every call before it checks
the response. A further 6 % went into `Event.resolve_by_type`, which walks all Event subclasses
for every event it deserialises from the tracker store. Both answers never change while the
process runs, so they are computed once. The response itself is still validated on every call,
with the same error message.

Every call to the action server also carried the whole conversation: Rasa serialises all events
of the tracker into the request, so a call at turn 60 cost several times one at turn 1, and the
action server parsed them again. Our actions read slots, the latest message and, through rasa-sdk's
form validation, the events since the latest user message (the slot candidates at the end, the
input channel). `_action_call_format` therefore sends the same state with only those recent events.
With Rasa's selective domain (`enable_selective_domain` in the endpoints, `send_domain: false` for
the form validations in domain.yml) the domain, which no action of ours reads, is left out too.
And Rasa opened a new HTTP session and TCP connection for every action call; `_endpoint_session`
keeps one keep-alive session per endpoint and event loop, whose idle connections close after 2 s,
well before the action server's keep-alive of 120 s ends, so a reused connection is never one the
server is closing.

Rasa runs its model graph (NLU pipeline, policies) through dask's local scheduler for every
message and every predicted action, and derives the sub-graph for the requested targets anew
each time; `_run_graph` evaluates the same nodes in dependency order directly, with the
sub-graph cached per target list (a tenth of the CPU per turn went into dask and the sub-graph).

`install()` is idempotent; deploy/rasa_tracker_store.py calls it on import, and every endpoints
file (embedded default, tests, production) names that tracker store, so it runs wherever Rasa
serves conversations.
"""

from __future__ import annotations

import functools
from typing import Any

_installed = False


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def _event_classes_by_type() -> dict[str, Any]:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    classes: dict[str, Any] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # first match wins, as in Rasa's loop
    return classes


_event_types: dict[str, Any] = {}


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    cls = _event_types.get(type_name)
    if cls is None:
        # a class imported later (custom event) is found on the next miss
        _event_types.update(_event_classes_by_type())
        cls = _event_types.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def recent_events(tracker: Any) -> list[Any]:
    """Events from the latest user message on (all events if there is none yet)."""
    from rasa.shared.core.events import UserUttered

    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events


def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    tracker_state = tracker.current_state(EventVerbosity.NONE)
    tracker_state["events"] = [event.as_dict() for event in recent_events(tracker)]
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    else:
        # rasa-sdk 3.21 rejects a call without a domain (it expects a digest Rasa 3.6 does not
        # send); an empty one passes and the action gets the last domain it was sent, if any
        result["domain"] = {}
    return result


def _run_graph(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict:
    from rasa.engine.exceptions import GraphRunError

    run_targets = list(targets) if targets else list(self._graph_schema.target_names)
    schemas = self.__dict__.setdefault("_minimal_schemas", {})
    key = tuple(run_targets)
    if key not in schemas:
        schemas[key] = self._graph_schema.minimal_graph_schema(run_targets)
    nodes = schemas[key].nodes
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                f"names passed to the `run` method are the same as node names in the graph schema."
            )
        results[name] = (name, value)  # as dask sees an input: the (name, value) a node returns

    def output_of(name: str) -> Any:
        if name not in results:
            needed = [output_of(need) for need in nodes[name].needs.values()]
            results[name] = self._instantiated_nodes[name](*needed)
        return results[name]

    try:
        return dict(output_of(target) for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


CLIENT_KEEPALIVE_S = 2.0


class _OpenSession:
    """`async with` hands out the shared session and leaves it open afterwards."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


_rasa_endpoint_session: Any = None


def _endpoint_session(self: Any) -> Any:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _rasa_endpoint_session(self)  # outside a loop: Rasa's own one-off session
    sessions = self.__dict__.setdefault("_keepalive_sessions", {})
    session = sessions.get(loop)
    if session is None or session.closed:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S),
        )
        sessions[loop] = session
    return _OpenSession(session)


def install() -> None:
    """Replace the hot spots in Rasa with cached or leaner equivalents (once per process)."""
    global _installed, _rasa_endpoint_session
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    DaskGraphRunner.run = _run_graph

    _rasa_endpoint_session = EndpointConfig.session
    EndpointConfig.session = _endpoint_session

    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._action_call_format = _action_call_format
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    _installed = True
