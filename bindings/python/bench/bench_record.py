"""What recording a delivery costs, against the parse: `parse_event`, `dedupe_key` of a parsed
event, and `parse_event` + `MemoryStore.record`, on the guide's call.ended, one delivery per
call (every body its own call id, so every event is new and every record is made). Each event
is used once, as a receiver uses it. The store is made before each batch and outlives it, as a
receiver's store outlives its deliveries; what freeing a store of N calls costs, per call, is
the last line. CPU time of this thread, best of ROUNDS batches (each about 10 ms), ns per
delivery. Run with `just bench-record` (release builds, then the Node bench too).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oneinbox_webhooks import dedupe_key, parse_event
from oneinbox_webhooks.stores import MemoryStore

REPO = Path(__file__).resolve().parents[3]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
N = 4096


def bodies() -> list[bytes]:
    """The guide's call.ended (byte for byte), its call id made unique per body."""
    fixture = json.loads((REPO / "tests/fixtures/events/guide-call-ended.json").read_text("utf-8"))
    text: str = fixture["body_text"]
    return [text.replace("call_abc123", f"call_{i:06d}").encode() for i in range(N)]


def best_ns(run: Callable[[Any], None], setup: Callable[[], Any] = lambda: None) -> float:
    """The fastest of ROUNDS runs of `run` over the N bodies (given what `setup` made for the
    run, made untimed), CPU ns per body."""
    best = float("inf")
    for _ in range(ROUNDS):
        made = setup()
        start = time.thread_time_ns()
        run(made)
        best = min(best, (time.thread_time_ns() - start) / N)
        del made
    return best


def main() -> None:
    data = bodies()
    parsed: list[object] = []

    def parse(_: None) -> None:
        for b in data:
            parse_event(b)

    def fresh_events() -> None:
        parsed[:] = [parse_event(b) for b in data]

    def key(_: None) -> None:
        for e in parsed:
            dedupe_key(e)  # type: ignore[arg-type]

    def parse_and_record(store: MemoryStore) -> None:
        for b in data:
            store.record(parse_event(b))

    def filled_store() -> list[MemoryStore]:
        store = MemoryStore()
        parse_and_record(store)
        return [store]

    def free_store(holder: list[MemoryStore]) -> None:
        holder.clear()

    results = {
        "parse_event": best_ns(parse),
        "dedupe_key(parsed)": best_ns(key, fresh_events),
        "parse_event + MemoryStore.record": best_ns(parse_and_record, MemoryStore),
    }
    teardown = best_ns(free_store, filled_store)
    base = results["parse_event"]
    size = len(data[0])
    print(f"guide call.ended, {size} bytes, best of {ROUNDS} rounds of {N} deliveries (CPU time)")
    results["freeing the store, per call"] = teardown
    for name, ns in results.items():
        print(f"{name:34} {ns / 1000:7.2f} us  {ns / base:5.1f}x parse_event")


if __name__ == "__main__":
    main()
