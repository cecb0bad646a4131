"""One process of the chaos test (test_chaos.py): it delivers every delivery of 50 calls, with
duplicates, in its own shuffled order, into a shared store's inbox, running a handler that fails
20 % of the time (decided by the delivery and attempt, so every run is the same) and logging each
completed run to its own file before telling the store. Run as a script:
``chaos_worker.py KIND TARGET PREFIX SEED LOG PROGRESS``."""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path
from typing import Any

from oneinbox_webhooks import parse_event
from oneinbox_webhooks.inbox import current_delivery, error_text
from oneinbox_webhooks.testing import make_call

CALLS = 50
LEASE = 1.0
MAX_ATTEMPTS = 10


def all_bodies() -> list[bytes]:
    """Every distinct delivery: the events of 50 whole calls."""
    return [body for i in range(CALLS) for body in make_call(call_id=f"call_chaos_{i:02d}")]


def fails(key: str, attempt: int) -> bool:
    """Whether the handler fails this run: 20 %, by the delivery and the attempt."""
    digest = hashlib.sha256(f"{key}/{attempt}".encode()).digest()
    return digest[0] < 256 * 0.2


def open_store(kind: str, target: str, prefix: str) -> Any:
    if kind == "sqlite":
        from oneinbox_webhooks.stores import SQLiteStore

        return SQLiteStore(target, lease=LEASE, max_attempts=MAX_ATTEMPTS)
    if kind == "redis":
        import redis

        from oneinbox_webhooks.stores import RedisStore

        client = redis.Redis.from_url(target)
        return RedisStore(client, prefix=prefix, lease=LEASE, max_attempts=MAX_ATTEMPTS)
    from oneinbox_webhooks import stores

    return stores.PostgresStore(target, lease=LEASE, max_attempts=MAX_ATTEMPTS)  # type: ignore[attr-defined]


def handle(log: Any, store: Any = None) -> None:
    """The handler: fails 20 % of its runs; a completed run is logged (flushed) first. With a
    ``PostgresStore``, its effect (a row of ``chaos_effects``) is written in the store's
    transaction, which commits with the delivery's *done* mark: exactly once."""
    delivery = current_delivery()
    assert delivery is not None
    if store is not None and callable(getattr(store, "transaction", None)):
        with store.transaction() as conn:
            if fails(delivery.key, delivery.attempt):
                raise RuntimeError(f"chaos on attempt {delivery.attempt}")
            conn.execute(
                "INSERT INTO chaos_effects (key, attempt) VALUES (%s, %s)",
                (delivery.key, delivery.attempt),
            )
        return
    if fails(delivery.key, delivery.attempt):
        raise RuntimeError(f"chaos on attempt {delivery.attempt}")
    log.write(f"{delivery.key}\n")
    log.flush()


def main(kind: str, target: str, prefix: str, seed: int, log_path: str, progress: str) -> None:
    from oneinbox_webhooks.inbox import Claim

    rng = random.Random(seed)
    bodies = all_bodies()
    sequence = bodies + rng.choices(bodies, k=len(bodies) // 4)
    rng.shuffle(sequence)
    store = open_store(kind, target, prefix)
    with Path(log_path).open("a", encoding="utf-8") as log:
        for n, body in enumerate(sequence, start=1):
            event = parse_event(body)
            claim: Claim = store.claim(event, body)
            try:
                with claim:
                    if claim.run:
                        handle(log, store if kind == "postgres" else None)
            except RuntimeError as err:
                assert "chaos" in error_text(err)
            if n % 20 == 0:
                Path(progress).write_text(str(n))
    Path(progress).write_text("done")


if __name__ == "__main__":
    kind, target, prefix, seed, log_path, progress = sys.argv[1:7]
    main(kind, target, prefix, int(seed), log_path, progress)
