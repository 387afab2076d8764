"""Fixes to Rasa 3.6 that run inside the Rasa process (Rasa venv, Python 3.10).

Profiling a Rasa instance under the short check (py-spy, bench/load.py) showed half of its CPU
time in `jsonschema.validate`: Rasa validates every action-server response with it, and that
function checks the *schema* against the JSON-Schema meta-schema on every call before it checks
the response. A further 6 % went into `Event.resolve_by_type`, which walks all Event subclasses
for every event it deserialises from the tracker store. Both answers never change while the
process runs, so they are computed once. The response itself is still validated on every call,
with the same error message.

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


def install() -> None:
    """Replace the two hot spots in Rasa with cached equivalents (once per process)."""
    global _installed
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    _installed = True
