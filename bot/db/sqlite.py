"""SQLite, the zero-setup default. WAL mode; one connection reads (aiosqlite, on the bot's loop) and one
writes (plain sqlite3, on the writer's thread).

A file that is not a database, or that a newer bot migrated, is refused after a read-only look, before
anything (even the switch to WAL) writes to it. Migrations take the write lock before reading the
version, so processes starting together on one new file migrate it once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.config import OperatorError, check_database_path
from bot.db.backend import Backend, Migration, Row, StorageError, refuse_newer, runs_of_adds

log = logging.getLogger(__name__)

PRAGMAS = (
    # The busy timeout first: processes starting together on one new file queue for its locks.
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    # A larger page cache and rarer checkpoints keep bursts of votes cheap.
    "PRAGMA cache_size = -65536",
    "PRAGMA wal_autocheckpoint = 4000",
)

# A run of vote changes as ONE statement over a JSON array: SQLite applies the whole run (triggers
# included) in a single step, releasing the GIL once instead of once per row. With executemany, a busy
# event loop made the writer wait for the GIL at every row and fall behind during bursts
# (bench/gateway_burst.py: +57% before, see the README's Performance section for after). The view's
# trigger then folds the counter deltas the votes left (migrations/sqlite/0011), in the same statement.
VOTE_BATCH_SQL = "INSERT INTO vote_batch (rows) VALUES (?)"
# A run of adds as one set (migrations/sqlite/0012): half the time of the row-by-row triggers.
VOTE_ADDS_SQL = "INSERT INTO vote_add_batch (rows) VALUES (?)"
# The fold alone: run before every other commit, so the counters never lag the votes.
FOLD_SQL = "INSERT INTO vote_batch (rows) VALUES (NULL)"


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


def apply_run(conn: sqlite3.Connection, adds: bool, run: Sequence[Row]) -> None:
    """One run of vote changes (see runs_of_adds) as its one statement: adds as a set, the rest in order."""
    conn.execute(VOTE_ADDS_SQL if adds else VOTE_BATCH_SQL, (json.dumps(run, ensure_ascii=False),))


def plain_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the production pragmas: the writer's (on its thread), and the
    benchmarks' raw baselines."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


class SQLiteBackend(Backend):
    """Reads through aiosqlite on the bot's loop; writes through a plain sqlite3 connection that the
    writer opens and uses on its own thread. A statement there blocks only the writer, so a batch runs
    without a round trip through any loop: during a gateway burst each hand-off between threads
    waited for the busy bot thread to let go of the GIL (bench/gateway_burst.py)."""

    name = "sqlite"

    def __init__(self, path: Path, reader: aiosqlite.Connection) -> None:
        self.path = path
        self.where = str(path)
        self._reader = reader
        self._writer: sqlite3.Connection | None = None  # the writer thread's: start_writing

    @classmethod
    async def open(cls, path: Path, migrations: Sequence[Migration]) -> SQLiteBackend:
        try:
            check_database_path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        except OperatorError as exc:
            raise StorageError(str(exc).removeprefix("DATABASE_URL: ")) from None
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror or exc}") from None
        inspect_database(path, migrations[-1].version if migrations else 0)
        try:
            conn = await _connect(path)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}") from None
        try:
            await migrate(conn, path, migrations)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot prepare {path}: {exc}") from None
            raise
        return cls(path, conn)  # the migrating connection goes on as the reader

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._reader.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._writer is None:
            raise RuntimeError("the writer's connection is not open")
        return self._writer

    async def start_writing(self) -> None:
        self._writer = plain_connection(self.path)

    async def stop_writing(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    # The writer's side: plain calls on the writer's thread (see the class docstring).

    async def begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        self._conn.execute(FOLD_SQL)
        self._conn.execute("COMMIT")

    async def rollback(self) -> None:
        if self._writer is not None and self._writer.in_transaction:
            self._writer.execute("ROLLBACK")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    async def apply_votes(self, rows: Sequence[Row]) -> None:
        conn = self._conn
        for adds, run in runs_of_adds(rows):
            apply_run(conn, adds, run)

    async def apply_votes_alone(self, rows: Sequence[Row]) -> bool:
        runs = runs_of_adds(rows)
        if len(runs) != 1:
            return False  # several statements: they go in a transaction
        adds, run = runs[0]
        # One statement (it folds the counters itself): atomic by itself outside a transaction.
        apply_run(self._conn, adds, run)
        return True

    async def schema_version(self) -> int:
        return await schema_version(self._reader)

    async def reconnect(self) -> None:
        """A local file does not go away: nothing to re-establish."""

    async def close(self) -> None:
        """The reader; the writer's connection was closed on its thread (stop_writing)."""
        await self._reader.close()


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def inspect_database(path: Path, newest: int) -> None:
    """A read-only look before the bot switches a file to WAL or migrates it: a file that is not a
    SQLite database, or one a newer bot migrated, is refused as it is, never modified."""
    if not path.is_file() or path.stat().st_size == 0:
        return  # a new database
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"{path} cannot be read as a database ({exc}); restore it from a backup, "
            "or point DATABASE_URL at a new file"
        ) from None
    refuse_newer(str(path), version, newest)


def sql_statements(script: str) -> list[str]:
    """A migration's statements one by one (triggers and all), so they can run inside a transaction
    the migration holds; executescript would commit it first."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if any(line.strip() and not line.strip().startswith("--") for line in pending[:-1].splitlines()):
                statements.append(pending.strip())
            pending = ""
    return statements


async def migrate(conn: aiosqlite.Connection, path: Path, migrations: Sequence[Migration]) -> int:
    """Apply every migration newer than the file's `user_version`, each in its own transaction; returns
    how many ran. Each transaction takes the write lock before reading the version, so processes that
    start together on one new file migrate it once, one after the other."""
    newest = migrations[-1].version if migrations else 0
    applied = 0
    while True:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await schema_version(conn)
            refuse_newer(str(path), current, newest)
            migration = next((m for m in migrations if m.version > current), None)
            if migration is not None:
                log.info("applying migration %s", migration.name)
                for statement in sql_statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {migration.version}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        if migration is None:
            return applied
        applied += 1
