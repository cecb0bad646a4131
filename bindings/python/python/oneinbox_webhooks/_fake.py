"""``FakeOneInbox``: the core's fake OneInbox management API (``_native.FakeOneInbox``, a state
machine: request in, answer out), served without a socket (an ``httpx.MockTransport``) or on a
loopback port (``_fake_server``). Every answer, id, 401/404/422 and fault is the core's; this
file adds the clock, the seed and the waits of the clients it makes."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _native, _play
from ._fake_server import FakeServer
from ._play import Faults

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

    from .client import AsyncClient, Client


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received. The ``Authorization`` header is not kept, only whether it
    carried the fake's key."""

    method: str
    path: str
    query: str
    body: Optional[bytes]
    authorized: bool

    def json(self) -> Any:
        """The body parsed as JSON (``None`` without a body)."""
        return None if self.body is None else json.loads(self.body)


@dataclass(frozen=True)
class FakeResponse:
    """An answer of the fake: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


class FakeOneInbox(_play.Playing):
    """An in-memory OneInbox management API for tests, with the real request and response
    shapes and errors.

    State: webhooks (``wh_…`` ids, a ``whsec_…`` secret, ``status`` ``active``), their delivery
    history (``test_webhook`` records one; ``add_delivery`` adds more; newest first, paged by
    ``limit``/``offset``), and calls (``POST /v1/calls``, kept with the webhook URL each was given;
    read back with ``GET /v1/calls/{id}`` and ``GET /v1/calls``, newest first).
    Every request needs ``Authorization: Bearer <api_key>`` (401 otherwise).

    Reach it without a socket through ``transport()`` (an ``httpx.MockTransport``),
    ``client()`` / ``async_client()``, or ``handle(...)``; or over HTTP with ``serve()``.
    ``fail_next`` and ``disconnect_next`` inject failures. Thread-safe.

    It plays calls: a call created (``POST /v1/calls``, or ``play_call``) has its events
    scheduled on the fake's clock, to its ``webhook_url`` and every active webhook subscribed
    to them, signed with ``signing_secret`` when given, with seeded ``faults`` and retries
    (10 s, 1 min, 5 min, 30 min, 2 h); ``settle()`` sends them over HTTP, moving the clock.
    The clock is the wall clock, or ``start`` (Unix seconds) that only ``settle()`` moves: two
    fakes with the same ``seed`` and ``start`` play the same calls byte for byte.
    """

    def __init__(
        self,
        api_key: str = "oi_sk_test_fake",
        *,
        seed: Optional[int] = None,
        faults: Optional[Faults] = None,
        signing_secret: Optional[str] = None,
        start: Optional[float] = None,
    ) -> None:
        self._api_key = api_key
        seed = secrets.randbits(64) if seed is None else seed
        self._machine = _native.FakeOneInbox(api_key, seed)
        f = faults or Faults()
        self._machine.set_faults(f.drop, f.duplicate, f.shuffle, f.delay, f.max_delay_ms)
        self._machine.set_signing_secret(signing_secret)
        if start is not None and (isinstance(start, bool) or not isinstance(start, (int, float))):
            raise TypeError(f"start must be Unix seconds (a number), got {type(start).__name__}")
        self._clock = _play.Clock(None if start is None else int(start * 1000))
        self._sleeps: list[float] = []
        self._server: Optional[FakeServer] = None

    def __repr__(self) -> str:
        url = f", url={self.url!r}" if self.url else ""
        return (
            f"FakeOneInbox(webhooks={len(self.webhooks)}, calls={len(self.calls)}, "
            f"requests={len(self._machine.requests())}{url}, api_key=[redacted])"
        )

    @property
    def api_key(self) -> str:
        """The key the fake accepts (pass it to your client)."""
        return self._api_key

    # ---- state ----------------------------------------------------------------------------

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        """The webhooks, oldest first, as the API shows them (copies)."""
        return self._machine.webhooks()

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The calls created, oldest first: the API's call object plus its webhook URL."""
        return self._machine.calls()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (failed and unauthorized ones too)."""
        return [RecordedRequest(*r) for r in self._machine.requests()]

    @property
    def sleeps(self) -> list[float]:
        """The waits (seconds) that clients from ``client()`` / ``async_client()`` asked for;
        they return at once instead of sleeping."""
        return list(self._sleeps)

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        """The delivery history of a webhook, newest first (copies); ``KeyError`` if unknown."""
        history = self._machine.deliveries(webhook_id)
        if history is None:
            raise KeyError(webhook_id)
        return history

    def add_delivery(
        self,
        webhook_id: str,
        *,
        event: str = "call.ended",
        status: str = "succeeded",
        response_status: Optional[int] = 200,
        **fields: Any,
    ) -> dict[str, Any]:
        """Adds a record to a webhook's delivery history (it becomes the newest) and returns it;
        ``fields`` set or add members. ``KeyError`` for an unknown webhook."""
        fields = {"event": event, "status": status, "response_status": response_status, **fields}
        record = self._machine.add_delivery(webhook_id, fields, self._clock.now_ms() // 1000)
        if record is None:
            raise KeyError(webhook_id)
        return record

    # ---- faults ---------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: Union[float, str, None] = None,
        body: Union[bytes, str, Mapping[str, Any], None] = None,
        processed: bool = False,
    ) -> None:
        """The next ``times`` requests (whatever their endpoint) are answered with ``status``,
        an error status from 400 to 599, and ``body`` (default ``{"detail": "<reason>"}``),
        with a ``Retry-After`` header when given. ``processed=True`` carries each request out
        first (the webhook or call then exists), as when a gateway times out after the backend
        did the work. ``UsageError`` for a status outside 400 to 599 or ``times`` below 1."""
        if isinstance(body, (bytes, bytearray)):
            raw: Optional[bytes] = bytes(body)
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = None if body is None else json.dumps(dict(body)).encode()
        self._machine.fail_next(status, times, retry_after, raw, processed)

    def disconnect_next(self, *, times: int = 1, processed: bool = False) -> None:
        """The next ``times`` requests get no answer: the connection closes (through
        ``transport()``, httpx raises ``RemoteProtocolError``). ``processed=True`` carries each
        request out first, so the webhook or call exists although the client saw no answer."""
        self._machine.disconnect_next(times, processed)

    # ---- requests -------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        target: str,
        headers: Union[Mapping[str, str], Iterable[tuple[str, str]]],
        body: Optional[bytes] = None,
    ) -> Optional[FakeResponse]:
        """Answers one request (``target``: the path and query, or a whole URL). ``None``
        means the connection closes without an answer (``disconnect_next``)."""
        answer = self._answer(method, target, headers, body)
        return None if answer is None else FakeResponse(answer[0], dict(answer[1]), answer[2])

    def _answer(
        self,
        method: str,
        target: str,
        headers: Union[Mapping[str, str], Iterable[tuple[str, str]]],
        body: Optional[bytes],
    ) -> Optional[tuple[int, list[tuple[str, str]], bytes]]:
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
        now = self._clock.now_ms() // 1000
        return self._machine.handle(method, target, pairs, body or None, now)

    # ---- without a socket -----------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` answering from this fake (for ``httpx.Client`` and
        ``httpx.AsyncClient`` alike): ``httpx.Client(transport=fake.transport())``."""
        import httpx as hx

        def answer(request: httpx.Request) -> httpx.Response:
            raw_path = request.url.raw_path.decode("ascii")
            got = self._answer(
                request.method, raw_path, request.headers.multi_items(), request.content
            )
            if got is None:
                raise hx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            response: httpx.Response = hx.Response(got[0], headers=got[1], content=got[2])
            return response

        transport: httpx.MockTransport = hx.MockTransport(answer)
        return transport

    def client(self, **options: Any) -> Client:
        """A ``Client`` with this fake's key whose requests go to the fake through
        ``transport()``; its waits are recorded in ``sleeps`` instead of slept. ``options``
        go to ``Client`` (``max_retries=``, ``random=``, ``sleep=``...). Its httpx client holds
        no connection (the transport is in memory), so nothing is left to close."""
        import httpx

        from .client import Client

        options.setdefault("sleep", self._sleeps.append)
        http = httpx.Client(transport=self.transport())
        return Client(self._api_key, http_client=http, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """``client()`` for asyncio: an ``AsyncClient`` over ``transport()``."""
        import httpx

        from .client import AsyncClient

        async def record(seconds: float) -> None:
            self._sleeps.append(seconds)

        options.setdefault("sleep", record)
        http = httpx.AsyncClient(transport=self.transport())
        return AsyncClient(self._api_key, http_client=http, **options)

    # ---- over HTTP ------------------------------------------------------------------------

    @property
    def url(self) -> Optional[str]:
        """The base URL while ``serve()`` runs, else ``None``."""
        return None if self._server is None else self._server.url

    def serve(self, port: int = 0, *, host: str = "127.0.0.1") -> str:
        """Listens on ``host``:``port`` (0: a free port) in a thread and returns the base URL
        (``http://127.0.0.1:PORT``), for any HTTP client: ``Client(fake.api_key,
        base_url=url)``. ``close()`` stops it."""
        if self._server is not None:
            raise RuntimeError("FakeOneInbox is already serving at " + self._server.url)
        self._server = FakeServer((host, port), self._answer)
        return self._server.url

    def close(self) -> None:
        """Stops ``serve()`` (nothing to do otherwise)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
