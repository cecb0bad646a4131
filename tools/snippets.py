"""Runs every code block of README.md, the packages' READMEs and docs/**/*.md (the convention:
ARCHITECTURE.md, "Runnable docs", which lists the languages and the markers).

    .venv/bin/python tools/snippets.py [--only NAME_OR_PATH ...] [--no-rust]

Each block is a complete program, run alone in a fresh temporary directory as its cwd:
``python`` under pytest (top-level code runs, then its ``test_*`` functions), ``js`` with node as
an ES module, ``ts`` type-checked with ``tsc --strict`` (bindings/node's TypeScript) then run,
``rust`` as doc tests of crates/oneinbox-webhooks-docs (which includes every page), shell blocks
only when marked ``<!-- snippet: shell -->``. ``text``, ``json``, ``sql`` and the like are data.
The packages are used as a user imports them: the .venv's ``oneinbox_webhooks`` and a
``node_modules`` whose ``oneinbox-webhooks`` is bindings/node.

Every block gets ``ONEINBOX_API_KEY`` and ``ONEINBOX_BASE_URL`` (a fake OneInbox on loopback),
``ONEINBOX_URL_TOKEN`` and ``ONEINBOX_SIGNING_SECRET`` (fresh test secrets), and
``ONEINBOX_REDIS_URL`` / ``ONEINBOX_POSTGRES_URL`` when those servers can be started here (a
block that names one is skipped, and counted, when it cannot). A block marked ``serve`` is started
with ``PORT`` set, waited for, then stopped; a served block named ``quickstart-*`` is sent a bad
body (400 with the issues), a bad token (401) and a good delivery (204) first, then `send` plays
a whole call into it (every answer 204).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NODE = REPO / "bindings" / "node"
DOCS_CRATE = REPO / "crates" / "oneinbox-webhooks-docs"
PYTHON = REPO / ".venv" / "bin" / "python"
TIMEOUT = 60  # seconds a block may take (they should take well under 10)

RUN = {"python", "js", "ts", "rust", "sh", "console"}
DATA = {"text", "json", "sql", "toml", "yaml", "ini", "http"}
MARKER = re.compile(r"^\s*<!-- snippet: (.*?) -->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,})([^`\s]*)(.*)$")


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    info: str
    code: str
    marks: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def name(self) -> str:
        return self.marks.get("name", "")

    @property
    def language(self) -> str:
        return {"console": "shell", "sh": "shell"}.get(self.lang, self.lang)


def pages() -> list[Path]:
    packages = [
        REPO / "bindings" / "python" / "README.md",
        REPO / "bindings" / "node" / "README.md",
    ]
    return [REPO / "README.md", *packages, *sorted((REPO / "docs").rglob("*.md"))]


def parse_marks(text: str) -> dict[str, str]:
    marks: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if part.startswith("skip:"):
            marks["skip"] = part[len("skip:") :].strip()
        elif "=" in part:
            key, value = part.split("=", 1)
            marks[key.strip()] = value.strip()
        elif part:
            marks[part] = ""
    return marks


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks, lang, rest = m.groups()
        info = (lang + rest).strip()
        lang = lang.split(",")[0]
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(ticks) and lines[i].strip().strip("`") == ""
        ):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        prev = lines[start - 1] if start > 0 else ""
        marker = MARKER.match(prev)
        marks = parse_marks(marker.group(1)) if marker else {}
        found.append(Block(path, start + 1, lang, info, "\n".join(body) + "\n", marks))
    return found


# ---- what every block gets ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    """The fake OneInbox (always), Redis and PostgreSQL (when their servers are installed)."""

    def __init__(self, workdir: Path) -> None:
        from oneinbox_webhooks.testing import FakeOneInbox

        self.fake = FakeOneInbox()
        self.env = {
            "ONEINBOX_API_KEY": self.fake.api_key,
            "ONEINBOX_BASE_URL": self.fake.serve(port=0),
        }
        self.missing: dict[str, str] = {}
        self._servers: list[object] = []
        sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))
        for var, module, cls in (
            ("ONEINBOX_REDIS_URL", "redis_server", "RedisServer"),
            ("ONEINBOX_POSTGRES_URL", "postgres_server", "PostgresServer"),
        ):
            try:
                server = getattr(__import__(module), cls)(workdir)
            except Exception as err:  # not installed here: the blocks that need it are skipped
                self.missing[var] = f"{var}: {str(err).splitlines()[0]}"
                continue
            self._servers.append(server)
            url = getattr(server, "url", None) or server.dsn
            self.env[var] = url

    def close(self) -> None:
        for server in self._servers:
            server.stop()  # type: ignore[attr-defined]
        self.fake.close()


def block_env(services: Services, port: int | None = None) -> dict[str, str]:
    from oneinbox_webhooks import new_signing_secret, new_url_token

    env = dict(os.environ)
    env.update(services.env)
    env["ONEINBOX_URL_TOKEN"] = new_url_token()
    env["ONEINBOX_SIGNING_SECRET"] = new_signing_secret()
    env["PATH"] = f"{PYTHON.parent}:{env.get('PATH', '')}"
    if port is not None:
        env["PORT"] = str(port)
    return env


def node_modules(workdir: Path) -> Path:
    """A node_modules where `oneinbox-webhooks` is bindings/node and every dev dependency of it
    (express, fastify, typescript's @types/node...) is importable, as in a user's project."""
    nm = workdir / "node_modules"
    nm.mkdir()
    for entry in (NODE / "node_modules").iterdir():
        if entry.name.startswith("."):
            continue
        (nm / entry.name).symlink_to(entry)
    (nm / "oneinbox-webhooks").symlink_to(NODE)
    (nm / ".bin").mkdir()  # `npx oneinbox-webhooks` finds the package's command here
    (nm / ".bin" / "oneinbox-webhooks").symlink_to(NODE / "bin" / "oneinbox-webhooks.js")
    return nm


# ---- running one block ----------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    output: str = ""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> Outcome:
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as err:
        return Outcome(False, f"timed out after {TIMEOUT} s\n{err.stdout or b''!r}")
    out = (done.stdout + done.stderr).decode(errors="replace")
    return Outcome(done.returncode == 0, out)


def program(
    block: Block, cwd: Path, modules: Path, tsc_out: Path
) -> tuple[list[str], Path] | Outcome:
    """The command that runs `block` (its file written into cwd), or the outcome of a failed
    type check."""
    if block.lang == "python":
        script = cwd / "test_snippet.py"
        script.write_text(block.code)
        if "serve" in block.marks:
            return [str(PYTHON), str(script)], script
        # -p no:cacheprovider: nothing written; pytest's exit 5 (no test functions) is fine.
        return [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)], script
    if block.lang in ("js", "ts"):
        (cwd / "node_modules").symlink_to(modules)
        if block.lang == "js":
            script = cwd / "snippet.mjs"
            script.write_text(block.code)
            return ["node", str(script)], script
        source = cwd / "snippet.mts"
        source.write_text(block.code)
        tsc = NODE / "node_modules" / "typescript" / "bin" / "tsc"
        checked = run(
            [
                "node",
                str(tsc),
                "--strict",
                "--target",
                "es2022",
                "--module",
                "nodenext",
                "--moduleResolution",
                "nodenext",
                "--outDir",
                str(tsc_out),
                str(source),
            ],
            cwd,
            dict(os.environ),
        )
        if not checked.ok:
            return Outcome(False, "tsc --strict:\n" + checked.output)
        script = cwd / "snippet.mjs"
        shutil.copy(tsc_out / "snippet.mjs", script)
        return ["node", str(script)], script
    if block.language == "shell":
        (cwd / "node_modules").symlink_to(modules)
        script = cwd / "snippet.sh"
        script.write_text(block.code)
        return ["bash", "-euo", "pipefail", str(script)], script
    raise AssertionError(block.lang)


def wait_for(port: int, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check_quickstart(
    port: int, env: dict[str, str], send: list[str] | None = None, cwd: Path = REPO
) -> list[str]:
    """A bad body (400 with the issues), a bad token (401), a good delivery (204), then `send`
    (`send`, default this Python's `-m oneinbox_webhooks send`) plays a whole call (204 each)."""
    from oneinbox_webhooks import add_url_token
    from oneinbox_webhooks.testing import make_delivery, make_event

    base = f"http://127.0.0.1:{port}/webhooks/oneinbox"
    token = env["ONEINBOX_URL_TOKEN"]
    problems: list[str] = []
    json_type = {"content-type": "application/json"}
    status, body = post(add_url_token(base, token), b'{"event":"call.ended"}', json_type)
    issues = json.loads(body).get("issues", []) if status == 400 and body else []
    if status != 400 or not any(i.get("path") == "/call_id" for i in issues):
        problems.append(
            f"a body without call_id: {status} {body[:300]!r} (want 400 with the issues)"
        )
    good = make_event("call.ended", call_id="call_snippets")
    status, body = post(add_url_token(base, "wrong" + token), good, json_type)
    if status != 401:
        problems.append(f"a wrong token: {status} {body[:300]!r} (want 401)")
    d = make_delivery(good, url=base, url_token=token)
    status, body = post(d.url, d.body, dict(d.headers))
    if status != 204:
        problems.append(f"a good delivery: {status} {body[:300]!r} (want 204)")
    # A whole call, as the quickstart's next step plays it: every answer 204.
    command = send if send is not None else [str(PYTHON), "-m", "oneinbox_webhooks", "send"]
    sent = run([*command, "--to", base], cwd, env)
    statuses = re.findall(r"^[a-z.]+ +(\d{3}) ", sent.output, re.M)
    if not sent.ok or not statuses or set(statuses) != {"204"}:
        problems.append(f"`send --to {base}`: every answer 204 wanted, got:\n{sent.output}")
    return problems


def serve(
    cmd: list[str],
    block: Block,
    cwd: Path,
    env: dict[str, str],
    port: int,
    send: list[str] | None = None,
) -> Outcome:
    log = cwd / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        if not wait_for(port, proc, time.monotonic() + TIMEOUT):
            return Outcome(
                False,
                f"the server did not listen on PORT={port}\n{log.read_text(errors='replace')}",
            )
        quickstart = block.name.startswith("quickstart-")
        problems = check_quickstart(port, env, send, cwd) if quickstart else []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    logged = log.read_text(errors="replace")
    if block.name.startswith("quickstart-"):
        # What a newcomer reads: the forged delivery's WARNING names its reason, and neither the
        # access log nor any other line shows the URL token.
        if "token_mismatch" not in logged:
            problems.append("the wrong token's 401 was not logged with its reason (token_mismatch)")
        if env["ONEINBOX_URL_TOKEN"] in logged:
            problems.append("the server's output shows the URL token")
    if problems:
        return Outcome(False, "\n".join(problems) + "\n" + logged)
    return Outcome(True)


def run_block(
    block: Block, services: Services, modules: Path, rust_bins: dict[str, Path]
) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="snippet-") as tmp:
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        port = free_port() if "serve" in block.marks else None
        env = block_env(services, port)
        if block.lang == "rust":  # a served Rust block: the docs crate's binary of that name
            cmd: list[str] | Outcome = [str(rust_bins[block.name])]
        else:
            made = program(block, cwd, modules, Path(tmp) / "tsc-out")
            if isinstance(made, Outcome):
                return made
            cmd = made[0]
        if port is not None:
            return serve(cmd, block, cwd, env, port)
        outcome = run(cmd, cwd, env)
        if block.lang == "python" and not outcome.ok and "no tests ran" in outcome.output:
            return Outcome(True, outcome.output)  # pytest's exit 5: a block without test_ functions
        return outcome


# ---- Rust: doc tests of the docs crate ------------------------------------------------------


def rust_doctests(
    blocks: list[Block], services: Services
) -> tuple[dict[str, Outcome], dict[str, Path]]:
    """Runs the docs crate's doc tests (one per Rust block of every page) and builds the served
    blocks' binaries. Returns each block's outcome by `where`, and the binaries by name."""
    lib = (DOCS_CRATE / "src" / "lib.rs").read_text(encoding="utf-8")
    outcomes: dict[str, Outcome] = {}
    for block in blocks:
        rel = block.path.relative_to(REPO).as_posix()
        if f'"/{rel}"))]' not in lib:
            outcomes[block.where] = Outcome(
                False, f"{rel} is not included by {DOCS_CRATE}/src/lib.rs"
            )
    done = subprocess.run(
        [
            "cargo",
            "test",
            "-p",
            "oneinbox-webhooks-docs",
            "--features",
            "snippets",
            "--doc",
            "--",
            "--test-threads",
            "2",
        ],
        cwd=REPO,
        env=block_env(services),
        capture_output=True,
        text=True,
    )
    out = done.stdout + done.stderr
    # "src/lib.rs - Quickstart (line 57) ... ok": rustdoc's line is the page's line moved by
    # where the item is in lib.rs, so each page's results are matched to its blocks in order.
    results: dict[str, list[tuple[int, str]]] = {}
    for m in re.finditer(
        r"^test \S*src/lib\.rs - (\w+) \(line (\d+)\)(?: - compile)? \.\.\. (\w+)", out, re.M
    ):
        results.setdefault(m.group(1), []).append((int(m.group(2)), m.group(3)))
    items = dict(re.findall(r'"/([^"]+)"\)\)\]\s*pub struct (\w+);', lib))
    by_item: dict[str, list[Block]] = {}
    for block in blocks:
        if block.where not in outcomes:
            by_item.setdefault(items.get(block.path.relative_to(REPO).as_posix(), ""), []).append(
                block
            )
    for item, page_blocks in by_item.items():
        ran = sorted(results.get(item, []))
        if len(ran) != len(page_blocks):
            for block in page_blocks:
                outcomes[block.where] = Outcome(
                    False,
                    f"{len(page_blocks)} blocks, {len(ran)} doc tests of {item}\n{out[-5000:]}",
                )
            continue
        for block, (line, verdict) in zip(sorted(page_blocks, key=lambda b: b.line), ran):
            ok = verdict == "ok"
            outcomes[block.where] = Outcome(
                ok, "" if ok else f"doc test {item} (line {line}): {verdict}\n{out[-6000:]}"
            )
    bins: dict[str, Path] = {}
    served = [b for b in blocks if "serve" in b.marks and "skip" not in b.marks]
    for block in served:
        built = subprocess.run(
            ["cargo", "build", "-q", "-p", "oneinbox-webhooks-docs", "--bin", block.name],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:
            outcomes[block.where] = Outcome(False, built.stderr[-6000:])
        target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
        bins[block.name] = target / "debug" / block.name
    return outcomes, bins


# ---- the whole run --------------------------------------------------------------------------


def check_markers(block: Block) -> str | None:
    """A problem with the block's fence or markers, or None."""
    if block.lang not in RUN | DATA:
        return f"a block in a language the runner does not know: {block.lang!r} (```{block.info})"
    unknown = set(block.marks) - {"skip", "name", "serve", "shell"}
    if unknown:
        return f"unknown snippet markers: {sorted(unknown)}"
    if "skip" in block.marks and not block.marks["skip"]:
        return "a skip needs a reason: <!-- snippet: skip: <reason> -->"
    if block.lang == "python" and "serve" not in block.marks and "__main__" in block.code:
        # Run under pytest, a module's `if __name__ == "__main__":` part would never run.
        return 'a Python block that is not served has no `if __name__ == "__main__":` part'
    if block.lang == "rust":
        ignored = "ignore" in block.info.split(",")
        if ignored != ("skip" in block.marks):
            return "a Rust block is `rust,ignore` exactly when it is marked skip (with the reason)"
        if "serve" in block.marks and "no_run" not in block.info.split(","):
            return "a served Rust block is `rust,no_run` (its doc test only compiles it)"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="block names or page paths")
    parser.add_argument(
        "--lang", nargs="*", default=[], help="only these languages (python js ts rust shell)"
    )
    parser.add_argument("--no-rust", action="store_true", help="leave out the Rust doc tests")
    args = parser.parse_args()

    blocks = [b for p in pages() for b in blocks_of(p)]
    if args.only:
        blocks = [
            b
            for b in blocks
            if b.name in args.only or any(str(b.path).endswith(o) for o in args.only)
        ]
    if args.lang:
        blocks = [b for b in blocks if b.language in args.lang or b.lang in DATA]
    langs = ["python", "js", "ts", "rust", "shell"]
    counts = {lang: {"run": 0, "passed": 0, "failed": 0, "skipped": 0} for lang in langs}
    skips: list[str] = []
    failures: list[str] = []

    def record(block: Block, outcome: Outcome) -> None:
        c = counts[block.language]
        c["run"] += 1
        c["passed" if outcome.ok else "failed"] += 1
        status = "ok" if outcome.ok else "FAILED"
        label = f" [{block.name}]" if block.name else ""
        print(f"{status:6} {block.language:6} {block.where}{label}", flush=True)
        if not outcome.ok:
            failures.append(f"--- {block.where}{label}\n{outcome.output.rstrip()}")

    def skip(block: Block, reason: str) -> None:
        counts[block.language]["skipped"] += 1
        skips.append(f"{block.language:6} {block.where}: {reason}")

    runnable: list[Block] = []
    first_of: dict[str, Block] = {}
    for block in blocks:
        problem = check_markers(block)
        if problem is None and block.name:
            first = first_of.setdefault(block.name, block)
            if first.code != block.code:
                problem = f"the block named {block.name} differs from the one at {first.where}"
        if problem is not None:
            counts.setdefault(block.language, {"run": 0, "passed": 0, "failed": 0, "skipped": 0})
            if block.language not in langs:
                langs.append(block.language)
            record(block, Outcome(False, problem))
        elif block.lang in DATA:
            continue
        elif "skip" in block.marks:
            skip(block, block.marks["skip"])
        elif block.language == "shell" and "shell" not in block.marks:
            skip(block, "a shell block not marked <!-- snippet: shell --> (not run)")
        else:
            runnable.append(block)

    with tempfile.TemporaryDirectory(prefix="snippets-") as tmp:
        workdir = Path(tmp)
        services = Services(workdir)
        try:
            modules = node_modules(workdir)
            rust = [b for b in runnable if b.lang == "rust"]
            rust_outcomes: dict[str, Outcome] = {}
            rust_bins: dict[str, Path] = {}
            if rust and args.no_rust:
                for b in rust:
                    skip(b, "--no-rust")
            elif rust:
                print(
                    f"rust: {len(rust)} blocks as doc tests of {DOCS_CRATE.relative_to(REPO)}",
                    flush=True,
                )
                rust_outcomes, rust_bins = rust_doctests(rust, services)
            for block in runnable:
                needs = [v for v in services.missing if v in block.code]
                if needs and os.environ.get("CI"):
                    # CI installs Redis and PostgreSQL (.ci/run): a block that needs one fails
                    # there rather than passing unrun, as the store tests do.
                    record(block, Outcome(False, "; ".join(services.missing[v] for v in needs)))
                    continue
                if needs:
                    skip(block, "; ".join(services.missing[v] for v in needs))
                    continue
                if block.lang == "rust":
                    if args.no_rust:
                        continue
                    outcome = rust_outcomes[block.where]
                    if outcome.ok and "serve" in block.marks:
                        outcome = run_block(block, services, modules, rust_bins)
                    record(block, outcome)
                else:
                    record(block, run_block(block, services, modules, rust_bins))
        finally:
            services.close()

    for failure in failures:
        print(failure, file=sys.stderr)
    print("\nsnippets per language (README.md and docs/):")
    for lang in langs:
        c = counts[lang]
        run_, ok, bad, skipped = c["run"], c["passed"], c["failed"], c["skipped"]
        print(f"  {lang:7} {run_:3} run, {ok:3} passed, {bad:3} failed, {skipped:3} skipped")
    for line in skips:
        print(f"  skipped: {line}")
    passed = sum(c["passed"] for c in counts.values())
    failed = sum(c["failed"] for c in counts.values())
    skipped = sum(c["skipped"] for c in counts.values())
    print(f"snippets: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
