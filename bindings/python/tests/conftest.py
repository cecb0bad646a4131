import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers next to the tests (fixtures.py) import as plain modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from postgres_server import PostgresServer
from redis_server import RedisServer


@pytest.fixture(autouse=True)
def _no_client_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsets ONEINBOX_API_KEY and ONEINBOX_BASE_URL for every test: a client reads them when
    not given a key or base URL, so a developer's exported values would point the tests (and
    the commands they run in subprocesses) at another server. Tests that want them set them."""
    for name in ("ONEINBOX_API_KEY", "ONEINBOX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port for the whole session (tests/redis_server.py);
    the tests that use it fail, never skip, where redis-server is missing."""
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL server on a free loopback port for the whole session
    (tests/postgres_server.py); the tests that use it fail, never skip, where it is missing."""
    try:
        server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The DSN of a new empty database on the session's server: this test's own tables."""
    return postgres_server.new_database()
