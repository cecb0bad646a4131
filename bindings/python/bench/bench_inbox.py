"""How recording a delivery grows with a long call: the k-th of 1,000 cumulative
``transcript.partial`` events of one call (the k-th carries k messages), per store.

For each store, the time to ``arrive`` + ``finish`` the k-th event is divided by that event's size;
the table shows that cost per byte at k = 50, 400 and 1,000 (each the median of the 9 events
around k) and its ratio to k = 50. Flat means recording costs the size of the event (and of the
record), not a fold of the call's other deliveries. Redis runs on a throwaway redis-server
(tests/redis_server.py), Postgres on a throwaway PostgreSQL server (tests/postgres_server.py)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from oneinbox_webhooks import parse_event  # noqa: E402
from oneinbox_webhooks.stores import MemoryStore, RedisStore, SQLiteStore  # noqa: E402
from oneinbox_webhooks.testing import make_event  # noqa: E402

N = 1000
AT = (50, 400, 1000)
WINDOW = 4


def bodies() -> list[bytes]:
    messages: list[dict[str, str]] = []
    out = []
    for k in range(1, N + 1):
        role = "agent" if k % 2 else "user"
        messages.append({"role": role, "content": f"Message number {k} of this long call, said."})
        out.append(make_event("transcript.partial", call_id="call_long", messages=messages))
    return out


def measure(store: Any) -> dict[int, float]:
    """Nanoseconds per byte to arrive + finish the k-th event, for every k."""
    per_byte = {}
    for k, body in enumerate(BODIES, start=1):
        event = parse_event(body)
        started = time.perf_counter_ns()
        arrival = store.arrive(event, body)
        store.finish(arrival.delivery)
        per_byte[k] = (time.perf_counter_ns() - started) / len(body)
        assert arrival.verdict == "run"
    return per_byte


def around(per_byte: dict[int, float], k: int) -> float:
    return statistics.median(per_byte[j] for j in range(max(1, k - WINDOW), min(N, k + WINDOW) + 1))


def stores(tmp: Path) -> list[tuple[str, Callable[[], Any], Callable[[], None]]]:
    made: list[tuple[str, Callable[[], Any], Callable[[], None]]] = [
        ("MemoryStore", MemoryStore, lambda: None),
        ("SQLiteStore", lambda: SQLiteStore(tmp / f"{uuid.uuid4().hex}.sqlite3"), lambda: None),
    ]
    from redis_server import RedisServer

    server = RedisServer(tmp)
    import redis

    client = redis.Redis.from_url(server.url)
    made.append(
        ("RedisStore", lambda: RedisStore(client, prefix=f"{uuid.uuid4().hex}:"), server.stop)
    )
    from postgres_server import PostgresServer

    from oneinbox_webhooks.stores import PostgresStore

    (tmp / "pg").mkdir()
    pg = PostgresServer(tmp / "pg")
    made.append(("PostgresStore", lambda: PostgresStore(pg.new_database()), pg.stop))
    return made


BODIES = bodies()


def main() -> None:
    print(f"recording the k-th of {N} cumulative transcript.partial events of one call")
    print(f"(the 50th is {len(BODIES[49]):,} bytes, the 1,000th {len(BODIES[-1]):,})\n")
    header = " | ".join(f"k={k:>4} ns/B" for k in AT)
    print(f"| store | {header} | k=400 / k=50 | k=1000 / k=50 |")
    print("|---|" + "---:|" * (len(AT) + 2))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, stop in stores(Path(tmp)):
            try:
                per_byte = measure(make())
            finally:
                stop()
            values = [around(per_byte, k) for k in AT]
            ratios = [v / values[0] for v in values[1:]]
            worst = max(worst, *ratios)
            cells = " | ".join(f"{v:12.1f}" for v in values)
            print(f"| {name} | {cells} | {ratios[0]:.2f} | {ratios[1]:.2f} |")
    print(f"\nflat within 1.5x of k=50: {'yes' if worst <= 1.5 else 'NO'} (worst {worst:.2f})")


if __name__ == "__main__":
    main()
