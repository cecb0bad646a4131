"""FastAPI (and Starlette) adapter: ``pip install "oneinbox-webhooks[fastapi]"``.

::

    from fastapi import FastAPI
    from oneinbox_webhooks import CallEnded, Receiver, Router
    from oneinbox_webhooks.fastapi import webhook_router
    from oneinbox_webhooks.stores import SQLiteStore

    router = Router()

    @router.on("call.ended")
    async def ended(event: CallEnded) -> None:  # async handlers are awaited, sync ones threaded
        print(event.call_id, event.outcome)

    receiver = Receiver(url_tokens=[token])  # token: your secret URL token
    app = FastAPI()
    app.include_router(webhook_router(receiver, router, store=SQLiteStore("calls.sqlite3")))

The route takes the usual methods (405 for all but POST) and is left out of the OpenAPI schema. The
body is read from ``request.stream()``, up to the receiver's ``max_body_bytes`` (413 past it, or
at once from ``Content-Length``). Handlers still running when a delivery is answered 202 run on
the event loop (or in Starlette's thread pool) until they finish. See ``oneinbox_webhooks``'s
README for the answers to every case.
"""

from __future__ import annotations

from ._adapter import DEFAULT_ACK_TIMEOUT, DEFAULT_PATH, Webhook, missing_framework
from ._native import Receiver
from .router import Router
from .stores import Store

try:
    import fastapi
    from fastapi.concurrency import run_in_threadpool
except ModuleNotFoundError as _missing:  # pragma: no cover - the test venv has FastAPI
    if (_missing.name or "").split(".")[0] not in ("fastapi", "starlette"):
        raise
    raise missing_framework("FastAPI", "fastapi") from _missing

__all__ = ["webhook_router"]

# Every method reaches the endpoint, which answers 405 (Allow: POST) to all but POST.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _read(request: fastapi.Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is longer than ``limit``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def webhook_router(
    receiver: Receiver,
    router: Router,
    *,
    path: str = DEFAULT_PATH,
    store: Store | None = None,
    ack_timeout: float | None = DEFAULT_ACK_TIMEOUT,
    at_most_once: bool = False,
) -> fastapi.APIRouter:
    """An ``APIRouter`` with the webhook at ``path``: ``app.include_router(...)``.

    Deliveries are authenticated with ``receiver``, kept in ``store``'s inbox (at least once: a
    delivery whose handler raised is due again, and one whose handlers completed is answered 204
    without running them again; ``at_most_once=True`` only records it, so a failed handler is
    not run again) and dispatched with ``router``;
    handlers that take longer than ``ack_timeout`` seconds (``None``: no limit) are answered 202
    and go on running."""
    webhook = Webhook(
        receiver,
        router,
        store=store,
        ack_timeout=ack_timeout,
        at_most_once=at_most_once,
        framework="FastAPI",
        asynchronous=True,
    )

    async def oneinbox_webhook(request: fastapi.Request) -> fastapi.Response:
        headers = request.headers
        answer = webhook.precheck(
            request.method, headers.get("content-type"), headers.get("content-length")
        )
        if answer is None:
            try:
                body = await _read(request, webhook.max_body_bytes)
            except RuntimeError:  # Starlette's "Stream consumed"
                answer = webhook.body_unreadable(
                    "a middleware consumed request.stream(): read it with `await request.body()` "
                    "there instead (Starlette keeps that body for the route)"
                )
            else:
                answer = (
                    webhook.over_limit()
                    if body is None
                    else await webhook.respond_async(
                        body, headers, request.url.query, run_in_threadpool
                    )
                )
        return fastapi.Response(answer.body, answer.status, dict(answer.headers))

    api_router = fastapi.APIRouter()
    api_router.add_route(path, oneinbox_webhook, methods=_METHODS, include_in_schema=False)
    return api_router
