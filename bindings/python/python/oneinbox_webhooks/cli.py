"""``python -m oneinbox_webhooks send``: play a call's deliveries into any webhook receiver.

::

    python -m oneinbox_webhooks send --to http://127.0.0.1:8000/webhooks/oneinbox \\
        --url-token "$TOKEN" --signing-secret "$WHSEC" --shuffle --duplicates 2

POSTs each delivery as OneInbox makes it (``make_delivery``: ``Content-Type:
application/json``, the URL token in the URL, Standard Webhooks headers with a signing secret),
one after the other, and prints one line per delivery: the event, the status (or ``error``) and
the time in milliseconds. Without event names it sends the events of one whole call
(``make_call``); with names, one delivery each, all with the same ``call_id``. ``--duplicates N``
sends N deliveries a second time (same message id, newly signed, as a redelivery is), and
``--shuffle`` sends them in a random order (``--seed`` makes both repeatable).

Exit status: 0 when every answer was 2xx, 1 otherwise (or when a receiver could not be
reached), 2 for a usage error. Secrets are never printed: ``--url-token`` and
``--signing-secret`` default to ``$ONEINBOX_URL_TOKEN`` and ``$ONEINBOX_SIGNING_SECRET``, which
keeps them out of the process list.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Optional, TextIO

from ._native import OneInboxError, redact_url_token
from .testing import _new_id, make_call, make_delivery, make_event

__all__ = ["main"]

PROG = "python -m oneinbox_webhooks"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Tools for OneInbox webhooks (oneinbox-webhooks)."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    send = commands.add_parser(
        "send",
        help="POST a call's deliveries to a webhook receiver, as OneInbox would",
        description="POST webhook deliveries to URL as OneInbox makes them, one line per "
        "delivery (event, status, milliseconds); exit 1 if any answer was not 2xx.",
    )
    send.add_argument("--to", required=True, metavar="URL", help="the receiver's URL")
    send.add_argument(
        "--url-token",
        metavar="T",
        default=os.environ.get("ONEINBOX_URL_TOKEN"),
        help="add ?token=T to the URL (default: $ONEINBOX_URL_TOKEN)",
    )
    send.add_argument(
        "--signing-secret",
        metavar="S",
        default=os.environ.get("ONEINBOX_SIGNING_SECRET"),
        help="sign with this whsec_ secret, Standard Webhooks headers "
        "(default: $ONEINBOX_SIGNING_SECRET)",
    )
    send.add_argument("--call-id", metavar="ID", help="the call_id of every event (default: new)")
    send.add_argument("--shuffle", action="store_true", help="send in a random order")
    send.add_argument(
        "--duplicates",
        type=_count,
        default=0,
        metavar="N",
        help="send N of the deliveries twice (same webhook-id)",
    )
    send.add_argument("--seed", type=int, metavar="N", help="seed for --shuffle/--duplicates")
    send.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)"
    )
    send.add_argument(
        "events",
        nargs="*",
        metavar="EVENT",
        help="event names, e.g. call.started call.ended (default: the events of a whole call)",
    )
    return parser


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[str, bool]:
    """The status (or ``error: …``) and whether it was 2xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
    except urllib.error.HTTPError as err:
        err.read()
        status = err.code
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return f"error: {redact_url_token(str(reason))}", False
    return str(status), 200 <= status < 300


def _send(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    call_id: Optional[str] = args.call_id
    if args.events:
        call_id = call_id if call_id is not None else _new_id("call")
        bodies = [make_event(name, call_id=call_id) for name in args.events]
    else:
        bodies = make_call(call_id)
    rng = random.Random(args.seed)
    # (body, message id, whether it is a redelivery)
    plan = [(body, f"msg_{rng.getrandbits(64):016x}", False) for body in bodies]
    for index in sorted(rng.sample(range(len(plan)), min(args.duplicates, len(plan))))[::-1]:
        body, msg_id, _ = plan[index]
        plan.insert(index + 1, (body, msg_id, True))
    if args.duplicates > len(bodies):  # more duplicates than deliveries: repeat at random
        for _ in range(args.duplicates - len(bodies)):
            body, msg_id, _ = rng.choice(plan)
            plan.append((body, msg_id, True))
    if args.shuffle:
        rng.shuffle(plan)

    failures = 0
    for body, msg_id, again in plan:
        delivery = make_delivery(
            body,
            url=args.to,
            url_token=args.url_token,
            signing_secret=args.signing_secret,
            msg_id=msg_id,
        )
        started = time.perf_counter()
        status, ok = _post(delivery.url, delivery.body, delivery.headers, args.timeout)
        millis = (time.perf_counter() - started) * 1000
        failures += not ok
        note = "  (again)" if again else ""
        print(f"{delivery.event or '?':<26} {status:>5} {millis:8.1f} ms{note}", file=out)
    answered = len(plan) - failures
    print(
        f"{len(plan)} deliveries to {redact_url_token(args.to)}: {answered} answered 2xx",
        file=err,
    )
    return 1 if failures else 0


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Runs the command line; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        return int(exit_.code or 0)
    try:
        return _send(args, out, err)
    except OneInboxError as problem:  # an unknown event name, an undecodable whsec_ secret...
        print(f"{PROG} send: error: {problem}", file=err)
        return 2
