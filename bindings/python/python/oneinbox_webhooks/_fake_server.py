"""The loopback HTTP server of ``testing.FakeOneInbox.serve()``: it reads each request, asks the
fake for the answer and writes it, or closes the connection when the fake gives none."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

# (method, target, headers, body) -> (status, headers, body), or None: no answer.
Handle = Callable[
    [str, str, list[tuple[str, str]], Optional[bytes]],
    Optional[tuple[int, list[tuple[str, str]], bytes]],
]


class FakeServer(ThreadingHTTPServer):
    """Serves ``handle`` on ``address`` in a thread until ``stop()``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        super().__init__(address, _Handler)
        self.handle_request_of = handle
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()
        self.thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="FakeOneInbox", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """``http://HOST:PORT``."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.open_lock:
            self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.open_lock:
            self.open.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        """Stops serving and ends the kept-alive connections, so that no answer comes after."""
        self.shutdown()
        self.server_close()
        with self.open_lock:
            connections = list(self.open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed
                connection.shutdown(socket.SHUT_RDWR)
        self.thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one write per answer (headers and body apart wait on delayed ACKs)
    server: FakeServer

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks) or None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _any(self) -> None:
        body = self._read_body()
        answer = self.server.handle_request_of(
            self.command, self.path, list(self.headers.items()), body
        )
        if answer is None:  # no answer: the client sees the connection close
            self.close_connection = True
            return
        status, headers, raw = answer
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet (a request line never carries the key anyway)
