"""Starts a throwaway PostgreSQL server on a free loopback port for the store tests, and stops it.

Debian's `postgresql` package (`.ci/run` installs it): the newest `/usr/lib/postgresql/*/bin`.
The server refuses to run as root, so as root `initdb` and `pg_ctl` run as the `postgres` user
through `runuser`, over a data directory that user owns. Where it is missing the tests that
need it fail: they never skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "oneinbox"
DATABASE = "oneinbox"


def _bin_dir() -> Path:
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*") if (p / "bin" / "pg_ctl").exists()),
        key=lambda p: [int(part) for part in p.name.split(".") if part.isdigit()],
    )
    if not versions:
        raise RuntimeError(
            "PostgreSQL is not installed (the Postgres store tests need a real server): "
            "`apt-get install postgresql` (.ci/run installs it)"
        )
    return versions[-1] / "bin"


class PostgresServer:
    """One PostgreSQL server: a fresh data directory, trust authentication, bound to 127.0.0.1
    only, its socket in that directory; a database and a user named ``oneinbox``."""

    def __init__(self, workdir: Path) -> None:
        bindir = _bin_dir()
        self._as_user: list[str] = []
        # As root, a directory of the postgres user's own (pytest's base temp dir is mode 700).
        base = Path(tempfile.mkdtemp(prefix="oneinbox-pg-")) if os.geteuid() == 0 else workdir
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("runuser is missing: it runs PostgreSQL as the postgres user")
            self._as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(base, "postgres")
        self._base = base
        self.data = base / "data"
        self._pg_ctl = str(bindir / "pg_ctl")
        self._createdb = str(bindir / "createdb")
        self._created = 0
        self._run(
            [str(bindir / "initdb"), "-A", "trust", "-U", USER, "-E", "UTF8", "-D", str(self.data)]
        )
        last_error = ""
        for _attempt in range(5):
            self.port = _free_port()
            options = f"-p {self.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
            log = base / f"postgres-{self.port}.log"
            started = subprocess.run(
                [
                    *self._as_user,
                    self._pg_ctl,
                    "-D",
                    str(self.data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
            )
            if started.returncode == 0:
                self._run(
                    [self._createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE]
                )
                return
            last_error = started.stderr.decode(errors="replace")
            if log.exists():
                last_error += log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(
            [*self._as_user, *argv], stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            raise RuntimeError(f"{Path(argv[0]).name} failed:\n{output[-2000:]}")

    @property
    def dsn(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def new_database(self) -> str:
        """A new empty database (a test's own tables); its DSN."""
        self._created += 1
        name = f"test_{os.getpid()}_{self._created}"
        self._run([self._createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name])
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            [*self._as_user, self._pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self._base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
