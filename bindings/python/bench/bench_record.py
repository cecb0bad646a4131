"""What recording a delivery costs, against the parse: `parse_event`, `dedupe_key` of a parsed
event, and `parse_event` + `MemoryStore.record`, on the guide's call.ended, one delivery per
call (every body its own call id, so every event is new and every record is made). Each event
is used once, as a receiver uses it. The store is made before each batch and outlives it, as a
receiver's store outlives its deliveries; the next lines add reading each `Recorded.record`
(made on first read), and freeing the store of N calls inside the batch (as the bench before
this one timed it). CPU time of this thread, best of ROUNDS batches (each about 10 ms), ns per
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

    def reading_the_record(store: MemoryStore) -> None:
        for b in data:
            store.record(parse_event(b)).record  # noqa: B018 (the read is what is timed)

    def then_freeing(holder: list[MemoryStore]) -> None:
        store = holder.pop()
        parse_and_record(store)
        del store

    results = {
        "parse_event": best_ns(parse),
        "dedupe_key(parsed)": best_ns(key, fresh_events),
        "parse_event + MemoryStore.record": best_ns(parse_and_record, MemoryStore),
        "  and reading Recorded.record": best_ns(reading_the_record, MemoryStore),
        "  then freeing the store": best_ns(then_freeing, lambda: [MemoryStore()]),
    }
    base = results["parse_event"]
    size = len(data[0])
    print(f"guide call.ended, {size} bytes, best of {ROUNDS} rounds of {N} deliveries (CPU time)")
    for name, ns in results.items():
        print(f"{name:34} {ns / 1000:7.2f} us  {ns / base:5.1f}x parse_event")


if __name__ == "__main__":
    main()
