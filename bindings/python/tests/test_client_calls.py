"""get_call, list_calls and iter_calls of Client and AsyncClient against FakeOneInbox served over
a loopback socket: the filters, the pages iter_calls follows, and a 404 as a typed ApiError."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from oneinbox_webhooks import Api, ApiError, Call, CallPage, UsageError
from oneinbox_webhooks.client import AsyncClient, Client
from oneinbox_webhooks.testing import FakeOneInbox

KEY = "oi_sk_test_SUPERSECRETKEY"


def place(client: Client, count: int) -> list[Call]:
    """`count` calls, alternately for agents agt_1 and agt_2, oldest first."""
    return [
        client.create_call(
            agent_id=f"agt_{i % 2 + 1}", to_number="+15551234567", from_number="+15557654321"
        )
        for i in range(count)
    ]


@pytest.fixture()
def served() -> Iterator[tuple[FakeOneInbox, Client]]:
    with FakeOneInbox(KEY) as fake, Client(KEY, base_url=fake.serve(), timeout=5) as client:
        yield fake, client


def calls_queries(fake: FakeOneInbox) -> list[str]:
    return [r.query for r in fake.requests if r.method == "GET" and r.path == "/v1/calls"]


def test_get_call(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    created = client.create_call(
        agent_id="agt_1",
        to_number="+15551234567",
        from_number="+15557654321",
        webhook_url="https://example.com/calls",
        metadata={"crm": 7},
    )
    got = client.get_call(created.id)
    assert isinstance(got, Call)
    assert (got.id, got.status, got.metadata) == (created.id, "queued", {"crm": 7})
    # The stored call keeps its per-call webhook_url (an extra member of the CallResponse).
    assert got.extra == {"webhook_url": "https://example.com/calls"}
    assert fake.requests[-1].path == f"/v1/calls/{created.id}"


def test_get_call_unknown_is_a_404_api_error(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    with pytest.raises(ApiError) as e:
        client.get_call("call_missing")
    assert (e.value.status, e.value.message, e.value.retryable) == (404, "Call not found", False)
    assert len(fake.requests) == 1  # a 404 is not retried


def test_a_bad_call_id_is_refused_before_sending(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    for bad in ("", ".."):
        with pytest.raises(UsageError) as e:
            client.get_call(bad)
        assert [(i.code, i.path) for i in e.value.issues] == [("invalid_value", "/call_id")]
    with pytest.raises(UsageError) as e:
        client.list_calls(limit=101, offset=-1)
    assert [i.path for i in e.value.issues] == ["/limit", "/offset"]
    assert fake.requests == []


def test_list_calls_with_filters(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    placed = place(client, 5)
    page = client.list_calls()
    assert isinstance(page, CallPage)
    assert (page.total, page.limit, page.offset) == (5, 20, 0)
    assert [c.id for c in page.items] == [c.id for c in reversed(placed)]  # newest first
    agent_2 = client.list_calls(agent_id="agt_2", limit=1)
    assert (agent_2.total, agent_2.limit, [c.id for c in agent_2.items]) == (2, 1, [placed[3].id])
    assert client.list_calls(status="queued", offset=4).items == [placed[0]]
    assert client.list_calls(status="completed").total == 0
    assert calls_queries(fake) == [
        "",
        "agent_id=agt_2&limit=1",
        "status=queued&offset=4",
        "status=completed",
    ]


def test_iter_calls_follows_every_page(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    placed = place(client, 45)
    before = len(fake.requests)
    calls = client.iter_calls(limit=20)
    assert len(fake.requests) == before  # nothing is sent until the first call is needed
    ids = [c.id for c in calls]
    assert ids == [c.id for c in reversed(placed)]
    assert calls_queries(fake) == ["limit=20", "limit=20&offset=20", "limit=20&offset=40"]
    # The filters are kept on every page.
    agent_1 = [c.agent_id for c in client.iter_calls(agent_id="agt_1", limit=10)]
    assert agent_1 == ["agt_1"] * 23
    assert calls_queries(fake)[3:] == [
        "agent_id=agt_1&limit=10",
        "agent_id=agt_1&limit=10&offset=10",
        "agent_id=agt_1&limit=10&offset=20",
    ]
    with pytest.raises(UsageError):
        client.iter_calls(limit=0)  # checked at once, not at the first next()
    # From an offset: the 5 oldest calls.
    assert [c.id for c in client.iter_calls(limit=3, offset=40)] == [c.id for c in placed[4::-1]]
    assert calls_queries(fake)[-2:] == ["limit=3&offset=40", "limit=3&offset=43"]


def test_call_page_values_and_next_page_of_the_right_kind() -> None:
    api = Api(KEY)
    listing = api.list_calls(status="completed", limit=1)
    body = (
        b'{"items":[{"id":"call_1","status":"completed","x":1}],'
        b'"total":2,"limit":1,"offset":0,"more":true}'
    )
    page = listing.parse_response(200, body)
    assert isinstance(page, CallPage) and isinstance(page.items[0], Call)
    assert page.to_dict() == {
        "items": [{"id": "call_1", "status": "completed", "x": 1}],
        "total": 2,
        "limit": 1,
        "offset": 0,
        "more": True,
    }
    assert page.extra == {"more": True} and page.items[0].extra == {"x": 1}
    assert repr(page) == "CallPage(total=2, limit=1, offset=0)"
    assert page == listing.parse_response(200, body)
    nxt = listing.next_page(page)
    assert nxt is not None and nxt.url.endswith("/v1/calls?status=completed&limit=1&offset=1")
    deliveries = api.list_deliveries("wh_1")
    with pytest.raises(TypeError, match="CallPage"):
        deliveries.next_page(page)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        api.get_call("call_1").next_page(page)  # type: ignore[misc]


def test_async_client(served: tuple[FakeOneInbox, Client]) -> None:
    fake, client = served
    placed = place(client, 45)

    async def run() -> tuple[Call, CallPage, list[str]]:
        async with AsyncClient(KEY, base_url=fake.url or "", timeout=5) as a:
            one = await a.get_call(placed[0].id)
            page = await a.list_calls(agent_id="agt_1", limit=3)
            every = [c.id async for c in a.iter_calls(limit=20)]
            assert [c.id async for c in a.iter_calls(offset=44)] == [placed[0].id]
            with pytest.raises(ApiError) as e:
                await a.get_call("call_missing")
            assert e.value.status == 404
            return one, page, every

    one, page, every = asyncio.run(run())
    assert one == placed[0]
    assert (page.total, len(page.items)) == (23, 3)
    assert every == [c.id for c in reversed(placed)]
    assert calls_queries(fake)[-4:] == [
        "limit=20",
        "limit=20&offset=20",
        "limit=20&offset=40",
        "offset=44",
    ]
