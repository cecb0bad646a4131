"""``python -m oneinbox_webhooks reconcile``: recover the events whose deliveries went missing.

::

    ONEINBOX_API_KEY=... python -m oneinbox_webhooks reconcile \\
        --store sqlite:///var/lib/app/calls.sqlite3 --router app.webhooks:router

Runs :func:`oneinbox_webhooks.inbox.reconcile` once: the store's overdue calls are fetched
with ``GET /v1/calls/{id}`` (the key from ``$ONEINBOX_API_KEY``; ``--base-url`` or
``$ONEINBOX_BASE_URL``, default ``https://api.oneinbox.ai``), and the events they show happened
but no delivery brought run through the router's handlers. Prints the report (``--json`` for
machines); exits 0 when it ran (calls it could not fetch are in the report), 1 when it could
not run. The store URL and router are read as by the ``worker`` command.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from typing import Any, Optional, TextIO

from . import worker
from ._errors import UsageError

__all__ = ["add_parser", "api_settings", "run"]

PROG = "python -m oneinbox_webhooks reconcile"


def api_settings(base_url: Optional[str], env: Mapping[str, str]) -> tuple[str, str]:
    """The API key and base URL of a command's client: ``--base-url``, else the environment's
    ``ONEINBOX_API_KEY`` / ``ONEINBOX_BASE_URL``, by the clients' one rule (``Api.configure``;
    its ``UsageError`` names the variable a missing or bad value came from)."""
    from ._native import API_KEY_VAR, BASE_URL_VAR, Api

    key = env.get(API_KEY_VAR)
    api = Api.configure(
        base_url=base_url or None, env_api_key=key, env_base_url=env.get(BASE_URL_VAR)
    )
    # Configured: the key is the environment's (no argument gives one), and not empty.
    return key or "", api.base_url


def add_parser(commands: Any) -> None:
    """Adds the ``reconcile`` command to the command line's subparsers."""
    command = commands.add_parser(
        "reconcile",
        help="fetch overdue calls and run the events no delivery brought",
        description="Fetch the store's overdue calls from the OneInbox API and run, through "
        "the router's handlers, the events their snapshots show happened but no delivery "
        "brought (marked reconciled).",
    )
    add_store_arguments(command)
    command.add_argument(
        "--base-url",
        metavar="URL",
        help="the API (default: $ONEINBOX_BASE_URL, else https://api.oneinbox.ai)",
    )
    command.add_argument("--json", action="store_true", help="print the report as JSON")


def _text(report: Any) -> str:
    recovered = sum(report.recovered.values())
    kinds = ", ".join(f"{name} {n}" for name, n in sorted(report.recovered.items()))
    lines = [
        f"reconcile: checked {report.checked} call(s); recovered {recovered} event(s)"
        + (f" ({kinds})" if kinds else "")
        + f"; {len(report.missing)} call(s) still missing events; {len(report.errors)} error(s)"
    ]
    lines += [f"  {c}: still missing {', '.join(m)}" for c, m in sorted(report.missing.items())]
    lines += [f"  {c}: error: {e}" for c, e in sorted(report.errors.items())]
    lines += [f"  {key}: handler failed (due for the worker)" for key in report.failed]
    return "\n".join(lines)


def add_store_arguments(command: Any, *, required: bool = True) -> None:
    """``--store`` and ``--router``, for ``reconcile`` and ``doctor --reconcile``."""
    command.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("ONEINBOX_STORE_URL"),
        help="sqlite:///PATH, redis://..., postgresql://... (default: $ONEINBOX_STORE_URL)",
    )
    command.add_argument(
        "--router",
        metavar="MODULE:ATTRIBUTE",
        required=required,
        help="the Router, e.g. app:router",
    )


def run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    env: Mapping[str, str],
    call_ids: Optional[list[str]] = None,
) -> int:
    """The ``reconcile`` command: the exit status. ``call_ids`` (``doctor --reconcile``):
    reconcile exactly these calls."""
    from .inbox import reconcile

    try:
        key, base_url = api_settings(args.base_url, env)
        if not args.router:
            raise worker.WorkerError("--router is required")
        router = worker.load_router(args.router)
        store = worker.open_store(args.store)
        if not callable(getattr(store, "open_calls", None)):
            raise worker.WorkerError(f"--store: {type(store).__name__} cannot list open calls")
        from .client import Client

        client = Client(key, base_url=base_url)
    except UsageError as problem:
        for issue in problem.issues:
            print(f"{PROG}: error: {issue.message}", file=err)
        return 1
    except (worker.WorkerError, ImportError, ValueError) as problem:
        print(f"{PROG}: error: {problem}", file=err)
        return 1
    except Exception as problem:  # the store could not be opened (a bad path, a server down)
        print(f"{PROG}: error: {worker.redacted(problem, args.store)}", file=err)
        return 1
    try:
        report = reconcile(store, client, router, call_ids=call_ids)
    except Exception as problem:  # the store failed: could not run
        print(f"{PROG}: error: {worker.redacted(problem, args.store)}", file=err)
        return 1
    finally:
        client.close()
    text = json.dumps(report.to_dict(), separators=(",", ":"), ensure_ascii=False)
    print(text if args.json else _text(report), file=out)
    return 0
