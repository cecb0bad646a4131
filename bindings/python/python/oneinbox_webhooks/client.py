# Partly generated: the blocks between @generated lines are written by `just generate`.
"""Clients that send the core's prepared requests with httpx, with retries that never do harm.

::

    from oneinbox_webhooks.client import Client

    with Client(api_key) as client:
        hook = client.create_webhook(name="Call events", url=url, events=["call.ended"])
        for delivery in client.iter_deliveries(hook.id):
            print(delivery.event, delivery.response_status)
        for call in client.iter_calls(status="completed"):
            print(call.id, call.outcome)

``api_key`` and ``base_url`` not given are read from the environment variables
``ONEINBOX_API_KEY`` and ``ONEINBOX_BASE_URL`` (the base URL defaults to
``https://api.oneinbox.ai``); with no key anywhere, or a bad value in a variable, the client
raises ``UsageError`` naming the argument and the variable.

``AsyncClient`` has the same methods, awaited (``async for`` over ``iter_deliveries``). httpx
is an optional dependency: ``pip install "oneinbox-webhooks[httpx]"``. Importing this module
never imports httpx; making a client without it raises ``ImportError``.

Every method builds its request with ``Api`` (so every argument rule is the core's, and a bad
argument raises ``UsageError`` before anything is sent), sends it, and returns
``parse_response(...)``: a ``Webhook``, ``list[Webhook]``, ``DeliveryPage``, ``Call``,
``CallPage`` or ``None``, or raises ``ApiError`` / ``ValidationError``.

Retries are the core's decision (``PreparedRequest.after_status`` and ``after_failure``, the
same driver the Node client and Rust use); each client only keeps the loop that asks it:

- a response is retried when the core says it is (``ApiError.retryable``): 408, 429 and 5xx for
  requests that can be sent twice, only 429 and 503 for ``create_webhook`` and ``create_call``;
- a connection that could not be opened at all (``httpx.ConnectError``, ``ConnectTimeout``,
  ``PoolTimeout``) sent nothing, so it is retried for every request; a failure after the request
  may have been sent (a lost connection, a read timeout) only for requests that can be sent
  twice. For ``create_webhook`` and ``create_call`` it raises ``TransportError`` whose message
  says the webhook or call may exist and how to check;
- the wait before retry ``n`` (from 0) is ``Retry-After`` when the response has one (at most
  ``RETRY_AFTER_CAP`` seconds), otherwise full jitter:
  ``random() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** n)``; at most ``max_retries`` retries.

The API key is only ever in the ``Authorization`` header: never in ``repr``, messages or logs
(retries are logged at INFO on the ``oneinbox_webhooks.client`` logger, without headers).
"""

from __future__ import annotations

import logging
import os
import random as _random
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from ._native import (
    API_KEY_VAR,
    BACKOFF_BASE,
    BACKOFF_CAP,
    BASE_URL_VAR,
    DEFAULT_MAX_RETRIES,
    RETRY_AFTER_CAP,
    Api,
    ApiError,
    Call,
    CallPage,
    Delivery,
    DeliveryPage,
    OneInboxError,
    PreparedRequest,
    RetryStep,
    Webhook,
    redact_url_token,
)

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "RETRY_AFTER_CAP",
    "AsyncClient",
    "Client",
    "TransportError",
]

INSTALL_HINT = 'pip install "oneinbox-webhooks[httpx]"'

_T = TypeVar("_T")
_log = logging.getLogger(__name__)


class TransportError(OneInboxError, ConnectionError):
    """No response: the connection failed or timed out. The httpx exception is not chained (it
    holds the request, ``Authorization`` header included); its type and message are in this
    one's.

    ``retryable`` says whether sending the request again is safe. It is ``False`` when a request
    that creates a webhook or a call may have reached OneInbox: the message then says the
    webhook or call may exist and how to check.
    """

    retryable: bool

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError as err:  # pragma: no cover - the test venv has httpx
        raise ImportError(
            f"oneinbox_webhooks.client needs httpx, an optional dependency: {INSTALL_HINT}"
        ) from err
    return httpx


