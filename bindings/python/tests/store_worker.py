"""One worker of the multi-process store tests (test_stores_workers.py), run in a spawned process:
it delivers the nine deliveries of one call to a shared store in its own shuffled order, with
duplicates, starting when every worker is ready."""

from __future__ import annotations

import json
import random
import traceback
from typing import Any

from fixtures import EVENTS

from oneinbox_webhooks import dedupe_key, parse_event
from oneinbox_webhooks.stores import PostgresStore, RedisStore, SQLiteStore, Store

CALL_ID = "call_abc123"

# The seven payloads of the guide, then two more distinct deliveries of the same call.
GUIDE = [
    "guide-call-started.json",
    "guide-transcript-partial.json",
    "guide-call-ended.json",
    "guide-transcript-final.json",
    "guide-call-analyzed.json",
    "guide-call-recording-available.json",
    "guide-call-failed.json",
]
EXTRA = [
    (
        '{"event":"transcript.partial","call_id":"call_abc123",'
        '"messages":[{"role":"agent","content":"Hi! How can I help you today?"}]}'
    ),
    (
        '{"event":"call.analyzed","call_id":"call_abc123","agent_id":"agt_abc123",'
        '"outcome":"Callback Requested","ai_summary":"Caller asked to be called back next week."}'
    ),
]


def bodies() -> list[str]:
    """The nine distinct deliveries, as raw bodies."""
    texts: list[str] = []
    for name in GUIDE:
        fixture = json.loads((EVENTS / name).read_text(encoding="utf-8"))
        texts.append(fixture["body_text"])
    return texts + EXTRA


def deliveries(seed: int) -> list[str]:
    """Every delivery at least once, plus five duplicates, in an order of this seed."""
    rng = random.Random(seed)
    all_bodies = bodies()
    sequence = all_bodies + rng.choices(all_bodies, k=5)
    rng.shuffle(sequence)
    return sequence


def open_store(kind: str, target: str, prefix: str) -> tuple[Store, Any]:
    if kind == "sqlite":
        return SQLiteStore(target), None
    if kind == "postgres":
        store = PostgresStore(target)
        return store, store
    import redis

    client = redis.Redis.from_url(target)
    return RedisStore(client, prefix=prefix, ttl_seconds=3600), client


def deliver(kind: str, target: str, prefix: str, seed: int, barrier: Any, results: Any) -> None:
    """Sends (seed, [(dedupe key, new)], [record JSON after each], final record JSON) to
    `results`, or ("error", traceback)."""
    try:
        sequence = deliveries(seed)
        barrier.wait(timeout=120)  # every worker opens the store at once (file and table setup)
        store, client = open_store(kind, target, prefix)
        barrier.wait(timeout=120)  # and then delivers at once
        outcomes: list[tuple[str, bool]] = []
        records: list[str] = []
        for body in sequence:
            event = parse_event(body)
            recorded = store.record(event)
            outcomes.append((dedupe_key(event), recorded.new))
            records.append(recorded.record.to_json())
        barrier.wait(timeout=120)  # every delivery is in
        final = store.get(CALL_ID)
        assert final is not None
        results.put((seed, outcomes, records, final.to_json()))
        if client is not None:
            client.close()
    except BaseException:
        results.put(("error", traceback.format_exc()))
        barrier.abort()  # the other workers stop waiting
        raise


def open_at_once(path: str, barrier: Any, results: Any) -> None:
    """Opens a SQLiteStore on ``path`` once every worker is ready (a new file, all at once)."""
    try:
        barrier.wait(timeout=120)
        SQLiteStore(path).close()
        results.put("ok")
    except Exception:
        results.put(traceback.format_exc())
