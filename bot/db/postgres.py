"""PostgreSQL through asyncpg, for deployments past one machine: a pool for reads on the bot's loop, and
one connection for the writer, opened on the writer's own loop (asyncpg connections belong to the loop
that opened them). Shard processes on several hosts share it.

What differs from SQLite lives here: `?` placeholders become `$1…`, a run of votes is one statement
over a JSON array (`jsonb_array_elements … WITH ORDINALITY`, the twin of SQLite's `json_each`), the
schema version is a table, and migrations run under an advisory lock so that processes starting
together migrate once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from bot.config import redact_dsn
from bot.db.backend import Backend, Migration, Row, StorageError, refuse_newer, runs_of_adds

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x7EA7_7EA7  # pg_advisory_xact_lock key: one migrating process at a time
VOTE_BATCH_SQL = (
    "INSERT INTO vote_change (op, message_id, user_id, source, at)"
    " SELECT e->>0, (e->>1)::bigint, (e->>2)::bigint, e->>3, (e->>4)::bigint"
    " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n"
)
# The four columns go as array literals in text ('{1,2,3}'), which the server parses: asyncpg's own
# array encoding checks every element against collections.abc.Iterable (is it a sub-array?), a Python
# call per element, and on the writer's thread each one holds the GIL the bot's loop needs during a
# burst. 20,000 adds: 1.5 µs of the writer's CPU a vote before, 0.65 after (the server's time unchanged).
VOTE_ADDS_SQL = (
    "SELECT apply_vote_adds($1::text::bigint[], $2::text::bigint[], $3::text::text[], $4::text::bigint[])"
)
# Errors that mean "the server could not be reached", not "this write is wrong".
_OUTAGE = (
    OSError,
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders (as every query is written) as PostgreSQL's `$1, $2…`."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def int_array(values: Sequence[int]) -> str:
    """A PostgreSQL array literal of integers: '{1,2,3}'."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of strings, each quoted (a burst repeats a few sources, so each
    distinct one is quoted once)."""
    quoted = {v: '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in set(values)}
    return "{" + ",".join(map(quoted.__getitem__, values)) + "}"


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, dsn: str, pool: asyncpg.Pool) -> None:
        self.dsn = dsn
        self.where = redact_dsn(dsn)
        self._pool = pool
        self._writer: asyncpg.Connection | None = None  # the writer's, on its loop: start_writing
        self._tx: Any = None

    @classmethod
    async def open(cls, dsn: str, migrations: Sequence[Migration], pool_size: int = 10) -> PostgresBackend:
        where = redact_dsn(dsn)
        try:
            conn = await asyncpg.connect(dsn)
        except (asyncpg.PostgresError, *_OUTAGE) as exc:
            raise StorageError(f"cannot connect to {where}: {_reason(exc)}") from None
        try:
            await migrate(conn, where, migrations)
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max(1, pool_size))
        except BaseException as exc:
            if isinstance(exc, (asyncpg.PostgresError, *_OUTAGE)):
                raise StorageError(f"cannot prepare {where}: {_reason(exc)}") from None
            raise
        finally:
            await conn.close()
        assert pool is not None
        return cls(dsn, pool)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = await self._pool.fetch(numbered(sql), *params)
        return [tuple(r) for r in rows]

    @property
    def _conn(self) -> asyncpg.Connection:
        if self._writer is None:
            raise ConnectionError("the writer's connection is not open")  # an outage: reconnect
        return self._writer

    async def start_writing(self) -> None:
        self._writer = await asyncpg.connect(self.dsn)

    async def stop_writing(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                await writer.close(timeout=2)
            except (asyncpg.PostgresError, *_OUTAGE, TimeoutError):
                writer.terminate()  # the server is gone: drop the socket

    async def begin(self) -> None:
        self._tx = self._conn.transaction()
        await self._tx.start()

    async def commit(self) -> None:
        # Votes left counter deltas; fold them in once per batch (migrations/postgres/0006).
        await self._conn.execute("SELECT apply_tally_deltas()")
        tx, self._tx = self._tx, None
        await tx.commit()

    async def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None and self._writer is not None and not self._writer.is_closed():
            try:
                await tx.rollback()
            except (asyncpg.PostgresError, *_OUTAGE):
                pass  # the connection is gone, and the transaction with it

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._conn.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(numbered(sql), rows)

    async def apply_votes(self, rows: Sequence[Row]) -> None:
        # Consecutive adds as one set (migrations/postgres/0007), sent as four array literals
        # (VOTE_ADDS_SQL); every other change through the vote_change view in order. Runs keep their
        # order, so a remove still follows its add.
        for adds, run in runs_of_adds(rows):
            if adds:
                await self._apply_adds(run)
            else:
                await self._conn.execute(VOTE_BATCH_SQL, json.dumps(run, ensure_ascii=False))

    async def apply_votes_alone(self, rows: Sequence[Row]) -> bool:
        runs = runs_of_adds(rows)
        if len(runs) != 1 or not runs[0][0]:
            return False
        # apply_vote_adds folds the counter deltas itself: one statement, atomic, one round trip.
        await self._apply_adds(runs[0][1])
        return True

    async def _apply_adds(self, run: list[Row]) -> None:
        _, messages, members, sources, times = zip(*run, strict=True)
        await self._conn.execute(
            VOTE_ADDS_SQL, int_array(messages), int_array(members), text_array(sources), int_array(times)
        )

    async def schema_version(self) -> int:
        return await schema_version(self._pool)

    async def load_table(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """COPY the rows in, with the table's own triggers off: the copy brings counters as they are."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            if rows:
                await conn.copy_records_to_table(table, columns=list(columns), records=rows)
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def is_outage(self, exc: BaseException) -> bool:
        # Without a connection, the writer's steps raise ConnectionError (one of _OUTAGE).
        writer = self._writer
        return isinstance(exc, _OUTAGE) or (writer is not None and writer.is_closed())

    async def reconnect(self) -> None:
        if self._writer is not None and not self._writer.is_closed():
            await self._writer.close(timeout=2)
        self._tx = None
        self._writer = None
        self._writer = await asyncpg.connect(self.dsn)

    async def close(self) -> None:
        """The pool; the writer's connection was closed on its own loop (stop_writing)."""
        await self._pool.close()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def schema_version(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT version FROM schema_version") or 0)


async def migrate(conn: asyncpg.Connection, where: str, migrations: Sequence[Migration]) -> int:
    """Apply every migration newer than the database's schema version, each in its own transaction,
    under an advisory lock taken before the version is read: processes starting together migrate once."""
    newest = migrations[-1].version if migrations else 0
    applied = 0
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = int(await conn.fetchval("SELECT version FROM schema_version") or 0)
            refuse_newer(where, current, newest)
            migration = next((m for m in migrations if m.version > current), None)
            if migration is None:
                return applied
            log.info("applying migration %s", migration.name)
            await conn.execute(migration.sql)
            await conn.execute("DELETE FROM schema_version")
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", migration.version)
        applied += 1
