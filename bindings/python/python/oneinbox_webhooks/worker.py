"""``python -m oneinbox_webhooks worker``: run every due delivery, again and again.

::

    python -m oneinbox_webhooks worker --store sqlite:///var/lib/app/calls.sqlite3 \\
        --router app.webhooks:router

Loops :func:`oneinbox_webhooks.inbox.drain` over the store every ``--interval`` seconds: each
delivery whose handler failed (once its backoff has passed) or whose process died mid-run (once
its lease has run out) runs again through the router's handlers, until done or dead. Done
deliveries older than ``--retention`` seconds (default 7 days) are pruned; the calls' records
stay. SIGTERM or SIGINT stops it after the delivery it is running. It prints one line for each
round that did something (``done``, ``failed``, ``dead`` counts), never the store URL (it may
hold a password).

Store URLs: ``sqlite:///path/to/file`` (``SQLiteStore``; four slashes for an absolute path),
``redis://…`` or ``rediss://…`` (``RedisStore`` over ``redis.Redis.from_url``),
``postgresql://…`` (``PostgresStore``). ``--router module:attribute`` names a ``Router``; the
current directory is importable, as with uvicorn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import urllib.parse
from types import FrameType
from typing import Any, Callable, Optional, TextIO

from .router import Router

__all__ = ["add_parser", "open_store", "run"]


class WorkerError(Exception):
    """A bad ``--store`` or ``--router`` (printed, exit status 2)."""


def add_parser(commands: Any) -> None:
    """Adds the ``worker`` command to the command line's subparsers."""
    worker = commands.add_parser(
        "worker",
        help="run every due delivery (failed, or left by a dead process) until stopped",
        description="Run the inbox's due deliveries through a router's handlers, every "
        "INTERVAL seconds, until SIGTERM or SIGINT.",
    )
    worker.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("ONEINBOX_STORE_URL"),
        help="sqlite:///PATH, redis://..., postgresql://... (default: $ONEINBOX_STORE_URL)",
    )
    worker.add_argument(
        "--router", metavar="MODULE:ATTRIBUTE", required=True, help="the Router, e.g. app:router"
    )
    worker.add_argument(
        "--interval", type=float, default=1.0, metavar="SECONDS", help="between rounds (1)"
    )
    worker.add_argument("--limit", type=int, default=100, metavar="N", help="per round (100)")
    worker.add_argument(
        "--retention",
        type=float,
        metavar="SECONDS",
        help="prune done deliveries older than this (default 7 days)",
    )
    worker.add_argument("--once", action="store_true", help="one round, then exit")


def load_router(spec: str) -> Router:
    """The ``Router`` named ``module:attribute``."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise WorkerError(f"--router must be MODULE:ATTRIBUTE, got {spec!r}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise WorkerError(f"--router: cannot import {module_name!r}: {err}") from err
    router = getattr(module, attribute, None)
    if not isinstance(router, Router):
        raise WorkerError(
            f"--router: {spec!r} is {type(router).__name__}, not a oneinbox_webhooks Router"
        )
    return router


def open_store(url: Optional[str]) -> Any:
    """The store a URL names. The URL is never part of an error (it may hold a password)."""
    if not url:
        raise WorkerError("--store URL is required (or $ONEINBOX_STORE_URL)")
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        from .stores import SQLiteStore

        path = url[len("sqlite://") :] if url.startswith("sqlite://") else ""
        if not path.startswith("/") or path == "/":
            raise WorkerError("--store: a SQLite URL is sqlite:///relative/path or sqlite:////abs")
        return SQLiteStore(path[1:])
    if scheme in ("redis", "rediss", "unix"):
        try:
            import redis
        except ImportError as err:
            raise WorkerError("--store: a Redis URL needs the redis package") from err
        from .stores import RedisStore

        return RedisStore(redis.Redis.from_url(url))
    if scheme in ("postgres", "postgresql"):
        from . import stores

        postgres: Optional[Callable[[str], Any]] = getattr(stores, "PostgresStore", None)
        if postgres is None:
            raise WorkerError("--store: this version has no PostgresStore")
        return postgres(url)
    raise WorkerError(f"--store: unknown scheme {scheme!r} (sqlite, redis, postgresql)")


def redacted(error: Exception, url: str) -> str:
    """``error``'s class and message, with the store URL's password (and the URL) taken out."""
    text = f"{type(error).__name__}: {error}"
    password = urllib.parse.urlsplit(url).password
    for secret in filter(None, (url, password, password and urllib.parse.unquote(password))):
        text = text.replace(secret, "[redacted]")
    return text


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The ``worker`` command: the exit status."""
    # Imported here: `python -m oneinbox_webhooks send` does not load the inbox (nor asyncio).
    from .inbox import DEFAULT_RETENTION, drain

    if args.retention is None:
        args.retention = DEFAULT_RETENTION
    try:
        if not (args.interval > 0 and args.limit >= 1 and args.retention >= 0):
            raise WorkerError("--interval must be > 0, --limit >= 1 and --retention >= 0")
        router = load_router(args.router)
        store = open_store(args.store)
        if not callable(getattr(store, "due", None)):
            raise WorkerError(f"--store: {type(store).__name__} keeps no inbox to drain")
    except WorkerError as problem:
        print(f"python -m oneinbox_webhooks worker: error: {problem}", file=err)
        return 2
    err_out = err
    stop = threading.Event()

    def stopping(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    previous = {
        sig: signal.signal(sig, stopping)
        for sig in (signal.SIGTERM, signal.SIGINT)
        if threading.current_thread() is threading.main_thread()
    }
    try:
        while not stop.is_set():
            try:
                report = drain(store, router, limit=args.limit, retention=args.retention)
            except Exception as err:  # the store is down: say so (never its URL), and go on
                print(
                    f"worker: drain failed: {redacted(err, args.store)}", file=err_out, flush=True
                )
                if args.once:
                    return 1
                stop.wait(args.interval)
                continue
            if report:
                print(
                    f"worker: {len(report.done)} done, {len(report.failed)} failed, "
                    f"{len(report.dead)} dead",
                    file=out,
                    flush=True,
                )
            if args.once:
                break
            stop.wait(args.interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close = getattr(store, "close", None)
        if callable(close):
            close()
    return 0
