"""`python -m oneinbox_webhooks send`: against the README's FastAPI receiver (served by uvicorn on
a loopback port) and a stdlib http.server receiver, the exit status, the output lines, and
secrets never printed."""

# No `from __future__ import annotations` here: FastAPI reads the endpoint's annotations at run
# time, and the app is built inside a function.

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fixtures import REPO, load

from oneinbox_webhooks import AuthenticationError, Receiver, ValidationError
from oneinbox_webhooks.cli import main
from oneinbox_webhooks.router import KNOWN_EVENTS
from oneinbox_webhooks.testing import CALL_SEQUENCE

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "tok_SECRET_url_token_123"
PATH = "/webhooks/oneinbox"


class Received:
    """What a receiver accepted: (event name, call_id, webhook-id header)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    def add(self, event: Any, headers: Any) -> None:
        with self.lock:
            self.events.append((event.event, event.call_id, headers.get("webhook-id", "")))


def fastapi_app(received: Received) -> Any:
    """The README's FastAPI receiver ("Authenticating deliveries from Python")."""
    from fastapi import FastAPI, HTTPException, Request

    receiver = Receiver(url_tokens=[TOKEN], signing_secrets=[WHSEC])
    app = FastAPI()

    @app.post(PATH)
    async def oneinbox_webhook(request: Request) -> None:
        try:
            event = receiver.receive(
                await request.body(), headers=request.headers, url=str(request.url)
            )
        except AuthenticationError as err:  # err.verification.code: "missing_token", ...
            raise HTTPException(401, err.verification.code) from None
        received.add(event, request.headers)

    return app


@pytest.fixture()
def fastapi_receiver() -> Iterator[tuple[str, Received]]:
    if sys.version_info < (3, 11):
        pytest.skip("FastAPI and uvicorn as pinned need Python 3.11 (the stdlib test runs)")
    import uvicorn

    received = Received()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fastapi_app(received), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}{PATH}", received
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _Handler(BaseHTTPRequestHandler):
    """A receiver with the standard library only: 401 when Receiver refuses, 400 when the body
    is not an event, 204 otherwise."""

    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = self.server.receiver.receive(body, headers=self.headers.items(), url=self.path)
            self.server.received.add(event, self.headers)
            status = 204
        except AuthenticationError:
            status = 401
        except ValidationError:
            status = 400
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver, received: Received) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver, self.received = receiver, received


@pytest.fixture()
def stdlib_receiver() -> Iterator[tuple[str, Received]]:
    received = Received()
    server = _Server(Receiver(url_tokens=[TOKEN], signing_secrets=[WHSEC]), received)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PATH}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run(*argv: str) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue().splitlines(), err.getvalue()


def secrets_absent(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and WHSEC not in text and "MfKQ9r8" not in text, text


# ---- the README's FastAPI receiver ----------------------------------------------------------


def test_send_a_whole_call_to_fastapi(fastapi_receiver: tuple[str, Received]) -> None:
    url, received = fastapi_receiver
    status, lines, err = run(
        "send", "--to", url, "--url-token", TOKEN, "--signing-secret", WHSEC, "--call-id", "call_7"
    )
    assert status == 0, (lines, err)
    assert [e for e, _, _ in received.events] == list(CALL_SEQUENCE)
    assert {c for _, c, _ in received.events} == {"call_7"}
    assert [line.split()[:2] for line in lines] == [[e, "200"] for e in CALL_SEQUENCE]
    assert all(line.split()[-1] == "ms" for line in lines)
    assert "6 deliveries" in err and "6 answered 2xx" in err
    secrets_absent(*lines, err)


def test_send_all_seven_events_to_fastapi(fastapi_receiver: tuple[str, Received]) -> None:
    url, received = fastapi_receiver
    status, lines, err = run(
        "send", "--to", url, "--url-token", TOKEN, "--signing-secret", WHSEC, *KNOWN_EVENTS
    )
    assert status == 0, (lines, err)
    assert [e for e, _, _ in received.events] == list(KNOWN_EVENTS)
    assert len({c for _, c, _ in received.events}) == 1  # one call_id for all
    assert len({m for _, _, m in received.events}) == 7  # a message id each
    assert len(lines) == 7


def test_a_forged_delivery_gets_401(fastapi_receiver: tuple[str, Received]) -> None:
    url, received = fastapi_receiver
    status, lines, err = run("send", "--to", url, "--url-token", "forged", "call.ended")
    assert status == 1
    assert [line.split()[:2] for line in lines] == [["call.ended", "401"]]
    assert received.events == []
    assert "0 answered 2xx" in err
    # the right token without the signature the receiver also requires
    status, lines, _ = run("send", "--to", url, "--url-token", TOKEN, "call.ended")
    assert status == 1 and lines[0].split()[1] == "401"
    assert received.events == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="FastAPI and uvicorn need Python 3.11")
