"""A PostgreSQL server for the benchmarks: TEARJERKER_BENCH_POSTGRES (a DSN of an empty database's
server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) or one started here in a temporary folder,
the way the test suite starts its own."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_names = itertools.count(1)


@asynccontextmanager
async def postgres_server() -> AsyncIterator[str]:
    """Yields an admin DSN; the server stops afterwards if it was started here."""
    given = os.environ.get("TEARJERKER_BENCH_POSTGRES")
    if given:
        yield given
        return
    from tests.postgres import start_server  # the same server the tests start; not a pytest run here

    try:
        server = start_server()
    except BaseException as exc:  # pytest's skip/fail outside pytest: say why, in one line
        raise SystemExit(f"PostgreSQL could not start for the benchmark: {exc}") from None
    try:
        yield server.admin_dsn
    finally:
        server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)


async def new_database(admin_dsn: str) -> str:
    """A new, empty database on the server; returns its DSN."""
    name = f"bench_{os.getpid()}_{next(_names)}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urlsplit(admin_dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
