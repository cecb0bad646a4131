"""Test your webhook handler and your management code without OneInbox.

Deliveries, as OneInbox makes them (the bodies come from the core, so they are exactly the
guide's payloads and valid in strict mode)::

    from oneinbox_webhooks.testing import make_call, make_delivery, make_event

    body = make_event("call.ended", call_id="call_1", outcome="Not Interested")
    delivery = make_delivery(body, url="https://example.com/hook", url_token=token,
                             signing_secret="whsec_...")
    response = test_client.post(delivery.url, content=delivery.body, headers=delivery.headers)

    for body in make_call():  # the events of one connected call, in the order they are sent
        ...

A fake OneInbox management API, in memory, with state and the real answers::

    from oneinbox_webhooks.testing import FakeOneInbox

    fake = FakeOneInbox()
    with fake.client() as client:  # a Client whose requests go to the fake, without a socket
        hook = client.create_webhook(name="n", url="https://example.com/h", events=["call.ended"])
        fake.fail_next(502)  # the next answer is a 502
        client.list_webhooks()  # retried: the fake answers 502, then the list
    assert fake.sleeps == [...] and len(fake.webhooks) == 1

    url = fake.serve()  # or over HTTP on a loopback port, for any client
    ...
    fake.close()

The fake checks request bodies with the core's own argument rules (the ``Api`` builders) and
answers a bad one with a FastAPI-style 422; an unknown id gets 404 ``{"detail": "Webhook not
found"}``, a missing or wrong API key 401.
"""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import secrets as _secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import parse_qsl, unquote, urlsplit

from . import _native
from ._native import Api, Secret, UsageError, redact_url_token

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

    from .client import AsyncClient, Client

__all__ = [
    "CALL_SEQUENCE",
    "Delivery",
    "FakeOneInbox",
    "FakeResponse",
    "RecordedRequest",
    "make_call",
    "make_delivery",
    "make_event",
]


CALL_SEQUENCE: tuple[str, ...] = tuple(_native.CALL_SEQUENCE)
"""The events ``make_call`` gives, in order: those of one connected call."""


# ---- factories ----------------------------------------------------------------------------


def make_event(event: str, **overrides: Any) -> bytes:
    """The body of one ``event`` delivery: the guide's payload for it (valid in strict mode),
    with ``overrides`` set by wire name (``call_id="call_1"``, ``outcome=None``, a new member).
    ``UsageError`` for a name that is not one of the seven documented events."""
    return _native.make_event(event, overrides or None)


def make_call(call_id: Optional[str] = None) -> list[bytes]:
    """The bodies of one connected call's deliveries (``CALL_SEQUENCE``), all with ``call_id``
    (a new ``call_…`` id when ``None``)."""
    return _native.make_call(call_id if call_id is not None else _new_id("call"))


