"""What recording a delivery costs, against the parse: `parse_event`, `dedupe_key` of a parsed
event, and `parse_event` + `MemoryStore.record`, on the guide's call.ended, one delivery per
call (every body its own call id, so every event is new and every record is made). Each event
is used once, as a receiver uses it. Best of ROUNDS batches (each about 20 ms), ns per delivery.
Run with `just bench-record` (release builds, then the Node bench too).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

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


def best_ns(run: Callable[[], None], setup: Callable[[], None] = lambda: None) -> float:
    """The fastest of ROUNDS runs of `run` over the N bodies, ns per body."""
    best = float("inf")
    for _ in range(ROUNDS):
        setup()
        start = time.perf_counter_ns()
        run()
        best = min(best, (time.perf_counter_ns() - start) / N)
    return best


def main() -> None:
    data = bodies()
    parsed: list[object] = []

    def parse() -> None:
        for b in data:
            parse_event(b)

    def fresh_events() -> None:
        parsed[:] = [parse_event(b) for b in data]

    def key() -> None:
        for e in parsed:
            dedupe_key(e)  # type: ignore[arg-type]

    def parse_and_record() -> None:
        store = MemoryStore()
        for b in data:
            store.record(parse_event(b))

    results = {
        "parse_event": best_ns(parse),
        "dedupe_key(parsed)": best_ns(key, fresh_events),
        "parse_event + MemoryStore.record": best_ns(parse_and_record),
    }
    base = results["parse_event"]
    print(f"guide call.ended, {len(data[0])} bytes, best of {ROUNDS} rounds of {N} deliveries")
    for name, ns in results.items():
        print(f"{name:34} {ns / 1000:7.2f} us  {ns / base:5.1f}x parse_event")


if __name__ == "__main__":
    main()
