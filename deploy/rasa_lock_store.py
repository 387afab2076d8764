"""A Redis lock store that keeps one conversation on one Rasa instance at a time (Rasa venv).

Rasa 3.6's `RedisLockStore` issues tickets by reading, changing and writing back one Redis value.
Two instances that take a message of the same conversation at the same moment can both get the
same ticket and process at once; the SQL tracker store then keeps only one of the two turns.
tests/production/test_bad_input_production.py lost 1 to 3 of 22 user messages that way in four of
six rounds (Rasa's maintainers acknowledged the race in RasaHQ/rasa#11256; the fix there was
reverted from Rasa Open Source).

This store queues each message in a Redis list with one atomic RPUSH, so arrival order is the
processing order, and a message proceeds only when its token is at the head of the list. Every
queued or working message keeps a short lease key alive from a background task; when an instance
dies, its lease runs out within `LEASE_SECONDS` and the next message removes the dead head
(atomically, with a Lua script) and goes on. Waiting is bounded by Rasa's lock lifetime
(`TICKET_LOCK_LIFETIME`, 60 s by default), after which Rasa gets a `LockError` and the user a
German error message from the web app.

endpoints: `lock_store: type: deploy.rasa_lock_store.QueueRedisLockStore` with the keys of
Rasa's redis lock store (url, port, db, password, use_ssl, key_prefix, socket_timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

logger = logging.getLogger(__name__)

LEASE_SECONDS = 10
POLL_SECONDS = 0.02

# pop the head only if it is still the dead token we saw (another waiter may have done it)
_POP_DEAD_HEAD = """
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  return redis.call('LPOP', KEYS[1])
end
return false
"""


class QueueRedisLockStore(LockStore):
    """FIFO lock per conversation in Redis, safe across Rasa instances."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        import redis

        config = dict(getattr(endpoint_config, "kwargs", {}) or {}, **kwargs)
        host = getattr(endpoint_config, "url", None) or config.pop("host", "localhost")
        self.red = redis.StrictRedis(
            host=host,
            port=int(config.get("port", 6379)),
            db=int(config.get("db", 1)),
            username=config.get("username"),
            password=config.get("password"),
            ssl=bool(config.get("use_ssl", False)),
            socket_timeout=float(config.get("socket_timeout", 10)),
        )
        prefix = str(config.get("key_prefix") or "")
        self.key_prefix = f"{prefix}:lockq:" if prefix.isalnum() else "lockq:"
        self._pop_dead_head = self.red.register_script(_POP_DEAD_HEAD)
        super().__init__()

    # Rasa's abstract storage methods: this store keeps no TicketLock objects
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self._queue(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        pass

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return bool(self.red.llen(self._queue(conversation_id)))

    def _queue(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}"

    def _lease(self, token: str) -> str:
        return f"{self.key_prefix}lease:{token}"

    async def _keep_alive(self, token: str) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            self.red.set(self._lease(token), 1, ex=LEASE_SECONDS)

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        queue, token = self._queue(conversation_id), uuid.uuid4().hex
        pipe = self.red.pipeline()
        pipe.set(self._lease(token), 1, ex=LEASE_SECONDS)
        pipe.rpush(queue, token)
        pipe.expire(queue, int(lock_lifetime) + LEASE_SECONDS)
        pipe.execute()
        keep_alive = asyncio.create_task(self._keep_alive(token))
        try:
            await self._wait_for_turn(queue, token, lock_lifetime)
            yield TicketLock(conversation_id)
        finally:
            keep_alive.cancel()
            pipe = self.red.pipeline()
            pipe.lrem(queue, 1, token)
            pipe.delete(self._lease(token))
            pipe.execute()

    async def _wait_for_turn(self, queue: str, token: str, lock_lifetime: float) -> None:
        deadline = time.monotonic() + lock_lifetime
        while True:
            head = self.red.lindex(queue, 0)
            head = head.decode() if head is not None else None
            if head == token:
                return
            if head is None or self.red.lpos(queue, token) is None:
                # our lease ran out (event loop blocked for LEASE_SECONDS) and another took our place
                raise LockError(f"Lost the place in the lock queue '{queue}' while waiting.")
            if not self.red.exists(self._lease(head)):
                logger.warning("Removing an expired lock holder of %s (instance gone?)", queue)
                self._pop_dead_head(keys=[queue], args=[head])
                continue
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for '{queue}' within {lock_lifetime} s.")
            await asyncio.sleep(POLL_SECONDS)