def test_send_prints_the_reason_the_adapter_gave() -> None:
    # Issue 28: `send` prints why a receiver refused (the adapter's 401 body), and says
    # "1 delivery", not "1 deliveries".
    from fastapi import FastAPI
    from uvicorn_server import UvicornServer

    from oneinbox_webhooks import Router, new_signing_secret
    from oneinbox_webhooks.fastapi import webhook_router

    app = FastAPI()
    app.include_router(webhook_router(Receiver(url_tokens=[TOKEN]), Router()))
    server = UvicornServer(app)
    try:
        url = server.origin + PATH
        status, lines, err = run("send", "--to", url, "--url-token", "forged", "call.ended")
        assert status == 1
        assert lines[0].split()[:2] == ["call.ended", "401"]
        assert lines[0].endswith(" ms  token_mismatch")
        assert err == f"1 delivery to {url}: 0 answered 2xx\n"
        args = ["send", "--to", url, "--signing-secret", new_signing_secret(), "call.ended"]
        status, lines, _ = run(*args)
        assert status == 1 and lines[0].endswith(" ms  missing_token")
        status, lines, err = run("send", "--to", url, "--url-token", TOKEN, "call.ended")
        assert status == 0 and lines[0].endswith(" ms")  # 204: no reason
        assert err.startswith("1 delivery to ") and err.endswith(": 1 answered 2xx\n")
    finally:
        server.close()


# ---- a stdlib receiver ----------------------------------------------------------------------


def test_shuffle_and_duplicates(stdlib_receiver: tuple[str, Received]) -> None:
    url, received = stdlib_receiver
    args = ["send", "--to", url, "--url-token", TOKEN, "--signing-secret", WHSEC]
    status, lines, _ = run(*args, "--shuffle", "--duplicates", "3", "--seed", "42")
    assert status == 0
    assert len(received.events) == len(CALL_SEQUENCE) + 3 == len(lines)
    assert sorted({e for e, _, _ in received.events}) == sorted(CALL_SEQUENCE)
    ids = [m for _, _, m in received.events]
    assert len(set(ids)) == len(CALL_SEQUENCE)  # the duplicates reuse their message id
    assert sum(line.endswith("(again)") for line in lines) == 3
    first_order = [e for e, _, _ in received.events]
    received.events.clear()
    assert run(*args, "--shuffle", "--duplicates", "3", "--seed", "42")[0] == 0
    assert [e for e, _, _ in received.events] == first_order  # --seed repeats it
    assert list(dict.fromkeys(first_order)) != list(CALL_SEQUENCE)  # shuffled


def test_duplicates_follow_their_original_without_shuffle(
    stdlib_receiver: tuple[str, Received],
) -> None:
    url, received = stdlib_receiver
    args = ["send", "--to", url, "--url-token", TOKEN, "--signing-secret", WHSEC]
    assert run(*args, "--duplicates", "8", "--seed", "1", "call.started", "call.ended")[0] == 0
    names = [e for e, _, _ in received.events]
    assert len(names) == 10 and names[:4] == [
        "call.started",
        "call.started",
        "call.ended",
        "call.ended",
    ]


