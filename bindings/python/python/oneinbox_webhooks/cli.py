"""``python -m oneinbox_webhooks send``: play a call's deliveries into any webhook receiver (and
``worker``, in ``oneinbox_webhooks.worker``: run the inbox's due deliveries).

::

    python -m oneinbox_webhooks send --to http://127.0.0.1:8000/webhooks/oneinbox \\
        --url-token "$TOKEN" --signing-secret "$WHSEC" --shuffle --duplicates 2

POSTs each delivery as OneInbox makes it (``make_delivery``: ``Content-Type:
application/json``, the URL token in the URL, Standard Webhooks headers with a signing secret),
one after the other, and prints one line per delivery: the event, the status (or ``error``) and
the time in milliseconds. Without event names it sends the events of one whole call
(``make_call``); with names, one delivery each, all with the same ``call_id``. ``--duplicates N``
sends N deliveries a second time (same message id, newly signed, as a redelivery is), and
``--shuffle`` sends them in a random order. ``--seed N`` makes the call id, the message ids, the
duplicates and the order repeatable; the plan comes from the core (``_native.plan_send``), so
``npx oneinbox-webhooks send`` makes the same plan from the same arguments.

``--dry-run`` prints the plan instead, one delivery a line (event, call id, message id, and
``(again)`` for a repeat), and sends nothing: ``--to`` is then optional (checked when given), and
the same arguments print the same lines from the Node command.

Exit status: 0 when every answer was 2xx, 1 otherwise (or when a receiver could not be
reached), 2 for a usage error. Secrets are never printed: ``--url-token`` and
``--signing-secret`` default to ``$ONEINBOX_URL_TOKEN`` and ``$ONEINBOX_SIGNING_SECRET``, which
keeps them out of the process list.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Optional, TextIO

from . import worker
from ._native import OneInboxError, plan_send, redact_url_token
from .testing import make_delivery, make_event

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
    send.add_argument("--to", metavar="URL", help="the receiver's URL (required unless --dry-run)")
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
        "--duplicates", metavar="N", help="send N of the deliveries twice (same webhook-id)"
    )
    send.add_argument(
        "--seed", metavar="N", help="seed for the ids, --shuffle and --duplicates (0 to 2**64-1)"
    )
    send.add_argument(
        "--dry-run", action="store_true", help="print the plan, one delivery a line; send nothing"
    )
    send.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)"
    )
    send.add_argument(
        "events",
        nargs="*",
        metavar="EVENT",
        help="event names, e.g. call.started call.ended (default: the events of a whole call)",
    )
    worker.add_parser(commands)
    return parser


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
    # (event, call id, message id, whether it is a redelivery, the --dry-run line)
    plan = plan_send(
        args.events,
        args.call_id,
        args.seed,
        args.duplicates,
        args.shuffle,
        secrets.randbits(64),  # the seed when --seed is absent
    )
    if args.dry_run:
        if args.to is not None:  # the URL and secrets are checked as a real run would
            make_delivery(
                make_event(plan[0][0]),
                url=args.to,
                url_token=args.url_token,
                signing_secret=args.signing_secret,
            )
        for *_, line in plan:
            print(line, file=out)
        return 0

    failures = 0
    for event, call_id, msg_id, again, _ in plan:
        delivery = make_delivery(
            make_event(event, call_id=call_id),
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
        if args.command == "worker":
            return worker.run(args, out, err)
        if args.to is None and not args.dry_run:
            parser.error("send: --to URL is required (unless --dry-run)")
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        return int(exit_.code or 0)
    try:
        return _send(args, out, err)
    except OneInboxError as problem:  # an unknown event name, a bad --seed, a bad secret...
        print(f"{PROG} send: error: {problem}", file=err)
        return 2
