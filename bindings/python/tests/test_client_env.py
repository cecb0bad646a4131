"""Client and AsyncClient read ONEINBOX_API_KEY and ONEINBOX_BASE_URL when not given them: an
argument wins, an empty variable is unset, and a missing key or a bad value is a UsageError
naming the argument and the variable (the core's rule, ``Api.configure``)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from oneinbox_webhooks import UsageError
from oneinbox_webhooks.client import AsyncClient, Client
from oneinbox_webhooks.testing import FakeOneInbox

KEY = "oi_sk_test_ENVSECRETKEY"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONEINBOX_API_KEY", raising=False)
    monkeypatch.delenv("ONEINBOX_BASE_URL", raising=False)


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEINBOX_API_KEY", KEY)
    monkeypatch.setenv("ONEINBOX_BASE_URL", "http://127.0.0.1:8080/")
    with Client() as client:
        assert client.base_url == "http://127.0.0.1:8080"
        assert client.api.list_webhooks().headers["Authorization"] == f"Bearer {KEY}"
        assert KEY not in repr(client)


def test_the_environment_key_reaches_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeOneInbox(KEY)
    monkeypatch.setenv("ONEINBOX_API_KEY", KEY)
    with Client(http_client=httpx.Client(transport=fake.transport())) as client:
        assert client.list_webhooks() == []


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEINBOX_API_KEY", "oi_pk_not_used")
    monkeypatch.setenv("ONEINBOX_BASE_URL", "not a url")
    with Client("oi_sk_given", base_url="https://staging.example/") as client:
        assert client.base_url == "https://staging.example"
        assert client.api.list_webhooks().headers["Authorization"] == "Bearer oi_sk_given"


def test_default_base_url_and_empty_variables_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEINBOX_API_KEY", KEY)
    monkeypatch.setenv("ONEINBOX_BASE_URL", "")
    with Client() as client:
        assert client.base_url == "https://api.oneinbox.ai"
    monkeypatch.setenv("ONEINBOX_API_KEY", "")
    with pytest.raises(UsageError) as e:
        Client()
    assert [(i.code, i.path) for i in e.value.issues] == [("missing_field", "/api_key")]


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_no_key_anywhere_names_the_argument_and_the_variable(cls: type) -> None:
    with pytest.raises(UsageError) as e:
        cls()
    [issue] = e.value.issues
    assert (issue.code, issue.path) == ("missing_field", "/api_key")
    assert "`api_key`" in issue.message and "ONEINBOX_API_KEY" in issue.message


def test_bad_values_from_the_environment_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONEINBOX_API_KEY", "oi_pk_live_PUBLISHABLE")
    monkeypatch.setenv("ONEINBOX_BASE_URL", "ftp://files.example")
    with pytest.raises(UsageError) as e:
        Client()
    issues = e.value.issues
    assert [(i.code, i.path) for i in issues] == [
        ("invalid_value", "/api_key"),
        ("invalid_value", "/base_url"),
    ]
    assert "ONEINBOX_API_KEY" in issues[0].message
    assert "ONEINBOX_BASE_URL" in issues[1].message
    assert "PUBLISHABLE" not in str(e.value)


def test_async_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeOneInbox(KEY)
    monkeypatch.setenv("ONEINBOX_API_KEY", KEY)
    monkeypatch.setenv("ONEINBOX_BASE_URL", "http://127.0.0.1:9")

    async def run() -> list[object]:
        async with AsyncClient(http_client=httpx.AsyncClient(transport=fake.transport())) as client:
            assert client.base_url == "http://127.0.0.1:9"
            return list(await client.list_webhooks())

    assert asyncio.run(run()) == []


@pytest.mark.parametrize("var", ["ONEINBOX_API_KEY", "ONEINBOX_BASE_URL"])
def test_a_value_that_is_not_utf8_is_a_usage_error_as_in_node(
    monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    # os.environ keeps bytes that are not UTF-8 as lone surrogates; Node reads each as
    # U+FFFD. Either way the core's verdict is the same typed error, never UnicodeEncodeError.
    if var == "ONEINBOX_BASE_URL":
        monkeypatch.setenv("ONEINBOX_API_KEY", KEY)
    monkeypatch.setenv(var, "http://h\udcff/" if var == "ONEINBOX_BASE_URL" else "oi_sk_\udcff")
    with pytest.raises(UsageError) as raised:
        Client()
    monkeypatch.setenv(var, "http://h\ufffd/" if var == "ONEINBOX_BASE_URL" else "oi_sk_\ufffd")
    with pytest.raises(UsageError) as as_node:
        Client()
    assert raised.value.issues == as_node.value.issues
    assert var in raised.value.issues[0].message
