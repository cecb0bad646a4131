"""Starts a throwaway redis-server on a free loopback port for the store tests, and stops it.

Debian's `redis-server` (`.ci/run` installs it). Where it is missing the tests that need it
fail: they never skip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


class RedisServer:
    """One redis-server process: nothing saved to disk, bound to 127.0.0.1 only."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError(
                "redis-server is not installed (the store tests need a real Redis server): "
                "`apt-get install redis-server` (.ci/run installs it)"
            )
        last_error = ""
        for _attempt in range(5):
            self.port = _free_port()
            log = workdir / f"redis-{self.port}.log"
            options = {
                "--port": str(self.port),
                "--bind": "127.0.0.1",
                "--save": "",
                "--appendonly": "no",
                "--dir": str(workdir),
                "--logfile": str(log),
                "--daemonize": "no",
            }
            with (workdir / f"redis-{self.port}.stderr").open("wb") as stderr:
                self.process = subprocess.Popen(
                    [exe, *(part for option in options.items() for part in option)],
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                )
            if self._wait_ready(deadline=time.monotonic() + 15):
                return
            self.stop()
            output = [p.read_text(errors="replace") for p in workdir.glob(f"redis-{self.port}.*")]
            last_error = "".join(output)[-2000:]
        raise RuntimeError(f"redis-server did not start:\n{last_error}")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_ready(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # exited: the port was taken meanwhile, or a bad option
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
