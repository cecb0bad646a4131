"""An ASGI app served by uvicorn on a free loopback port, in a thread (for tests that need a
real receiver over HTTP)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


class UvicornServer:
    """Serves ``app`` at ``self.origin`` (``http://127.0.0.1:PORT``) until ``close()``."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join()
