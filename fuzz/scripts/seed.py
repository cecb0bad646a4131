"""Writes a scratch seed corpus for each fuzz target from the shared fixtures.

libFuzzer writes new inputs into the first corpus folder it is given, so the fuzzers are
always pointed at these scratch copies, never at tests/fixtures or tests/corpora.
Usage: python3 fuzz/scripts/seed.py <out-dir>
"""
import base64
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1])


def body(f):
    if "body" in f:
        return json.dumps(f["body"]).encode()
    if "body_text" in f:
        return f["body_text"].encode("utf-8", "surrogatepass")
    if "body_base64" in f:
        return base64.b64decode(f["body_base64"])
    return None


targets = {"parse_event": [], "management_response": [], "verify": [], "call_record": []}
for p in sorted((root / "tests/fixtures/events").glob("*.json")):
    b = body(json.loads(p.read_text()))
    if b is not None:
        targets["parse_event"].append(b)
for p in sorted((root / "tests/fixtures/management").glob("response_*.json")):
    f = json.loads(p.read_text())
    b = body(f) or b""
    targets["management_response"].append(int(f.get("status", 200)).to_bytes(2, "big") + b)
for p in sorted((root / "tests/fixtures/auth").glob("*.json")):
    f = json.loads(p.read_text())
    h = dict((k.lower(), v) for k, v in f.get("headers", []))
    parts = [h.get("webhook-id", ""), h.get("webhook-timestamp", ""), h.get("webhook-signature", ""),
             f.get("url", ""), f.get("body_text", "")]
    targets["verify"].append("\n".join(parts).encode("utf-8", "surrogatepass"))
for p in sorted((root / "tests/fixtures/calls").glob("*.json")):
    f = json.loads(p.read_text())
    if "deliveries" not in f:
        continue  # the fixture schema
    bodies = [body(json.loads((root / "tests/fixtures" / d["fixture"]).read_text())) if "fixture" in d else body(d)
              for d in f["deliveries"]]
    targets["call_record"].append(b"\x1e".join(bodies))
    targets["call_record"].append(json.dumps(f["record"]).encode())
for name, items in targets.items():
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(items):
        (d / f"seed-{i:04}").write_bytes(data)
    print(f"{name}: {len(items)} seeds in {d}")