@dataclass(frozen=True, repr=False)
class Delivery:
    """One delivery as OneInbox makes it: POST ``body`` to ``url`` with ``headers``.

    ``headers`` has ``content-type: application/json`` and, for a signed delivery, the Standard
    Webhooks ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``; ``url`` carries
    the URL token when there is one (its ``repr`` does not).
    """

    body: bytes
    headers: dict[str, str]
    url: str

    @property
    def event(self) -> Optional[str]:
        """The body's ``event`` name (``None`` if the body has none)."""
        try:
            name = json.loads(self.body).get("event")
        except (ValueError, AttributeError):
            return None
        return name if isinstance(name, str) else None

    def __repr__(self) -> str:
        return (
            f"Delivery(url={redact_url_token(self.url)!r}, headers={self.headers!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


def make_delivery(
    body: Union[bytes, str],
    *,
    url: str,
    url_token: Union[str, Secret, None] = None,
    signing_secret: Union[str, Secret, None] = None,
    msg_id: Optional[str] = None,
    timestamp: Optional[int] = None,
) -> Delivery:
    """The delivery of ``body`` to ``url`` that a ``Receiver(url_tokens=[url_token],
    signing_secrets=[signing_secret])`` accepts: the token added to the URL, and the body signed
    (Standard Webhooks) when a signing secret is given. ``msg_id`` defaults to a new ``msg_…``
    id, ``timestamp`` to now (Unix seconds)."""
    raw, headers, full_url = _native.make_delivery(
        body,
        url,
        _expose(url_token),
        _expose(signing_secret),
        msg_id if msg_id is not None else _new_id("msg"),
        timestamp if timestamp is not None else int(time.time()),
    )
    return Delivery(raw, dict(headers), full_url)


def _expose(secret: Union[str, Secret, None]) -> Optional[str]:
    return secret.expose() if isinstance(secret, Secret) else secret


def _new_id(prefix: str) -> str:
    return f"{prefix}_{_secrets.token_hex(8)}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the fake management API --------------------------------------------------------------


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
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class _Fault:
    response: Optional[FakeResponse]  # None: drop the connection without an answer
    processed: bool


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# A fixed key for the builder that checks request bodies (it never sends anything).
_VALIDATOR = Api("oi_sk_fake_validator")

# Field kinds of the request bodies, in FastAPI's (model) order: (name, kind, required).
_CREATE_WEBHOOK = (("name", "str", True), ("url", "str", True), ("events", "list", True))
_UPDATE_WEBHOOK = (
    ("name", "str", False),
    ("url", "str", False),
    ("events", "list", False),
    ("status", "str", False),
)
_CREATE_CALL = (
    ("agent_id", "str", True),
    ("to_number", "str", True),
    ("from_number", "str", True),
    ("scheduled_at", "str", False),
    ("variables", "dict", False),
    ("webhook_url", "str", False),
    ("overrides", "dict", False),
    ("metadata", "dict", False),
)
# Valid stand-ins for arguments that are missing or of the wrong type, so that the builder
# still checks the others.
_PLACEHOLDERS: dict[str, Any] = {
    "name": "placeholder",
    "url": "https://example.com/placeholder",
    "events": ["call.ended"],
    "agent_id": "agt_placeholder",
    "to_number": "+15550000000",
    "from_number": "+15550000001",
}
_TYPE_ERRORS = {
    "str": ("string_type", "Input should be a valid string"),
    "list": ("list_type", "Input should be a valid list"),
    "dict": ("dict_type", "Input should be a valid dictionary"),
}
_ISSUE_TYPES = {
    "missing_field": "missing",
    "unknown_field": "extra_forbidden",
    "wrong_type": "string_type",
}


def _json_response(
    status: int, payload: Any, headers: Optional[dict[str, str]] = None
) -> FakeResponse:
    all_headers = {"content-type": "application/json"}
    all_headers.update(headers or {})
    return FakeResponse(status, all_headers, json.dumps(payload).encode())


def _detail(status: int, message: str) -> FakeResponse:
    return _json_response(status, {"detail": message})


def _item(loc: list[Union[str, int]], kind: str, msg: str, value: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg}
    if value is not None:
        item["input"] = value
    return item


def _loc(where: str, pointer: str, data: Any, index_maps: Mapping[str, list[int]]) -> list[Any]:
    """A FastAPI ``loc`` for a JSON Pointer into the arguments: ``[where, *tokens]``, list
    indexes as ints (mapped back to the body's own indexes where elements were left out)."""
    loc: list[Any] = [where]
    current: Any = data
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, list) and token.isdigit():
            index = int(token)
            mapped = index_maps.get(loc[-1]) if len(loc) == 2 else None
            if mapped is not None and index < len(mapped):
                index = mapped[index]
            loc.append(index)
            current = current[index] if index < len(current) else None
        else:
            loc.append(token)
            current = current.get(token) if isinstance(current, dict) else None
    return loc


def _indexed(loc: list[Any]) -> bool:
    return len(loc) > 2 and isinstance(loc[2], int) and not isinstance(loc[2], bool)


