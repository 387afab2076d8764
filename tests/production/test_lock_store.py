"""deploy/rasa_lock_store.py against the layout's real Redis, from separate processes (as two Rasa
instances would be): arrival order is processing order, never two holders at once, and a holder
that dies (SIGKILL) frees the conversation within its lease."""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.production

# one process = one "instance": takes the lock for `hold` seconds and logs enter/leave times
WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from deploy.rasa_lock_store import QueueRedisLockStore
    port, conversation, name, hold = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

    async def main():
        store = QueueRedisLockStore(host="127.0.0.1", port=port, db=3)
        queued = time.time()
        async with store.lock(conversation):
            entered = time.time()
            print(json.dumps({"name": name, "event": "enter", "t": entered, "queued": queued}),
                  flush=True)
            await asyncio.sleep(hold)
        print(json.dumps({"name": name, "event": "leave", "t": time.time()}), flush=True)

    asyncio.run(main())
    """
)


def _worker(prod, conversation: str, name: str, hold: float) -> subprocess.Popen:
    return subprocess.Popen(
        [str(RASA_PYTHON), "-c", WORKER, str(prod.layout.ports.redis), conversation, name, str(hold)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _events(procs: list[subprocess.Popen]) -> list[dict]:
    events = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        events += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return sorted(events, key=lambda e: e["t"])


def test_holders_never_overlap_and_follow_arrival_order(prod):
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    procs = []
    for n in range(4):
        procs.append(_worker(prod, conversation, f"w{n}", 0.5))
        time.sleep(0.3)  # w0 arrives first, then w1, ...
    events = _events(procs)
    assert [e["event"] for e in events] == ["enter", "leave"] * 4  # one holder at a time
    assert [e["name"] for e in events if e["event"] == "enter"] == ["w0", "w1", "w2", "w3"]


def test_a_killed_holder_frees_the_conversation_within_its_lease(prod):
    lease_seconds = float(subprocess.run(
        [str(RASA_PYTHON), "-c", "from deploy.rasa_lock_store import LEASE_SECONDS as s; print(s)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout)
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    holder = _worker(prod, conversation, "holder", 600)
    line = holder.stdout.readline()  # waits until it holds the lock
    assert json.loads(line)["event"] == "enter"
    waiter = _worker(prod, conversation, "waiter", 0)
    time.sleep(1)
    holder.send_signal(signal.SIGKILL)
    killed_at = time.time()
    holder.wait()
    (entered, _left) = _events([waiter])
    assert entered["name"] == "waiter"
    assert entered["t"] - killed_at < lease_seconds + 2
