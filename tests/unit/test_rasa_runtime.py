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


ACTION_CALL = textwrap.dedent(
    """
    import json
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    domain = Domain.from_yaml('''
    version: "3.1"
    intents: [inform]
    slots:
      einwohner: {type: any, mappings: [{type: custom}]}
      bundesland: {type: any, mappings: [{type: custom}]}
      requested_slot: {type: any, mappings: [{type: custom}]}
    actions: [validate_assessment_form: {send_domain: false}, action_needs_domain: {send_domain: true}]
    ''')
    events = [ActionExecuted("action_listen")]
    for turn in range(40):  # a long conversation before the latest message
        events += [UserUttered(f"Antwort {turn}", {"name": "inform", "confidence": 0.9},
                               input_channel="rest"),
                   SlotSet("einwohner", 1000 + turn), BotUttered(f"Danke {turn}"),
                   ActionExecuted("action_listen")]
    events += [UserUttered("Bayern, 9.500 Einwohner", {"name": "inform", "confidence": 0.9},
                           input_channel="matrix"),
               SlotSet("bundesland", "BY"), SlotSet("einwohner", 9500)]
    tracker = DialogueStateTracker.from_events("s1", events, domain.slots)
    selective = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    plain = EndpointConfig("http://127.0.0.1:1/webhook")

    rasa_calls = {
        "selective": RemoteAction("validate_assessment_form", selective)._action_call_format(tracker, domain),
        "needs_domain": RemoteAction("action_needs_domain", selective)._action_call_format(tracker, domain),
        "plain": RemoteAction("validate_assessment_form", plain)._action_call_format(tracker, domain),
    }
    from deploy import rasa_runtime
    rasa_runtime.install()
    ours = {
        "selective": RemoteAction("validate_assessment_form", selective)._action_call_format(tracker, domain),
        "needs_domain": RemoteAction("action_needs_domain", selective)._action_call_format(tracker, domain),
        "plain": RemoteAction("validate_assessment_form", plain)._action_call_format(tracker, domain),
    }
    print(json.dumps({"rasa": rasa_calls, "ours": ours}))
    """
)


def run_in_rasa_venv(script: str, *args: str) -> str:
    """Runs a check script with the Rasa venv's Python; its last line of output."""
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_action_server_sees_the_same_conversation_with_only_recent_events() -> None:
    import json

    from rasa_sdk import Tracker

    calls = json.loads(run_in_rasa_venv(ACTION_CALL))
    rasa_call, our_call = calls["rasa"]["plain"], calls["ours"]["plain"]
    assert len(rasa_call["tracker"]["events"]) == 1 + 40 * 4 + 3
    assert [e["event"] for e in our_call["tracker"]["events"]] == ["user", "slot", "slot"]
    full, recent = Tracker.from_dict(rasa_call["tracker"]), Tracker.from_dict(our_call["tracker"])
    # what an action reads: slots, the latest message, the slot candidates to validate, the channel
    assert recent.current_slot_values() == full.current_slot_values()
    assert recent.current_slot_values()["einwohner"] == 9500
    assert recent.latest_message == full.latest_message
    assert recent.latest_message["text"] == "Bayern, 9.500 Einwohner"
    assert recent.slots_to_validate() == full.slots_to_validate() == {"bundesland": "BY", "einwohner": 9500}
    assert recent.get_latest_input_channel() == full.get_latest_input_channel() == "matrix"
    assert {k: v for k, v in our_call.items() if k != "tracker"} == {
        k: v for k, v in rasa_call.items() if k != "tracker"
    }
    # selective domain: Rasa leaves the key out (domain.yml: send_domain false), which rasa-sdk 3.21
    # rejects; we send an empty one
    assert "domain" not in calls["rasa"]["selective"]
    assert calls["ours"]["selective"]["domain"] == {}
    assert calls["ours"]["needs_domain"]["domain"] == calls["rasa"]["needs_domain"]["domain"]
    assert "slots" in calls["ours"]["needs_domain"]["domain"]


