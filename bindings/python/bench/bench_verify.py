"""verify_signature on a ~40 KB transcript.final against the PyPI `standardwebhooks` package
(the Standard Webhooks reference library). Interleaved rounds, median ns/op.

    pip install -r bench/requirements.txt     (standardwebhooks is a bench-only dependency)
    python bench/bench_verify.py

Rows: `oneinbox verify_signature` decodes the `whsec_` secret on every call (as a handler that
calls the function does); `oneinbox Receiver.receive` keeps the decoded secret and also parses
the event; `standardwebhooks verify` reuses one `Webhook` object (its cheapest use) and also
parses the body with json.loads, as its `verify` always does; `... (new Webhook per call)`
includes the construction.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Callable

import standardwebhooks

from oneinbox_webhooks import Receiver, sign, verify_signature

ROUNDS = 15
TARGET_NS = 20_000_000
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def big_transcript() -> bytes:
    """The same deterministic 200-message transcript.final as bench.py (about 40 KB)."""
    words = [
        "sure", "thanks", "appointment", "thursday", "demo",
        "pricing", "calendar", "confirm", "number", "email",
    ]  # fmt: skip
    messages = []
    for i in range(200):
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(24))
        messages.append({"role": "agent" if i % 2 == 0 else "user", "content": f"{i}: {text}."})
    body = {"event": "transcript.final", "call_id": "call_abc123", "messages": messages}
    return json.dumps(body, separators=(",", ":")).encode()


def batch_ns(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - start) / n


def calibrate(fn: Callable[[], object]) -> int:
    n = 1
    while True:
        per = batch_ns(fn, n)
        if per * n > TARGET_NS / 10:
            return max(1, int(TARGET_NS / per))
        n *= 4


def main() -> None:
    body = big_transcript()
    ts = int(time.time())
    headers = {
        "webhook-id": "msg_bench",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(SECRET, "msg_bench", ts, body),
    }
    receiver = Receiver(signing_secrets=[SECRET])
    wh = standardwebhooks.Webhook(SECRET)
    libs: dict[str, Callable[[], object]] = {
        "oneinbox verify_signature": lambda: verify_signature(headers, body, [SECRET]),
        "oneinbox Receiver.receive (verify + parse)": lambda: receiver.receive(
            body, headers=headers
        ),
        "standardwebhooks verify": lambda: wh.verify(body, headers),
        "standardwebhooks verify (new Webhook per call)": lambda: standardwebhooks.Webhook(
            SECRET
        ).verify(body, headers),
    }
    assert verify_signature(headers, body, [SECRET]).ok
    for fn in libs.values():
        fn()  # every library accepts the delivery
    counts = {name: calibrate(fn) for name, fn in libs.items()}
    samples: dict[str, list[float]] = {name: [] for name in libs}
    names = list(libs)
    for r in range(ROUNDS):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(batch_ns(libs[name], counts[name]))
    med = {name: statistics.median(s) for name, s in samples.items()}
    base = med["oneinbox verify_signature"]
    print(
        f"Python {sys.version.split()[0]}, standardwebhooks {standardwebhooks_version()}, "
        f"body {len(body)} bytes, {ROUNDS} interleaved rounds, median\n"
    )
    print("| call | µs/op | vs oneinbox verify_signature |")
    print("|---|---:|---:|")
    for name in names:
        print(f"| {name} | {med[name] / 1000:,.1f} | {med[name] / base:.2f}x |")


def standardwebhooks_version() -> str:
    from importlib.metadata import version

    return version("standardwebhooks")


if __name__ == "__main__":
    main()
