"""deploy/rasa_runtime.py inside the Rasa venv: the cached replacements behave like Rasa's own.

Rasa lives in its own Python 3.10 venv, so the checks run there in a subprocess.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = textwrap.dedent(
    """
    import rasa.shared.utils.common
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event, SlotSet, UserUttered

    original_validate = RemoteAction._validate_action_result
    original_resolve = Event.resolve_by_type
    all_types = {c.type_name for c in rasa.shared.utils.common.all_subclasses(Event)}
    expected = {name: original_resolve(name) for name in all_types}

    from deploy import rasa_runtime
    rasa_runtime.install()
    rasa_runtime.install()  # idempotent
    assert RemoteAction._validate_action_result is not original_validate
    action = RemoteAction("action_x", None)

    good = {"events": [{"event": "slot", "name": "a", "value": 1}],
            "responses": [{"text": "Hallo", "buttons": []}]}
    assert action._validate_action_result(good) is True
    bad_responses = [
        {"events": "not a list"},
        {"events": [{"no_event_key": 1}]},
        {"responses": "Hallo"},
    ]
    for bad in bad_responses:
        try:
            action._validate_action_result(bad)
        except ValidationError as e:
            assert "Failed to validate Action server response" in e.message
        else:
            raise AssertionError(f"accepted {bad!r}")
        try:
            original_validate(action, bad)
        except ValidationError:
            pass
        else:
            raise AssertionError(f"Rasa's own validation accepted {bad!r}")

    for name, cls in expected.items():
        assert Event.resolve_by_type(name) is cls, name
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    try:
        Event.resolve_by_type("no_such_event")
    except ValueError as e:
        assert "no_such_event" in str(e)
    else:
        raise AssertionError("unknown event type accepted")
    from rasa.shared.core.events import deserialise_events  # Rasa's own use of the lookup
    restored = deserialise_events([{"event": "user", "text": "Hallo", "parse_data": {}},
                                   {"event": "slot", "name": "a", "value": 2}])
    assert [type(e) for e in restored] == [UserUttered, SlotSet]
    print("OK")
    """
)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_cached_validation_and_event_lookup_match_rasa() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")
