"""Django adapter: ``pip install "oneinbox-webhooks[django]"``.

::

    # urls.py
    from django.urls import path
    from oneinbox_webhooks import CallEnded, Receiver, Router
    from oneinbox_webhooks.django import webhook_view
    from oneinbox_webhooks.stores import SQLiteStore

    router = Router()

    @router.on("call.ended")
    def ended(event: CallEnded) -> None:
        print(event.call_id, event.outcome)

    receiver = Receiver(url_tokens=[token])  # token: your secret URL token
    store = SQLiteStore("calls.sqlite3")
    urlpatterns = [path("webhooks/oneinbox", webhook_view(receiver, router, store=store))]

The view is exempt from CSRF protection (the delivery authenticates itself) and reads
``request.body``. The handlers of each delivery run in a thread of their own, so that a delivery
whose handlers take longer than ``ack_timeout`` is answered 202 while they finish (``async def``
handlers run in an event loop of that thread). See ``oneinbox_webhooks``'s README for the answers
to every case.
"""

from __future__ import annotations

from typing import Callable

from ._adapter import DEFAULT_ACK_TIMEOUT, Webhook, missing_framework
from ._native import Receiver
from .router import Router
from .stores import Store

try:
    from django.core.exceptions import RequestDataTooBig
    from django.http import HttpRequest, HttpResponse
    from django.http.request import RawPostDataException
    from django.views.decorators.csrf import csrf_exempt
except ModuleNotFoundError as _missing:  # pragma: no cover - the test venv has Django
    if (_missing.name or "").split(".")[0] != "django":
        raise
    raise missing_framework("Django", "django") from _missing

__all__ = ["webhook_view"]


def webhook_view(
    receiver: Receiver,
    router: Router,
    *,
    store: Store | None = None,
    ack_timeout: float | None = DEFAULT_ACK_TIMEOUT,
    at_most_once: bool = False,
) -> Callable[[HttpRequest], HttpResponse]:
    """A CSRF-exempt view for ``urlpatterns``.

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
        framework="Django",
        asynchronous=False,
    )

    @csrf_exempt
    def oneinbox_webhook(request: HttpRequest) -> HttpResponse:
        meta = request.META
        answer = webhook.precheck(
            request.method, meta.get("CONTENT_TYPE"), meta.get("CONTENT_LENGTH")
        )
        if answer is None:
            try:
                body = request.body
            except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE
                answer = webhook.over_limit()
            except RawPostDataException:
                answer = webhook.body_unreadable(
                    "a middleware read request.POST or the request stream first: read "
                    "request.body there instead (Django keeps it for the view)"
                )
            else:
                answer = webhook.respond(body, request.headers, meta.get("QUERY_STRING", ""))
        response = HttpResponse(answer.body, status=answer.status)
        if not answer.body:
            del response["Content-Type"]
        for name, value in answer.headers:
            response[name] = value
        # Django logs every 4xx and 5xx answer on `django.request` with the request (whose repr
        # and error reports show the query string, so the URL token); this view logs its own.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return oneinbox_webhook