TRACKER_STORE = textwrap.dedent(
    """
    import asyncio, json, sys
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    from deploy.rasa_tracker_store import PrePingSQLTrackerStore

    domain = Domain.from_yaml('''
    version: "3.1"
    intents: [inform]
    slots:
      einwohner: {type: any, mappings: [{type: custom}]}
    ''')
    db = sys.argv[1]
    ours = PrePingSQLTrackerStore(domain, dialect="sqlite", db=db)
    rasa = SQLTrackerStore(domain, dialect="sqlite", db=db)

    def turn(n, t):
        return [UserUttered(f"Antwort {n}", {"name": "inform", "confidence": 0.9}, timestamp=t),
                SlotSet("einwohner", n, timestamp=t), ActionExecuted("action_listen", timestamp=t)]

    async def states(method):
        return [(await getattr(s, method)("s1")).current_state(EventVerbosity.ALL) for s in (ours, rasa)]

    async def main():
        out = {}
        tracker = DialogueStateTracker.from_events("s1", turn(1, 1.0), domain.slots)
        await ours.save(tracker)
        for event in turn(2, 2.0):
            tracker.update(event)
        await ours.save(tracker)  # only the three new events are added
        await ours.save(tracker)  # nothing new
        out["after_first_session"] = await states("retrieve")
        tracker.update(SessionStarted(timestamp=3.0))
        for event in turn(3, 3.5):
            tracker.update(event)
        await rasa.save(tracker)  # the session written by Rasa's own store, read by ours
        out["latest_session"] = await states("retrieve")
        out["all_sessions"] = await states("retrieve_full_tracker")
        out["stored_rows"] = len((await rasa.retrieve_full_tracker("s1")).events)
        out["missing"] = [await s.retrieve("nobody") for s in (ours, rasa)]
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_tracker_store_reads_and_writes_like_rasas_own(tmp_path: Path) -> None:
    import json

    out = json.loads(run_in_rasa_venv(TRACKER_STORE, str(tmp_path / "tracker.db")))
    for key in ("after_first_session", "latest_session", "all_sessions"):
        ours, rasa = out[key]
        assert ours == rasa, key
    first, latest, every = (out[k][0] for k in ("after_first_session", "latest_session", "all_sessions"))
    assert [e.get("text") for e in first["events"] if e["event"] == "user"] == ["Antwort 1", "Antwort 2"]
    assert first["slots"]["einwohner"] == 2
    # the latest session starts at SessionStarted: its events only, the slot set there
    assert [e.get("text") for e in latest["events"] if e["event"] == "user"] == ["Antwort 3"]
    assert len(every["events"]) == 3 + 3 + 1 + 3 == out["stored_rows"]
    assert out["missing"] == [None, None]


KEEPALIVE = textwrap.dedent(
    """
    import asyncio
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig
    from deploy import rasa_runtime
    rasa_runtime.install()

    async def main():
        connections = []
        async def handle(request):
            connections.append(request.transport)
            return web.json_response({"events": []})
        app = web.Application()
        app.router.add_post("/webhook", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        answers = [await endpoint.request(json={"n": n}, method="post") for n in range(5)]
        reused = len({id(t) for t in connections})
        await asyncio.sleep(rasa_runtime.CLIENT_KEEPALIVE_S + 1)
        await endpoint.request(json={"n": 5}, method="post")
        after_idle = len({id(t) for t in connections})
        await runner.cleanup()  # the action server goes away ...
        await asyncio.sleep(0.5)
        try:
            await endpoint.request(json={"n": 6}, method="post")
            down = "answered"
        except Exception as e:
            down = type(e).__name__
        runner = web.AppRunner(app)  # ... and comes back on the same port
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        back = await endpoint.request(json={"n": 7}, method="post")
        await runner.cleanup()
        print(answers == [{"events": []}] * 5, reused, after_idle, down, back == {"events": []})

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_action_calls_reuse_one_connection_and_drop_it_when_idle() -> None:
    assert run_in_rasa_venv(KEEPALIVE) == "True 1 2 ClientConnectorError True"


GRAPH_RUNNER = textwrap.dedent(
    """
    import asyncio, json
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore

    MESSAGES = ["Guten Tag", "ja, gerne", "Gemeinde", "wir sind eine Stadt mit 48.000 Einwohnern",
                "Was bedeutet FIM?", "Warum fragen Sie das?", "Hilfe", "asdfgh", "tschüss"]

    async def conversation(agent, sender):
        parses = [await agent.parse_message(text) for text in MESSAGES]
        replies = []
        for text in MESSAGES:  # without an action server: custom actions fail the same way
            reply = await agent.handle_message(UserMessage(text, sender_id=sender))
            replies.append([m.get("text") for m in reply or []])
        tracker = await agent.tracker_store.retrieve(sender)
        actions = [e.action_name for e in tracker.events if e.type_name == "action"]
        intents = [(p["intent"]["name"], round(p["intent"]["confidence"], 5)) for p in parses]
        return {"intents": intents, "actions": actions, "replies": replies}

    async def main():
        agent = Agent.load("models/rasa/current.tar.gz")
        agent.tracker_store = InMemoryTrackerStore(agent.domain)
        agent.processor.tracker_store = agent.tracker_store
        before = await conversation(agent, "dask")
        from deploy import rasa_runtime
        rasa_runtime.install()
        after = await conversation(agent, "direct")
        print(json.dumps({"before": before, "after": after}))

    asyncio.run(main())
    """
)


@pytest.mark.skipif(
    not (RASA_PYTHON.exists() and (ROOT / "models/rasa/current.tar.gz").exists()),
    reason="Rasa venv or model missing: run `make setup`",
)
def test_direct_graph_runner_gives_the_same_parses_and_actions_as_dask() -> None:
    import json

    out = json.loads(run_in_rasa_venv(GRAPH_RUNNER))
    assert out["after"] == out["before"]
    assert out["after"]["intents"][0][0] == "greet"
    assert len(out["after"]["actions"]) > len(out["after"]["intents"])
    assert any(out["after"]["replies"]), "no response at all"


TRACKER_CACHE = textwrap.dedent(
    """
    import asyncio, json, os, sqlite3, sys
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import EventVerbosity
    from deploy.rasa_tracker_store import PrePingSQLTrackerStore

    domain = Domain.from_yaml('''
    version: "3.1"
    intents: [inform]
    slots:
      einwohner: {type: any, mappings: [{type: custom}]}
    ''')
    db = sys.argv[1]
    a = PrePingSQLTrackerStore(domain, dialect="sqlite", db=db)  # two Rasa instances ...
    b = PrePingSQLTrackerStore(domain, dialect="sqlite", db=db)  # ... on one database
    os.environ["KL_TRACKER_CACHE_SIZE"] = "0"
    uncached = PrePingSQLTrackerStore(domain, dialect="sqlite", db=db)
    t = [10.0]

    def turn(tracker, n):
        for event in (UserUttered(f"Antwort {n}", {"name": "inform", "confidence": 0.9}),
                      SlotSet("einwohner", n), ActionExecuted("action_listen")):
            t[0] += 1
            event.timestamp = t[0]
            tracker.update(event)

    async def truth():
        tracker = await uncached.retrieve("s1")
        return tracker and tracker.current_state(EventVerbosity.ALL)

    async def main():
        out = {}
        tracker = await a.get_or_create_tracker("s1")
        turn(tracker, 1)
        await a.save(tracker)
        again = await a.retrieve("s1")
        out["hit_is_cached_object"] = again is tracker
        out["hit_equals_database"] = again.current_state(EventVerbosity.ALL) == await truth()

        # instance b takes two turns; a sees them on its next read
        other = await b.retrieve("s1")
        turn(other, 2)
        await b.save(other)
        turn(other, 3)
        await b.save(other)
        seen = await a.retrieve("s1")
        out["other_instance_turns"] = [seen.get_slot("einwohner"), len(seen.events)]
        out["other_instance_equals_database"] = seen.current_state(EventVerbosity.ALL) == await truth()

        # a turn that failed before save: its events must not come back
        failed = await a.retrieve("s1")
        turn(failed, 99)
        after_failure = await a.retrieve("s1")
        out["failed_turn_dropped"] = [after_failure is failed, after_failure.get_slot("einwohner")]

        # events deleted behind the store's back (review UI, retention): gone for a as well
        with sqlite3.connect(db) as con:
            con.execute("DELETE FROM events WHERE sender_id = 's1'")
        out["deleted"] = await a.retrieve("s1")

        # a new session written by b: a reads only the latest session, like Rasa
        tracker = await a.get_or_create_tracker("s2")
        turn(tracker, 4)
        await a.save(tracker)
        await a.retrieve("s2")
        other = await b.retrieve("s2")
        t[0] += 1
        other.update(SessionStarted(timestamp=t[0]))
        turn(other, 5)
        await b.save(other)
        latest = await a.retrieve("s2")
        out["new_session"] = [e.get("text") for e in latest.current_state(EventVerbosity.ALL)["events"]
                              if e["event"] == "user"]

        # bounded: the least recently used conversation leaves the cache
        a.cache_size = 2
        for sender in ("s3", "s4", "s5"):
            tr = await a.get_or_create_tracker(sender)
            turn(tr, 6)
            await a.save(tr)
        out["cache_keys"] = sorted(a._cache)
        out["uncached_is_new_object"] = (await uncached.retrieve("s5")) is not (await uncached.retrieve("s5"))
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa venv missing: run `make setup`")
def test_tracker_cache_follows_the_database(tmp_path: Path) -> None:
    import json

    out = json.loads(run_in_rasa_venv(TRACKER_CACHE, str(tmp_path / "tracker.db")))
    assert out["hit_is_cached_object"] is True
    assert out["hit_equals_database"] is True
    assert out["other_instance_turns"] == [3, 1 + 3 * 3]
    assert out["other_instance_equals_database"] is True
    assert out["failed_turn_dropped"] == [False, 3]
    assert out["deleted"] is None
    assert out["new_session"] == ["Antwort 5"]
    assert out["cache_keys"] == ["s4", "s5"]
    assert out["uncached_is_new_object"] is True