def test_python_dash_m_with_secrets_from_the_environment(
    stdlib_receiver: tuple[str, Received],
) -> None:
    url, received = stdlib_receiver
    env = dict(os.environ, ONEINBOX_URL_TOKEN=TOKEN, ONEINBOX_SIGNING_SECRET=WHSEC)
    done = subprocess.run(
        [sys.executable, "-m", "oneinbox_webhooks", "send", "--to", url, "call.failed"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["call.failed", "204"]
    assert [e for e, _, _ in received.events] == ["call.failed"]
    secrets_absent(done.stdout, done.stderr)


def test_a_body_the_receiver_rejects_is_a_failure(stdlib_receiver: tuple[str, Received]) -> None:
    url, _ = stdlib_receiver
    # A receiver that knows other secrets: every delivery gets 401, and the status says so.
    status, lines, _ = run(
        "send",
        "--to",
        url,
        "--url-token",
        TOKEN,
        "--signing-secret",
        "whsec_" + "B" * 32,
        "call.started",
        "call.ended",
    )
    assert status == 1 and [line.split()[1] for line in lines] == ["401", "401"]


# ---- --dry-run: the plan, shared with the Node command -------------------------------------


def test_dry_run_prints_the_shared_plan_of_the_issue_example() -> None:
    # The expected lines are stored once, in the fixture both bindings' commands are held to.
    fixture = load(REPO / "tests" / "fixtures" / "send" / "two-events-seed-7.json")
    command = ["send", "--dry-run", "--seed", "7", "call.started", "call.ended"]
    done = subprocess.run(
        [sys.executable, "-m", "oneinbox_webhooks", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(d["line"] + "\n" for d in fixture["deliveries"])


def test_dry_run_sends_nothing_and_a_run_follows_its_plan(
    stdlib_receiver: tuple[str, Received],
) -> None:
    url, received = stdlib_receiver
    args = ["send", "--to", url, "--url-token", TOKEN, "--signing-secret", WHSEC]
    plan = ["--seed", "99", "--duplicates", "2", "--shuffle"]
    status, lines, err = run(*args, *plan, "--dry-run")
    assert status == 0 and len(lines) == len(CALL_SEQUENCE) + 2 and err == ""
    assert received.events == []
    secrets_absent(*lines)
    assert run(*args, *plan)[0] == 0
    # Each line: event, call id, message id, and "(again)" for a repeat.
    assert [(e, c, m) for e, c, m in received.events] == [tuple(line.split()[:3]) for line in lines]
    assert sum(line.endswith("  (again)") for line in lines) == 2
    # Without --seed, two dry runs draw their own seeds.
    assert run("send", "--dry-run")[1] != run("send", "--dry-run")[1]


def test_dry_run_checks_the_url_and_secret_when_given() -> None:
    status, lines, err = run(
        "send", "--dry-run", "--to", "ftp://example.com/h", "--signing-secret", "whsec_!!SECRETXYZ"
    )
    assert status == 2 and lines == [] and "SECRETXYZ" not in err
    assert "/url" in err and "/signing_secret" in err


# ---- usage ----------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("send", "--to", "http://127.0.0.1:9/h", "call.exploded")[0] == 2
    assert run("send", "call.ended")[0] == 2  # no --to
    assert run("send", "--to", "http://x", "--duplicates", "-1")[0] == 2
    assert run("send", "--to", "http://x", "--duplicates", "1001")[0] == 2  # at most 1000
    assert run("send", "--to", "http://x", "--seed", "-5")[0] == 2  # 0 to 2**64 - 1
    assert run()[0] == 2  # no command
    status, lines, err = run(
        "send", "--to", "http://127.0.0.1:9/h", "--signing-secret", "whsec_!!SECRETXYZ"
    )
    assert status == 2 and lines == [] and "SECRETXYZ" not in err
    assert run("send", "--help")[0] == 0
    assert "--url-token" in capsys.readouterr().out


def test_an_unreachable_receiver_exits_1() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    status, lines, err = run(
        "send", "--to", f"http://127.0.0.1:{port}/h", "--url-token", TOKEN, "call.ended"
    )
    assert status == 1 and lines[0].split()[:2] == ["call.ended", "error:"]
    secrets_absent(*lines, err)
    assert json.dumps(lines)  # plain text lines


def test_a_receiver_that_does_not_speak_http_is_an_error_line_not_a_traceback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def answer_garbage() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")  # a port that speaks something else

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    try:
        status, lines, err = run(
            "send", "--to", f"http://127.0.0.1:{port}/h", "--url-token", TOKEN, "call.ended"
        )
    finally:
        thread.join(timeout=5)
        server.close()
    assert status == 1 and lines[0].split()[:2] == ["call.ended", "error:"], lines
    secrets_absent(*lines, err)


# ---- secrets: never in an error; option > file > environment --------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["send", "--url-tokn", TOKEN, "--to", "http://127.0.0.1:9/h"],
        ["send", f"--url-tokn={TOKEN}", "--to", "http://127.0.0.1:9/h"],
        ["send", "--to", "http://127.0.0.1:9/h", f"--signing-secert={WHSEC}"],
        ["send", "--to", "http://127.0.0.1:9/h", "--timeout", TOKEN],
        ["send", "--dry-run", TOKEN],  # the secret typed where an event name goes
        ["sned", "--url-token", TOKEN],
    ],
)
def test_a_typo_never_prints_the_secret_that_follows(argv: list[str]) -> None:
    status, lines, err = run(*argv)
    assert status == 2 and lines == [], err
    assert "error:" in err
    secrets_absent(err)


def test_secrets_from_files_and_the_environment(
    stdlib_receiver: tuple[str, Received], tmp_path: Any
) -> None:
    url, received = stdlib_receiver
    token_file, secret_file = tmp_path / "token", tmp_path / "whsec"
    token_file.write_text(TOKEN + "\n")
    secret_file.write_text(WHSEC + "\n")
    files = ["--url-token-file", str(token_file), "--signing-secret-file", str(secret_file)]

    def send(*argv: str, env: dict[str, str]) -> tuple[int, list[str], str]:
        out, err = io.StringIO(), io.StringIO()
        argv = ("send", "--to", url, *argv, "call.ended")
        status = main(argv, stdout=out, stderr=err, environ=env)
        return status, out.getvalue().splitlines(), err.getvalue()

    wrong = {"ONEINBOX_URL_TOKEN": "tok_wrong", "ONEINBOX_SIGNING_SECRET": "whsec_" + "B" * 32}
    status, lines, err = send(*files, env=wrong)  # the files win over the environment
    assert status == 0 and lines[0].split()[1] == "204", (lines, err)
    right = {"ONEINBOX_URL_TOKEN": TOKEN, "ONEINBOX_SIGNING_SECRET": WHSEC}
    assert send(env=right)[0] == 0  # the environment alone
    # the options win over the files
    status, lines, _ = send("--url-token", "tok_wrong", *files, env=right)
    assert status == 1 and lines[0].split()[1] == "401"
    assert [e for e, _, _ in received.events] == ["call.ended", "call.ended"]
    # a file that is not one line, or cannot be read: exit 2, and the secret is not printed
    token_file.write_text(TOKEN + "\n" + TOKEN + "\n")
    status, _, err = send(*files, env={})
    assert status == 2 and "/url_token_file" in err
    status, _, err = send("--url-token-file", str(tmp_path / "missing"), env={})
    assert status == 2 and "--url-token-file: cannot read the file" in err
    secrets_absent(err)
