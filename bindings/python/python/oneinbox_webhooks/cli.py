"""``python -m oneinbox_webhooks send``: play a call's deliveries into any webhook receiver (and
``worker``, in ``oneinbox_webhooks.worker``: run the inbox's due deliveries; ``doctor``, in
``_doctor_cli``: why deliveries failed and how to fix it).

::

    export ONEINBOX_URL_TOKEN=... ONEINBOX_SIGNING_SECRET=...  # or --url-token-file PATH
    python -m oneinbox_webhooks send --to http://127.0.0.1:8000/webhooks/oneinbox \\
        --shuffle --duplicates 2

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
reached), 2 for a usage error. Secrets are never printed, and no error shows the value of an
argument (argparse's own errors included). Each secret comes from its option
(``--url-token``), else from its file option (``--url-token-file PATH``: the file holds the
secret, one line), else from its environment variable (``$ONEINBOX_URL_TOKEN``,
``$ONEINBOX_SIGNING_SECRET``; empty counts as unset): the core's ``choose_secret``, which the
Node command asks too. The file and the environment keep secrets out of the process list.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import NoReturn, Optional, TextIO

from . import _doctor_cli, reconcile_command, worker
from ._native import (
    OneInboxError,
    choose_secret,
    plan_send,
    redact_url_token,
    refusal_reason,
    send_sent_line,
    send_summary_line,
)
from .testing import make_delivery, make_event

__all__ = ["main"]

PROG = "python -m oneinbox_webhooks"

# The secrets of `send`: (name, environment variable).
_SECRETS = (("url_token", "ONEINBOX_URL_TOKEN"), ("signing_secret", "ONEINBOX_SIGNING_SECRET"))


class _UsageFailure(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors reach ``main``, which redacts every value typed in
    them (argparse quotes values: ``unrecognized arguments: --url-tokn=SECRET``)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageFailure(self, message)


def _redact(text: str, argv: Sequence[str]) -> str:
    """``text`` with every value typed on the command line replaced by ``[redacted]``: each
    argument that is not an option name, and the value of each ``--name=value``."""
    values = set()
    for arg in argv:
        if arg.startswith("-"):
            _, eq, value = arg.partition("=")
            if eq and value:
                values.add(value)
        elif arg and arg != "send":
            values.add(arg)
    for value in sorted(values, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", "[redacted]", text)
    return text


def _read_secret_file(option: str, path: Optional[str]) -> Optional[str]:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise _UsageFailure(_parser(), f"{option}: cannot read the file ({reason})") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Tools for OneInbox webhooks (oneinbox-webhooks).")
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
        help="add ?token=T to the URL (else --url-token-file, else $ONEINBOX_URL_TOKEN)",
    )
    send.add_argument(
        "--url-token-file", metavar="PATH", help="read the URL token from this file (one line)"
    )
    send.add_argument(
        "--signing-secret",
        metavar="S",
        help="sign with this whsec_ secret, Standard Webhooks headers "
        "(else --signing-secret-file, else $ONEINBOX_SIGNING_SECRET)",
    )
    send.add_argument(
        "--signing-secret-file",
        metavar="PATH",
        help="read the signing secret from this file (one line)",
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
    _doctor_cli.add_parser(commands)
    reconcile_command.add_parser(commands)
    return parser


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[str, bool, Optional[str]]:
    """The status (or ``error: …``), whether it was 2xx, and the reason the receiver gave in
    its answer's body (``refusal_reason``), if any."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: bytes = response.read()
            status: int = response.status
    except urllib.error.HTTPError as err:
        answer = err.read()
        status = err.code
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        # HTTPException: an answer that is not HTTP (BadStatusLine from a port that speaks
        # something else), reported as a line like a refused connection, as Node's send does.
        reason = getattr(err, "reason", err)
        return f"error: {redact_url_token(str(reason))}", False, None
    ok = 200 <= status < 300
    return str(status), ok, None if ok else refusal_reason(answer)


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
        status, ok, reason = _post(delivery.url, delivery.body, delivery.headers, args.timeout)
        millis = (time.perf_counter() - started) * 1000
        failures += not ok
        print(send_sent_line(delivery.event or "?", status, millis, reason, again), file=out)
    print(send_summary_line(len(plan), args.to, len(plan) - failures), file=err)
    return 1 if failures else 0


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> int:
    """Runs the command line; returns the exit status. ``environ`` defaults to
    ``os.environ``."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    env = os.environ if environ is None else environ
    typed = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        try:
            args = parser.parse_args(typed)
            if args.command == "worker":
                return worker.run(args, out, err)
            if args.command == "doctor":
                return _doctor_cli.run(args, out, err, env)
            if args.command == "reconcile":
                return reconcile_command.run(args, out, err, env)
            if args.to is None and not args.dry_run:
                parser.error("send: --to URL is required (unless --dry-run)")
            for name, variable in _SECRETS:
                option = "--" + name.replace("_", "-") + "-file"
                content = _read_secret_file(option, getattr(args, name + "_file"))
                chosen = choose_secret(name, getattr(args, name), content, env.get(variable))
                setattr(args, name, chosen)
        except SystemExit as exit_:  # argparse: --help (0)
            return int(exit_.code or 0)
        except _UsageFailure as failure:
            failure.parser.print_usage(err)
            print(f"{failure.parser.prog}: error: {_redact(failure.message, typed)}", file=err)
            return _doctor_cli.usage_exit(typed[0] if typed else None)
        return _send(args, out, err)
    except OneInboxError as problem:  # an unknown event name, a bad --seed, a bad secret...
        print(f"{PROG} send: error: {_redact(str(problem), typed)}", file=err)
        return 2
