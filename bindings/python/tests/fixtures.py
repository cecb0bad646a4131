"""Reads the shared fixtures in tests/fixtures/events (format: tests/fixtures/README.md)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
EVENTS = REPO / "tests" / "fixtures" / "events"
SCHEMAS = REPO / "schemas" / "events"

DEFAULTS = {"max_body_bytes": 1_048_576, "max_depth": 64}


def fixture_paths() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def body_bytes(fixture: dict[str, Any]) -> bytes:
    """The body exactly as the README says: `body` via json.dumps (key order kept), `body_text`
    UTF-8 encoded, `body_base64` decoded."""
    if "body" in fixture:
        return json.dumps(fixture["body"]).encode("utf-8")
    if "body_text" in fixture:
        text: str = fixture["body_text"]
        return text.encode("utf-8", "surrogatepass")
    return base64.b64decode(fixture["body_base64"], validate=True)


def options(fixture: dict[str, Any], strict: bool) -> dict[str, Any]:
    return {**DEFAULTS, **fixture.get("options", {}), "strict": strict}