def _not_sent(httpx: Any, err: BaseException) -> bool:
    """Whether the request never left: the connection could not be opened."""
    return isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class _Policy:
    """What both clients share: the ``Api``, the retry rules and the waits."""

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: int,
        random: Optional[Callable[[], float]],
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be an int >= 0")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be a number of seconds > 0, or None")
        # Not given: the environment's values; which wins and how they are checked is the
        # core's rule (Api.configure), as for every client.
        self._api = Api.configure(
            api_key=api_key,
            base_url=base_url,
            env_api_key=os.environ.get(API_KEY_VAR),
            env_base_url=os.environ.get(BASE_URL_VAR),
        )
        self._timeout = timeout
        self._max_retries = max_retries
        self._random: Callable[[], float] = random if random is not None else _random.random

    @property
    def api(self) -> Api:
        """The ``Api`` that builds this client's requests (with the same key and base URL)."""
        return self._api

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def max_retries(self) -> int:
        return self._max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._api.base_url!r}, api_key=[redacted])"

    def _after_status(
        self, prepared: PreparedRequest[Any], err: ApiError, attempt: int, headers: Any
    ) -> float:
        """The wait before sending again after ``err``, or raises it."""
        step = prepared.after_status(
            attempt, self._max_retries, err.status, headers, self._random()
        )
        if step.wait is None:
            raise err
        _log.info(
            "oneinbox: %s %s answered %d; retry %d of %d in %.2f s",
            prepared.method,
            redact_url_token(prepared.url),
            err.status,
            attempt + 1,
            self._max_retries,
            step.wait,
        )
        return step.wait

    def _after_transport(
        self, httpx: Any, prepared: PreparedRequest[Any], err: Exception, attempt: int
    ) -> float:
        """The wait before sending again after a failure without a response, or raises
        ``TransportError``."""
        cause = f"{type(err).__name__}: {err}".rstrip(": ")
        step: RetryStep = prepared.after_failure(
            attempt,
            self._max_retries,
            sent=not _not_sent(httpx, err),
            cause=cause,
            draw=self._random(),
        )
        if step.wait is None:
            raise TransportError(step.message or "no response", retryable=step.retryable)
        _log.info(
            "oneinbox: %s %s failed (%s); retry %d of %d in %.2f s",
            prepared.method,
            redact_url_token(prepared.url),
            type(err).__name__,
            attempt + 1,
            self._max_retries,
            step.wait,
        )
        return step.wait


