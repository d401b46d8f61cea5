"""A real PostgreSQL server for the test session, started in a temporary folder by the tests themselves.

Debian's `postgresql` binaries are found by `pg_config` or under /usr/lib/postgresql. initdb and pg_ctl
refuse to run as root (CI runs as root): then the server runs as the `postgres` system user, or
`nobody`. Without binaries the PostgreSQL half skips with one reason — unless
TEARJERKER_REQUIRE_POSTGRES=1 (as `.ci/run` sets), when it fails instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRED = os.environ.get("TEARJERKER_REQUIRE_POSTGRES") == "1"


def _bindir() -> Path | None:
    config = shutil.which("pg_config")
    if config:
        out = subprocess.run([config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    user: str | None  # the OS user the server runs as (None: this one)
    superuser: str

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/postgres"

    def dsn(self, database: str) -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], user=self.user, capture_output=True, text=True,
            check=False, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        data = self.folder / "data"
        result = self._run("initdb", "-D", str(data), "-A", "trust", "-U", self.superuser, "-E", "UTF8")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip()}")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = self.folder / "server.log"
        result = self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr.strip()} {log.read_text()[-500:]}")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop and start again on the same port (an outage, as an operator's restart makes one)."""
        self.stop("fast")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "start")  # fmt: skip


def start_server() -> PostgresServer:
    bindir = _bindir()
    if bindir is None:
        reason = "PostgreSQL binaries not found (install Debian's postgresql package to run these tests)"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    user = None
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
    folder = Path(tempfile.mkdtemp(prefix="tearjerker-pg-"))
    if user is not None:
        shutil.chown(folder, user=user)
    server = PostgresServer(bindir, folder, _free_port(), user, "tearjerker")
    try:
        server.start()
    except RuntimeError as exc:
        if REQUIRED:
            pytest.fail(str(exc))
        pytest.skip(f"PostgreSQL could not start here: {exc}")
    return server


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
