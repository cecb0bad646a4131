"""Every shared fixture in tests/fixtures/refusals is its own case, run as the Rust runner
(crates/oneinbox-webhooks/tests/refusals_fixtures.rs) runs it, through the native
``RefusalLog`` the adapters keep: each step's refusal admitted at its ``now_ms``, and the lines
to log compared with the step's ``logged``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import _native

REFUSALS = REPO / "tests" / "fixtures" / "refusals"
PATHS = sorted(p for p in REFUSALS.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
FORMAT = Draft202012Validator(load(REFUSALS / "fixture.schema.json"))


def test_all_refusals_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_refusals_fixture(path: Path) -> None:
    f = load(path)
    assert not list(FORMAT.iter_errors(f))
    limit = _native.RefusalLog(f["burst"], f["window_ms"]) if "burst" in f else _native.RefusalLog()
    for i, step in enumerate(f["steps"]):
        got = limit.admit(step["reason"], step.get("level", "warn"), step["line"], step["now_ms"])
        assert [{"level": level, "line": line} for level, line in got] == step["logged"], i


def test_an_unknown_level_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        _native.RefusalLog().admit("token_mismatch", "loud", "x", 0)