def _check_body(
    data: Any,
    spec: tuple[tuple[str, str, bool], ...],
    build: Callable[[dict[str, Any]], object],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The arguments in ``data`` and the FastAPI ``detail`` items for what is wrong with them:
    shapes checked here (missing, extra, JSON types), values by ``build``, which calls a builder
    of the core's ``Api`` and so applies exactly its rules."""
    if not isinstance(data, dict):
        return {}, [
            _item(
                ["body"],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
                data,
            )
        ]
    shape: dict[str, list[dict[str, Any]]] = {}
    args: dict[str, Any] = {}
    stand_ins: set[str] = set()
    index_maps: dict[str, list[int]] = {}

    def stand_in(name: str) -> None:
        args[name] = _PLACEHOLDERS[name]
        stand_ins.add(name)

    for name, kind, required in spec:
        items = shape.setdefault(name, [])
        value = data.get(name)
        if value is None and not (required and name in data):
            if required:
                items.append(_item(["body", name], "missing", "Field required", data))
                stand_in(name)
            continue
        ok = {"str": str, "list": list, "dict": dict}[kind]
        if not isinstance(value, ok):
            items.append(_item(["body", name], *_TYPE_ERRORS[kind], value))
            if required:
                stand_in(name)
            continue
        if kind == "list":
            kept = [i for i, v in enumerate(value) if isinstance(v, str)]
            for i, v in enumerate(value):
                if not isinstance(v, str):
                    items.append(_item(["body", name, i], *_TYPE_ERRORS["str"], v))
            if len(kept) < len(value):
                index_maps[name] = kept
                if not kept:  # nothing left for the builder to check
                    if required:
                        stand_in(name)
                    continue
            value = [value[i] for i in kept]
        args[name] = value
    known = {name for name, _, _ in spec}
    extra = [
        _item(["body", name], "extra_forbidden", "Extra inputs are not permitted", data[name])
        for name in data
        if name not in known
    ]
    values: dict[str, list[dict[str, Any]]] = {}
    whole: list[dict[str, Any]] = []
    try:
        build(args)
    except UsageError as err:
        for issue in err.issues:
            top = issue.path.split("/")[1] if issue.path else ""
            if top in stand_ins:
                continue
            kind = _ISSUE_TYPES.get(issue.code, "value_error")
            msg = issue.message if kind != "value_error" else f"Value error, {issue.message}"
            item = _item(_loc("body", issue.path, data, index_maps), kind, msg)
            (values.setdefault(top, []) if top else whole).append(item)
    details = list(whole)
    for name, _, _ in spec:  # by field, then by list index (the body's order)
        field_items = shape.get(name, []) + values.get(name, [])
        details += sorted(field_items, key=lambda i: i["loc"][2] if _indexed(i["loc"]) else -1)
    return {k: v for k, v in args.items() if k not in stand_ins}, details + extra


class FakeOneInbox:
    """An in-memory OneInbox management API for tests, with the real request and response
    shapes and errors.

    State: webhooks (``wh_…`` ids, a ``whsec_…`` secret, ``status`` ``active``), their delivery
    history (``test_webhook`` records one; ``add_delivery`` adds more; newest first, paged by
    ``limit``/``offset``), and calls (``POST /v1/calls``, kept with their ``webhook_url``).
    Every request needs ``Authorization: Bearer <api_key>`` (401 otherwise).

    Reach it without a socket through ``transport()`` (an ``httpx.MockTransport``),
    ``client()`` / ``async_client()``, or ``handle(...)``; or over HTTP with ``serve()``.
    ``fail_next`` and ``disconnect_next`` inject failures. Thread-safe.
    """

    def __init__(self, api_key: str = "oi_sk_test_fake") -> None:
        self._api_key = api_key
        self._lock = threading.Lock()
        self._webhooks: dict[str, dict[str, Any]] = {}
        self._deliveries: dict[str, list[dict[str, Any]]] = {}
        self._calls: list[dict[str, Any]] = []
        self._requests: list[RecordedRequest] = []
        self._faults: deque[_Fault] = deque()
        self._sleeps: list[float] = []
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    def __repr__(self) -> str:
        url = f", url={self.url!r}" if self.url else ""
        return (
            f"FakeOneInbox(webhooks={len(self._webhooks)}, calls={len(self._calls)}, "
            f"requests={len(self._requests)}{url}, api_key=[redacted])"
        )

    @property
    def api_key(self) -> str:
        """The key the fake accepts (pass it to your client)."""
        return self._api_key

    # ---- state ----------------------------------------------------------------------------

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        """The webhooks, oldest first, as the API shows them (copies)."""
        with self._lock:
            return copy.deepcopy(list(self._webhooks.values()))

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The calls created, oldest first: the API's call object plus ``webhook_url``."""
        with self._lock:
            return copy.deepcopy(self._calls)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (failed and unauthorized ones too)."""
        with self._lock:
            return list(self._requests)

    @property
    def sleeps(self) -> list[float]:
        """The waits (seconds) that clients from ``client()`` / ``async_client()`` asked for;
        they return at once instead of sleeping."""
        with self._lock:
            return list(self._sleeps)

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        """The delivery history of a webhook, newest first (copies); ``KeyError`` if unknown."""
        with self._lock:
            return copy.deepcopy(self._deliveries[webhook_id])

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
        with self._lock:
            history = self._deliveries[webhook_id]
            now = _now()
            record: dict[str, Any] = {
                "id": _new_id("dlv"),
                "webhook_id": webhook_id,
                "event": event,
                "status": status,
                "attempt": 1,
                "response_status": response_status,
                "response_body": "",
                "error": None,
                "next_retry_at": None,
                "completed_at": now,
                "created_at": now,
            }
            record.update(fields)
            history.insert(0, record)
            return copy.deepcopy(record)

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
        """The next ``times`` requests (whatever their endpoint) are answered with ``status``
        and ``body`` (default ``{"detail": "<reason>"}``), with a ``Retry-After`` header when
        given. ``processed=True`` carries each request out first (the webhook or call then
        exists), as when a gateway times out after the backend did the work."""
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status from 100 to 599")
        if isinstance(body, (bytes, bytearray)):
            raw = bytes(body)
        elif isinstance(body, str):
            raw = body.encode()
        else:
            payload = {"detail": _REASONS.get(status, "Error")} if body is None else dict(body)
            raw = json.dumps(payload).encode()
        headers = {"content-type": "application/json"}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        fault = _Fault(FakeResponse(status, headers, raw), processed)
        with self._lock:
            self._faults.extend([fault] * times)

    def disconnect_next(self, *, times: int = 1, processed: bool = False) -> None:
        """The next ``times`` requests get no answer: the connection closes (through
        ``transport()``, httpx raises ``RemoteProtocolError``). ``processed=True`` carries each
        request out first, so the webhook or call exists although the client saw no answer."""
        with self._lock:
            self._faults.extend([_Fault(None, processed)] * times)

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
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        auth = next((v for k, v in pairs if k.lower() == "authorization"), None)
        authorized = auth is not None and hmac.compare_digest(
            auth.encode(), f"Bearer {self._api_key}".encode()
        )
        split = urlsplit(target)
        with self._lock:
            self._requests.append(
                RecordedRequest(method.upper(), split.path, split.query, body or None, authorized)
            )
            fault = self._faults.popleft() if self._faults else None
            if fault is not None and not fault.processed:
                return fault.response
            response = self._route(method.upper(), split.path, split.query, auth, body)
            return response if fault is None else fault.response

    def _route(
        self, method: str, path: str, query: str, auth: Optional[str], body: Optional[bytes]
    ) -> FakeResponse:
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:1] != ["v1"] or len(parts) < 2:
            return _detail(404, "Not Found")
        rest = parts[1:]
        routes: dict[str, Callable[[], FakeResponse]]
        if rest == ["webhooks"]:
            routes = {"GET": self._list_webhooks, "POST": lambda: self._create_webhook(body)}
        elif len(rest) == 2 and rest[0] == "webhooks":
            wid = rest[1]
            routes = {
                "GET": lambda: self._get_webhook(wid),
                "PATCH": lambda: self._update_webhook(wid, body),
                "DELETE": lambda: self._delete_webhook(wid),
            }
        elif len(rest) == 3 and rest[0] == "webhooks" and rest[2] == "test":
            routes = {"POST": lambda: self._test_webhook(rest[1])}
        elif len(rest) == 3 and rest[0] == "webhooks" and rest[2] == "deliveries":
            routes = {"GET": lambda: self._list_deliveries(rest[1], query)}
        elif rest == ["calls"]:
            routes = {"POST": lambda: self._create_call(body)}
        else:
            return _detail(404, "Not Found")
        if method not in routes:
            return _detail(405, "Method Not Allowed")
        if auth is None or not auth.lower().startswith("bearer "):
            return _json_response(
                401, {"detail": "Not authenticated"}, {"www-authenticate": "Bearer"}
            )
        if not hmac.compare_digest(auth.encode(), f"Bearer {self._api_key}".encode()):
            return _json_response(
                401, {"detail": "Invalid API key"}, {"www-authenticate": "Bearer"}
            )
        return routes[method]()

    @staticmethod
    def _body(body: Optional[bytes]) -> tuple[Any, Optional[FakeResponse]]:
        if not body:
            return None, _json_response(
                422, {"detail": [_item(["body"], "missing", "Field required")]}
            )
        try:
            return json.loads(body), None
        except ValueError as err:
            item = _item(["body", 0], "json_invalid", "JSON decode error")
            item["ctx"] = {"error": str(err)}
            return None, _json_response(422, {"detail": [item]})

    def _invalid(self, details: list[dict[str, Any]]) -> FakeResponse:
        return _json_response(422, {"detail": details})

    def _create_webhook(self, body: Optional[bytes]) -> FakeResponse:
        data, error = self._body(body)
        if error is not None:
            return error
        args, details = _check_body(data, _CREATE_WEBHOOK, lambda a: _VALIDATOR.create_webhook(**a))
        if details:
            return self._invalid(details)
        now = _now()
        hook = {
            "id": _new_id("wh"),
            "name": args["name"],
            "url": args["url"],
            "events": list(args["events"]),
            "secret": "whsec_" + _b64(_secrets.token_bytes(24)),
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        self._webhooks[hook["id"]] = hook
        self._deliveries[hook["id"]] = []
        return _json_response(201, hook)

    def _list_webhooks(self) -> FakeResponse:
        items = list(self._webhooks.values())
        return _json_response(
            200, {"items": items, "total": len(items), "limit": max(50, len(items)), "offset": 0}
        )

    def _get_webhook(self, webhook_id: str) -> FakeResponse:
        hook = self._webhooks.get(webhook_id)
        return _json_response(200, hook) if hook else _detail(404, "Webhook not found")

    def _update_webhook(self, webhook_id: str, body: Optional[bytes]) -> FakeResponse:
        data, error = self._body(body)
        if error is not None:
            return error
        args, details = _check_body(
            data, _UPDATE_WEBHOOK, lambda a: _VALIDATOR.update_webhook("wh_check", **a)
        )
        if details:
            return self._invalid(details)
        hook = self._webhooks.get(webhook_id)
        if hook is None:
            return _detail(404, "Webhook not found")
        hook.update(args)
        hook["updated_at"] = _now()
        return _json_response(200, hook)

    def _delete_webhook(self, webhook_id: str) -> FakeResponse:
        if self._webhooks.pop(webhook_id, None) is None:
            return _detail(404, "Webhook not found")
        self._deliveries.pop(webhook_id, None)
        return FakeResponse(204, {}, b"")

    def _test_webhook(self, webhook_id: str) -> FakeResponse:
        hook = self._webhooks.get(webhook_id)
        if hook is None:
            return _detail(404, "Webhook not found")
        now = _now()
        events = hook.get("events") or ["call.started"]
        self._deliveries[webhook_id].insert(
            0,
            {
                "id": _new_id("dlv"),
                "webhook_id": webhook_id,
                "event": events[0],
                "status": "succeeded",
                "attempt": 1,
                "response_status": 200,
                "response_body": "",
                "error": None,
                "next_retry_at": None,
                "completed_at": now,
                "created_at": now,
            },
        )
        return _json_response(200, {"ok": True})

    def _list_deliveries(self, webhook_id: str, query: str) -> FakeResponse:
        params = dict(parse_qsl(query, keep_blank_values=True))
        numbers: dict[str, Optional[int]] = {"limit": None, "offset": None}
        details: list[dict[str, Any]] = []
        for name in numbers:
            if name in params:
                try:
                    numbers[name] = int(params[name].strip())
                except ValueError:
                    details.append(
                        _item(
                            ["query", name],
                            "int_parsing",
                            "Input should be a valid integer, unable to parse string as an integer",
                            params[name],
                        )
                    )
        if not details:
            try:
                _VALIDATOR.list_deliveries("wh_check", **numbers)
            except UsageError as err:
                details = [
                    _item(
                        ["query", *issue.path.split("/")[1:]],
                        "value_error",
                        f"Value error, {issue.message}",
                    )
                    for issue in err.issues
                ]
            except OverflowError:
                details = [_item(["query"], "value_error", "Value error, number too large")]
        if details:
            return self._invalid(details)
        history = self._deliveries.get(webhook_id)
        if history is None:
            return _detail(404, "Webhook not found")
        limit = numbers["limit"] if numbers["limit"] is not None else 50
        offset = numbers["offset"] or 0
        return _json_response(
            200,
            {
                "items": history[offset : offset + limit],
                "total": len(history),
                "limit": limit,
                "offset": offset,
            },
        )

    def _create_call(self, body: Optional[bytes]) -> FakeResponse:
        data, error = self._body(body)
        if error is not None:
            return error

        def build(args: dict[str, Any]) -> object:
            known = ("agent_id", "to_number", "from_number", "webhook_url", "variables", "metadata")
            return _VALIDATOR.create_call(**{k: v for k, v in args.items() if k in known})

        args, details = _check_body(data, _CREATE_CALL, build)
        if details:
            return self._invalid(details)
        now = _now()
        call = {
            "id": _new_id("call"),
            "agent_id": args["agent_id"],
            "type": "outbound",
            "status": "queued",
            "direction": "outbound",
            "from_number": args["from_number"],
            "to_number": args["to_number"],
            "room_name": None,
            "scheduled_at": args.get("scheduled_at"),
            "variables": args.get("variables") or {},
            "started_at": None,
            "ended_at": None,
            "duration_seconds": None,
            "end_reason": None,
            "transcript": None,
            "messages": [],
            "recording_url": None,
            "analysis": {},
            "latency": {},
            "cost_cents": None,
            "metadata": args.get("metadata") or {},
            "created_at": now,
            "updated_at": now,
            "twilio_call_sid": None,
            "outcome": None,
            "ai_summary": None,
            "credits_used": 0,
        }
        self._calls.append(dict(call, webhook_url=args.get("webhook_url")))
        return _json_response(201, call)

    # ---- without a socket -----------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` answering from this fake (for ``httpx.Client`` and
        ``httpx.AsyncClient`` alike): ``httpx.Client(transport=fake.transport())``."""
        from .client import _import_httpx

        hx = _import_httpx()

        def answer(request: httpx.Request) -> httpx.Response:
            response = self.handle(
                request.method,
                request.url.raw_path.decode("ascii"),
                request.headers.multi_items(),
                request.content,
            )
            if response is None:
                raise hx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            result: httpx.Response = hx.Response(
                response.status, headers=response.headers, content=response.body
            )
            return result

        transport: httpx.MockTransport = hx.MockTransport(answer)
        return transport

    def client(self, **options: Any) -> Client:
        """A ``Client`` with this fake's key whose requests go to the fake through
        ``transport()``; its waits are recorded in ``sleeps`` instead of slept. ``options``
        go to ``Client`` (``max_retries=``, ``random=``, ``sleep=``...)."""
        from .client import Client, _import_httpx

        hx = _import_httpx()
        options.setdefault("sleep", self._record_sleep)
        client = Client(self._api_key, http_client=hx.Client(transport=self.transport()), **options)
        client._owns_http = True  # close() closes the httpx client made here
        return client

    def async_client(self, **options: Any) -> AsyncClient:
        """``client()`` for asyncio: an ``AsyncClient`` over ``transport()``."""
        from .client import AsyncClient, _import_httpx

        hx = _import_httpx()
        options.setdefault("sleep", self._record_sleep_async)
        client = AsyncClient(
            self._api_key, http_client=hx.AsyncClient(transport=self.transport()), **options
        )
        client._owns_http = True
        return client

    def _record_sleep(self, seconds: float) -> None:
        with self._lock:
            self._sleeps.append(seconds)

    async def _record_sleep_async(self, seconds: float) -> None:
        self._record_sleep(seconds)

    # ---- over HTTP ------------------------------------------------------------------------

    @property
    def url(self) -> Optional[str]:
        """The base URL while ``serve()`` runs, else ``None``."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def serve(self, port: int = 0, *, host: str = "127.0.0.1") -> str:
        """Listens on ``host``:``port`` (0: a free port) in a thread and returns the base URL
        (``http://127.0.0.1:PORT``), for any HTTP client: ``Client(fake.api_key,
        base_url=url)``. ``close()`` stops it."""
        if self._server is not None:
            raise RuntimeError("FakeOneInbox is already serving at " + str(self.url))
        server = _Server((host, port), self)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="FakeOneInbox", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return str(self.url)

    def close(self) -> None:
        """Stops ``serve()`` (nothing to do otherwise)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeOneInbox) -> None:
        super().__init__(address, _Handler)
        self.fake = fake
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.open_lock:
            self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.open_lock:
            self.open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Ends the kept-alive connections, so that no answer comes after ``close()``."""
        with self.open_lock:
            connections = list(self.open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one write per answer (headers and body apart wait on delayed ACKs)
    server: _Server

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks) or None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _any(self) -> None:
        body = self._read_body()
        response = self.server.fake.handle(self.command, self.path, self.headers.items(), body)
        if response is None:  # no answer: the client sees the connection close
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet (a request line never carries the key anyway)
