"""Access logs without URL tokens (issue 28): ``UrlTokenFilter`` / ``redact_access_logs()`` on
the records uvicorn, gunicorn, Werkzeug and Django's runserver really write for a request whose
URL carries the token (each server run or called as it is in production), and nothing else
changed."""

from __future__ import annotations

import logging
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from oneinbox_webhooks import UrlTokenFilter, new_url_token, redact_access_logs

TOKEN = new_url_token()


class Capture(logging.Handler):
    """Keeps each record's formatted message."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    names = ("uvicorn.access", "gunicorn.access", "werkzeug", "django.server")
    loggers = [logging.getLogger(n) for n in names]
    before = [(lg.level, list(lg.filters)) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    redact_access_logs()
    yield handler
    for lg, (level, filters) in zip(loggers, before, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.filters[:] = filters


def test_redact_access_logs_adds_one_filter_once() -> None:
    logger = logging.getLogger("uvicorn.access")
    kept = list(logger.filters)
    try:
        first = redact_access_logs()
        assert redact_access_logs() is first
        assert sum(isinstance(f, UrlTokenFilter) for f in logger.filters) == 1
        assert first in logging.getLogger("gunicorn.access").filters
    finally:
        for name in ("uvicorn.access", "gunicorn.access", "werkzeug", "django.server"):
            logging.getLogger(name).filters[:] = [
                f for f in logging.getLogger(name).filters if not isinstance(f, UrlTokenFilter)
            ]
        logger.filters[:] = kept


def test_a_record_without_a_token_is_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "%s %d", ("GET /health", 200), None)
    assert UrlTokenFilter().filter(record) is True
    assert record.getMessage() == "GET /health 200"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="uvicorn is installed on 3.11+")
def test_uvicorn_access_log(capture: Capture) -> None:
    from uvicorn_server import UvicornServer

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = UvicornServer(app)
    try:
        # uvicorn's log_config replaced the logger's handlers and level (not its filters).
        access = logging.getLogger("uvicorn.access")
        access.addHandler(capture)
        access.setLevel(logging.INFO)
        url = f"{server.origin}/webhooks/oneinbox?team=a&token={TOKEN}"
        urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b"{}")).read()
    finally:
        server.close()
    [line] = [x for x in capture.lines if "/webhooks/oneinbox" in x]
    assert TOKEN not in line
    assert '"POST /webhooks/oneinbox?team=a&token=[redacted] HTTP/1.1" 204' in line


def test_gunicorn_access_log(capture: Capture) -> None:
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(U)s q=%(q)s ref=%({referer}i)s %(a)s')
    log = Logger(cfg)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/webhooks/oneinbox?token={TOKEN}",
        "PATH_INFO": "/webhooks/oneinbox",
        "QUERY_STRING": f"token={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
    }
    resp = SimpleNamespace(status="204 No Content", sent=0, headers=[])
    req = SimpleNamespace(headers=[("REFERER", f"https://x.test/?token={TOKEN}")])
    log.access(resp, req, environ, timedelta(milliseconds=3))
    [line] = [x for x in capture.lines if "/webhooks/oneinbox" in x]
    assert TOKEN not in line
    assert line == (
        '203.0.113.9 "POST /webhooks/oneinbox?token=[redacted] HTTP/1.1" 204 /webhooks/oneinbox '
        "q=token=[redacted] ref=https://x.test/?token=[redacted] -"
    )


def test_werkzeug_access_log(capture: Capture) -> None:
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def app(environ: Any, start_response: Any) -> Any:
        return Response(status=204)(environ, start_response)

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhooks/oneinbox?token={TOKEN}"
        urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b"{}")).read()
    finally:
        server.shutdown()
        thread.join()
    [line] = [x for x in capture.lines if "/webhooks/oneinbox" in x]
    assert TOKEN not in line  # the request line may be coloured: match inside it
    assert "POST /webhooks/oneinbox?token=[redacted] HTTP/1.1" in line and line.endswith(" 204 -")


def test_django_runserver_log(capture: Capture) -> None:
    from django.core.servers.basehttp import WSGIRequestHandler

    # runserver's request handler logs the request line through its own log_message.
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.requestline = f"POST /webhooks/oneinbox?token={TOKEN} HTTP/1.1"
    handler.log_request(204, 0)
    [line] = [x for x in capture.lines if "/webhooks/oneinbox" in x]
    assert line == '"POST /webhooks/oneinbox?token=[redacted] HTTP/1.1" 204 0'