class Client(_Policy):
    """The OneInbox management API over a synchronous ``httpx.Client``.

    ``http_client``: an ``httpx.Client`` you configured (proxies, transports, TLS, its own
    timeouts); the client sends with it and never closes it. Without it the client makes its
    own, with ``timeout`` (seconds, or ``None`` for none), and closes it in ``close()``.

    ``sleep`` and ``random`` replace ``time.sleep`` and ``random.random`` (tests pass a recorder
    and a seeded ``random.Random(...).random`` to see the waits without waiting).
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = 10.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: Optional[httpx.Client] = None,
        sleep: Optional[Callable[[float], object]] = None,
        random: Optional[Callable[[], float]] = None,
    ) -> None:
        hx = _import_httpx()
        super().__init__(api_key, base_url, timeout, max_retries, random)
        self._httpx = hx
        if http_client is None:
            self._http: httpx.Client = hx.Client(timeout=timeout)
            self._owns_http = True
        elif isinstance(http_client, hx.Client):
            self._http = http_client
            self._owns_http = False
        else:
            raise TypeError(f"http_client must be an httpx.Client, not {type(http_client)!r}")
        self._sleep: Callable[[float], object] = sleep if sleep is not None else time.sleep

    def close(self) -> None:
        """Closes the httpx client this client made (never one you passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def send(self, prepared: PreparedRequest[_T]) -> _T:
        """Sends a prepared request (retrying as the core allows) and parses its response."""
        attempt = 0
        while True:
            failure: Optional[Exception] = None
            try:
                # A redirect is never followed, whatever the http_client's setting: it would
                # re-send the API key and the body to the Location. A 3xx is an ApiError.
                response = self._http.request(
                    prepared.method,
                    prepared.url,
                    headers=prepared.headers,
                    content=prepared.body,
                    follow_redirects=False,
                )
            except self._httpx.TransportError as err:
                failure = err  # handled below, so that no error chains to it
            if failure is not None:
                wait = self._after_transport(self._httpx, prepared, failure, attempt)
            else:
                try:
                    return prepared.parse_response(response.status_code, response.content)
                except ApiError as err:
                    wait = self._after_status(prepared, err, attempt, response.headers)
            self._sleep(wait)
            attempt += 1

    def iter_deliveries(
        self, webhook_id: str, *, limit: Optional[int] = None
    ) -> Iterator[Delivery]:
        """Every delivery of the webhook, most recent first, fetching each page (of ``limit``)
        only when the one before is used up. The arguments are checked at once."""
        first = self._api.list_deliveries(webhook_id, limit=limit)

        def pages() -> Iterator[Delivery]:
            prepared: Optional[PreparedRequest[DeliveryPage]] = first
            while prepared is not None:
                page = self.send(prepared)
                yield from page.items
                prepared = prepared.next_page(page)

        return pages()

    def iter_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Iterator[Call]:
        """Every call that matches the filters, most recent first (from ``offset``), fetching
        each page (of ``limit``) only when the one before is used up. The arguments are checked
        at once."""
        first = self._api.list_calls(agent_id=agent_id, status=status, limit=limit, offset=offset)

        def pages() -> Iterator[Call]:
            prepared: Optional[PreparedRequest[CallPage]] = first
            while prepared is not None:
                page = self.send(prepared)
                yield from page.items
                prepared = prepared.next_page(page)

        return pages()

    # @generated begin: Client methods (just generate, from the core's management/contract.rs)
    def create_webhook(
        self,
        *,
        name: str,
        url: str,
        events: list[str],
    ) -> Webhook:
        """``POST /v1/webhooks``: Creates a webhook; the response is the new webhook, with its
        secret. Never sent again after an answer that leaves open whether it was done."""
        prepared = self._api.create_webhook(
            name=name,
            url=url,
            events=events,
        )
        return self.send(prepared)

    def list_webhooks(self) -> list[Webhook]:
        """``GET /v1/webhooks``: Lists the account's webhooks."""
        return self.send(self._api.list_webhooks())

    def update_webhook(
        self,
        webhook_id: str,
        *,
        name: Optional[str] = None,
        url: Optional[str] = None,
        events: Optional[list[str]] = None,
        status: Optional[str] = None,
    ) -> Webhook:
        """``PATCH /v1/webhooks/{webhook_id}``: Changes the fields given (at least one); the
        response is the webhook."""
        prepared = self._api.update_webhook(
            webhook_id,
            name=name,
            url=url,
            events=events,
            status=status,
        )
        return self.send(prepared)

    def delete_webhook(
        self,
        webhook_id: str,
    ) -> None:
        """``DELETE /v1/webhooks/{webhook_id}``: Deletes a webhook for good."""
        prepared = self._api.delete_webhook(
            webhook_id,
        )
        self.send(prepared)

    def test_webhook(
        self,
        webhook_id: str,
    ) -> None:
        """``POST /v1/webhooks/{webhook_id}/test``: Asks OneInbox to send a sample delivery to
        the webhook's URL. Never sent again after an answer that leaves open whether it was
        done."""
        prepared = self._api.test_webhook(
            webhook_id,
        )
        self.send(prepared)

    def list_deliveries(
        self,
        webhook_id: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> DeliveryPage:
        """``GET /v1/webhooks/{webhook_id}/deliveries``: One page of the webhook's delivery
        history, most recent first."""
        prepared = self._api.list_deliveries(
            webhook_id,
            limit=limit,
            offset=offset,
        )
        return self.send(prepared)

    def create_call(
        self,
        *,
        agent_id: str,
        to_number: str,
        from_number: str,
        scheduled_at: Optional[str] = None,
        variables: Optional[Mapping[str, Any]] = None,
        webhook_url: Optional[str] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Call:
        """``POST /v1/calls``: Places an outbound call; the response is the new call. Never sent
        again after an answer that leaves open whether it was done."""
        prepared = self._api.create_call(
            agent_id=agent_id,
            to_number=to_number,
            from_number=from_number,
            scheduled_at=scheduled_at,
            variables=variables,
            webhook_url=webhook_url,
            overrides=overrides,
            metadata=metadata,
        )
        return self.send(prepared)

    def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> CallPage:
        """``GET /v1/calls``: One page of the account's calls, most recent first."""
        prepared = self._api.list_calls(
            agent_id=agent_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return self.send(prepared)

    def get_call(
        self,
        call_id: str,
    ) -> Call:
        """``GET /v1/calls/{call_id}``: The call as OneInbox has it now: status, times,
        transcript, analysis."""
        prepared = self._api.get_call(
            call_id,
        )
        return self.send(prepared)

    # @generated end: Client methods


class AsyncClient(_Policy):
    """``Client`` over an ``httpx.AsyncClient``: the same methods, awaited, and
    ``async for delivery in client.iter_deliveries(webhook_id)``.

    ``sleep`` replaces ``asyncio.sleep`` (an ``async`` function taking seconds).
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = 10.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: Optional[httpx.AsyncClient] = None,
        sleep: Optional[Callable[[float], Awaitable[object]]] = None,
        random: Optional[Callable[[], float]] = None,
    ) -> None:
        hx = _import_httpx()
        super().__init__(api_key, base_url, timeout, max_retries, random)
        self._httpx = hx
        if http_client is None:
            self._http: httpx.AsyncClient = hx.AsyncClient(timeout=timeout)
            self._owns_http = True
        elif isinstance(http_client, hx.AsyncClient):
            self._http = http_client
            self._owns_http = False
        else:
            raise TypeError(f"http_client must be an httpx.AsyncClient, not {type(http_client)!r}")
        if sleep is None:
            import asyncio  # here, so that the synchronous client never imports asyncio

            sleep = asyncio.sleep
        self._sleep: Callable[[float], Awaitable[object]] = sleep

    async def aclose(self) -> None:
        """Closes the httpx client this client made (never one you passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    async def send(self, prepared: PreparedRequest[_T]) -> _T:
        """Sends a prepared request (retrying as the core allows) and parses its response."""
        attempt = 0
        while True:
            failure: Optional[Exception] = None
            try:
                response = await self._http.request(
                    prepared.method,
                    prepared.url,
                    headers=prepared.headers,
                    content=prepared.body,
                    follow_redirects=False,  # never: see Client.send
                )
            except self._httpx.TransportError as err:
                failure = err  # handled below, so that no error chains to it
            if failure is not None:
                wait = self._after_transport(self._httpx, prepared, failure, attempt)
            else:
                try:
                    return prepared.parse_response(response.status_code, response.content)
                except ApiError as err:
                    wait = self._after_status(prepared, err, attempt, response.headers)
            await self._sleep(wait)
            attempt += 1

    def iter_deliveries(
        self, webhook_id: str, *, limit: Optional[int] = None
    ) -> AsyncIterator[Delivery]:
        """Every delivery of the webhook (``async for``), most recent first, fetching each page
        only when the one before is used up. The arguments are checked at once."""
        first = self._api.list_deliveries(webhook_id, limit=limit)

        async def pages() -> AsyncIterator[Delivery]:
            prepared: Optional[PreparedRequest[DeliveryPage]] = first
            while prepared is not None:
                page = await self.send(prepared)
                for delivery in page.items:
                    yield delivery
                prepared = prepared.next_page(page)

        return pages()

    def iter_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> AsyncIterator[Call]:
        """Every call that matches the filters (``async for``), most recent first (from
        ``offset``), fetching each page only when the one before is used up. The arguments are
        checked at once."""
        first = self._api.list_calls(agent_id=agent_id, status=status, limit=limit, offset=offset)

        async def pages() -> AsyncIterator[Call]:
            prepared: Optional[PreparedRequest[CallPage]] = first
            while prepared is not None:
                page = await self.send(prepared)
                for call in page.items:
                    yield call
                prepared = prepared.next_page(page)

        return pages()

    # @generated begin: AsyncClient methods (just generate, from the core's management/contract.rs)
    async def create_webhook(
        self,
        *,
        name: str,
        url: str,
        events: list[str],
    ) -> Webhook:
        """``POST /v1/webhooks``: Creates a webhook; the response is the new webhook, with its
        secret. Never sent again after an answer that leaves open whether it was done."""
        prepared = self._api.create_webhook(
            name=name,
            url=url,
            events=events,
        )
        return await self.send(prepared)

    async def list_webhooks(self) -> list[Webhook]:
        """``GET /v1/webhooks``: Lists the account's webhooks."""
        return await self.send(self._api.list_webhooks())

    async def update_webhook(
        self,
        webhook_id: str,
        *,
        name: Optional[str] = None,
        url: Optional[str] = None,
        events: Optional[list[str]] = None,
        status: Optional[str] = None,
    ) -> Webhook:
        """``PATCH /v1/webhooks/{webhook_id}``: Changes the fields given (at least one); the
        response is the webhook."""
        prepared = self._api.update_webhook(
            webhook_id,
            name=name,
            url=url,
            events=events,
            status=status,
        )
        return await self.send(prepared)

    async def delete_webhook(
        self,
        webhook_id: str,
    ) -> None:
        """``DELETE /v1/webhooks/{webhook_id}``: Deletes a webhook for good."""
        prepared = self._api.delete_webhook(
            webhook_id,
        )
        await self.send(prepared)

    async def test_webhook(
        self,
        webhook_id: str,
    ) -> None:
        """``POST /v1/webhooks/{webhook_id}/test``: Asks OneInbox to send a sample delivery to
        the webhook's URL. Never sent again after an answer that leaves open whether it was
        done."""
        prepared = self._api.test_webhook(
            webhook_id,
        )
        await self.send(prepared)

    async def list_deliveries(
        self,
        webhook_id: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> DeliveryPage:
        """``GET /v1/webhooks/{webhook_id}/deliveries``: One page of the webhook's delivery
        history, most recent first."""
        prepared = self._api.list_deliveries(
            webhook_id,
            limit=limit,
            offset=offset,
        )
        return await self.send(prepared)

    async def create_call(
        self,
        *,
        agent_id: str,
        to_number: str,
        from_number: str,
        scheduled_at: Optional[str] = None,
        variables: Optional[Mapping[str, Any]] = None,
        webhook_url: Optional[str] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Call:
        """``POST /v1/calls``: Places an outbound call; the response is the new call. Never sent
        again after an answer that leaves open whether it was done."""
        prepared = self._api.create_call(
            agent_id=agent_id,
            to_number=to_number,
            from_number=from_number,
            scheduled_at=scheduled_at,
            variables=variables,
            webhook_url=webhook_url,
            overrides=overrides,
            metadata=metadata,
        )
        return await self.send(prepared)

    async def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> CallPage:
        """``GET /v1/calls``: One page of the account's calls, most recent first."""
        prepared = self._api.list_calls(
            agent_id=agent_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return await self.send(prepared)

    async def get_call(
        self,
        call_id: str,
    ) -> Call:
        """``GET /v1/calls/{call_id}``: The call as OneInbox has it now: status, times,
        transcript, analysis."""
        prepared = self._api.get_call(
            call_id,
        )
        return await self.send(prepared)

    # @generated end: AsyncClient methods
