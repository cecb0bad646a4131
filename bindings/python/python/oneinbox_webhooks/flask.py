"""Flask adapter: ``pip install "oneinbox-webhooks[flask]"``.

::

    from flask import Flask
    from oneinbox_webhooks import CallEnded, Receiver, Router
    from oneinbox_webhooks.flask import webhook_blueprint
    from oneinbox_webhooks.stores import SQLiteStore

    router = Router()

    @router.on("call.ended")
    def ended(event: CallEnded) -> None:
        print(event.call_id, event.outcome)

    receiver = Receiver(url_tokens=[token])  # token: your secret URL token
    app = Flask(__name__)
    app.register_blueprint(webhook_blueprint(receiver, router, store=SQLiteStore("calls.sqlite3")))

The body is read from ``request.stream``, at most the receiver's ``max_body_bytes`` plus one byte
(413 past it, chunked bodies without ``Content-Length`` included). The blueprint is named
``oneinbox_webhooks`` (``app.register_blueprint(bp, name=...)`` mounts a
second one). The handlers of each delivery run in a thread of their own, so that a delivery whose
handlers take longer than ``ack_timeout`` is answered 202 while they finish (``async def``
handlers run in an event loop of that thread). See ``oneinbox_webhooks``'s README for the answers
to every case.
"""

from __future__ import annotations

from typing import Any

from ._adapter import DEFAULT_ACK_TIMEOUT, DEFAULT_PATH, Webhook, missing_framework
from ._native import Receiver
from .router import Router
from .stores import Store

try:
    import flask
except ModuleNotFoundError as _missing:  # pragma: no cover - the test venv has Flask
    if (_missing.name or "").split(".")[0] not in ("flask", "werkzeug"):
        raise
    raise missing_framework("Flask", "flask") from _missing

__all__ = ["webhook_blueprint"]

_CHUNK = 64 * 1024

# Every method reaches the view, which answers 405 (Allow: POST) to all but POST.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _read(stream: Any, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is longer than ``limit``: at most ``limit + 1``
    bytes are read, whether the request has a ``Content-Length`` or is chunked."""
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    return None


def webhook_blueprint(
    receiver: Receiver,
    router: Router,
    *,
    path: str = DEFAULT_PATH,
    store: Store | None = None,
    ack_timeout: float | None = DEFAULT_ACK_TIMEOUT,
    at_most_once: bool = False,
) -> flask.Blueprint:
    """A ``Blueprint`` with the webhook at ``path``: ``app.register_blueprint(...)``.

    Deliveries are authenticated with ``receiver``, kept in ``store``'s inbox (at least once: a
    delivery whose handler raised is due again, and one whose handlers completed is answered 204
    without running them again; ``at_most_once=True`` only records it, so a failed handler is
    not run again) and dispatched with ``router``;
    handlers that take longer than ``ack_timeout`` seconds (``None``: no limit, and no thread)
    are answered 202 and go on running."""
    webhook = Webhook(
        receiver,
        router,
        store=store,
        ack_timeout=ack_timeout,
        at_most_once=at_most_once,
        framework="Flask",
        asynchronous=False,
    )

    def oneinbox_webhook() -> flask.Response:
        request = flask.request
        answer = webhook.precheck(
            request.method,
            request.headers.get("Content-Type"),
            request.headers.get("Content-Length"),
        )
        if answer is None:
            body = _read(request.stream, webhook.max_body_bytes)
            answer = (
                webhook.over_limit()
                if body is None
                else webhook.respond(body, request.headers, request.query_string.decode("latin-1"))
            )
        response = flask.Response(answer.body, answer.status, list(answer.headers))
        if not answer.body:
            del response.headers["Content-Type"]
        return response

    blueprint = flask.Blueprint("oneinbox_webhooks", __name__)
    blueprint.add_url_rule(
        path, view_func=oneinbox_webhook, methods=_METHODS, provide_automatic_options=False
    )
    return blueprint
