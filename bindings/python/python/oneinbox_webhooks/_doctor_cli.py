"""``python -m oneinbox_webhooks doctor``: read the webhooks and every page of their delivery
history from the OneInbox API and print what is wrong and how to fix it (the core's
``diagnose``; ``npx oneinbox-webhooks doctor`` prints the same bytes for the same history).

The API key comes from ``$ONEINBOX_API_KEY`` (never printed); ``--base-url`` defaults to
``$ONEINBOX_BASE_URL``, else ``https://api.oneinbox.ai`` (point it at a ``FakeOneInbox`` to
try it). Exit status: 0 healthy, 2 problems found, 1 could not check (no key, an API or
network error, an unknown ``--webhook-id``, a usage error).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any, Optional, TextIO

from . import reconcile_command
from ._native import (
    DEFAULT_BASE_URL,
    Diagnosis,
    OneInboxError,
    UsageError,
    diagnose,
    redact_url_token,
)

__all__ = ["add_parser", "run"]

#: How many calls ``doctor`` fetches at most (with ``get_call``) to check URL drift.
MAX_CALLS = 200


def add_parser(commands: Any) -> None:
    """Adds the ``doctor`` command to the command line's subparsers."""
    doctor = commands.add_parser(
        "doctor",
        help="say why deliveries failed and how to fix it (exit 0 healthy, 2 problems, 1 error)",
        description="Read the webhooks and their delivery history from the OneInbox API "
        "(key: $ONEINBOX_API_KEY) and group the failed deliveries by cause, each with an "
        "explanation and a fix. Exit 0 when healthy, 2 when problems are found, 1 when the "
        "check could not be made.",
    )
    doctor.add_argument(
        "--webhook-id",
        metavar="ID",
        action="append",
        help="check this webhook (repeatable; default: every webhook)",
    )
    doctor.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    doctor.add_argument(
        "--base-url",
        metavar="URL",
        help=f"the API's base URL (default: $ONEINBOX_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    doctor.add_argument(
        "--reconcile",
        action="store_true",
        help="then reconcile the calls whose events never succeeded (needs --store, --router)",
    )
    reconcile_command.add_store_arguments(doctor, required=False)


def _affected_calls(d: Diagnosis) -> list[str]:
    ids = {m["call_id"] for m in d.calls_never_succeeded}
    for cause in d.causes:
        ids.update(cause["call_ids"])
    return sorted(ids)[:MAX_CALLS]


def _check(client: Any, args: argparse.Namespace) -> Diagnosis:
    hooks = client.list_webhooks()
    if args.webhook_id:
        by_id = {h.id: h for h in hooks}
        unknown = [i for i in args.webhook_id if i not in by_id]
        if unknown:
            raise LookupError("no webhook with the id " + ", ".join(repr(i) for i in unknown))
        hooks = [by_id[i] for i in dict.fromkeys(args.webhook_id)]
    rows = [row for hook in hooks for row in client.iter_deliveries(hook.id, limit=200)]
    d = diagnose(hooks, rows)
    if d.healthy:
        return d
    calls = []
    for call_id in _affected_calls(d):
        try:
            calls.append(client.get_call(call_id))
        except OneInboxError:
            continue  # a call the API does not return: nothing to compare
    return diagnose(hooks, rows, calls)


def run(args: argparse.Namespace, out: TextIO, err: TextIO, env: Mapping[str, str]) -> int:
    """Runs ``doctor``; returns the exit status."""
    try:
        key, base_url = reconcile_command.api_settings(args.base_url, env)
    except UsageError as problem:
        for issue in problem.issues:
            print(f"doctor: error: {issue.message}", file=err)
        return 1
    try:
        from .client import Client

        with Client(key, base_url=base_url) as client:
            d = _check(client, args)
    except ImportError as problem:
        print(f"doctor: error: {problem} (pip install 'oneinbox-webhooks[httpx]')", file=err)
        return 1
    except (OneInboxError, LookupError, OSError) as problem:
        text = redact_url_token(str(problem)).replace(key, "[redacted]")
        print(f"doctor: could not check: {text}", file=err)
        return 1
    out.write(d.to_json() + "\n" if args.json else d.to_text())
    calls = [m["call_id"] for m in d.calls_never_succeeded]
    if args.reconcile and calls:
        args.base_url = base_url
        if reconcile_command.run(args, out, err, env, call_ids=calls) != 0:
            return 1
    return 0 if d.healthy else 2


def usage_exit(command: Optional[str]) -> int:
    """The exit status of a usage error: 1 ("could not check") for ``doctor``, whose 2 means
    problems found."""
    return 1 if command == "doctor" else 2
