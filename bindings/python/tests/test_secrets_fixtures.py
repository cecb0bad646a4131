"""Every shared fixture in tests/fixtures/secrets is its own case, checked as the Rust runner
(crates/oneinbox-webhooks/tests/secrets_fixtures.rs) checks it: which secret a command-line tool
takes from its option, the content of its file option and its environment variable, or the
usage error's issues (the core's ``choose_secret``, which ``cli.py`` asks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import UsageError, _native

SECRETS = REPO / "tests" / "fixtures" / "secrets"
PATHS = sorted(p for p in SECRETS.glob("*.json") if not p.name.endswith(".schema.json"))
FORMAT = Draft202012Validator(load(SECRETS / "fixture.schema.json"))


def test_all_secrets_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_secrets_fixture(path: Path) -> None:
    fixture = load(path)
    FORMAT.validate(fixture)
    sources = [fixture.get(k) for k in ("option", "file", "env")]
    try:
        got = {"secret": _native.choose_secret(fixture["name"], *sources)}
    except UsageError as e:
        text = f"{e} {e!r}"
        assert not any(s and s.strip() and s.strip() in text for s in sources), text
        got = {"issues": [{"code": i.code, "path": i.path} for i in e.issues]}
    assert got == fixture["expect"]
