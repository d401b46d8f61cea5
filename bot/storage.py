"""The one module that owns the database: connections, pragmas, migrations, the writer, every query.

SQLite in WAL mode through aiosqlite. Reads use one connection; every write goes through one
`Writer` with its own connection, which drains a queue into batched transactions. A single writer
keeps transactions apart (tasks sharing one aiosqlite connection would share its transaction) and
turns a burst of thousands of votes into a few commits. Migrations are numbered `.sql` files in
`bot/migrations`, applied forward-only under `PRAGMA user_version`, each in its own transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.config import OperatorError, check_database_path

log = logging.getLogger(__name__)


class StorageError(OperatorError):
    """The database cannot be used as it is. The file was left exactly as it was found."""

    label = "Database error"


_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with the bot, in order; gaps or duplicates are a packaging bug."""
    found = []
    for entry in resources.files("bot.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(
            f"migrations must be numbered 0001.. without gaps, found {[m.name for m in found]}"
        )
    return found


@dataclass(frozen=True, slots=True)
class PresentedMessage:
    message_id: int
    guild_id: int
    channel_id: int
    title_id: str
    kind: str
    requested_by: int
    created_at: int


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

VOTE_CHANGE_SQL = "INSERT INTO vote_change (op, message_id, user_id, source, at) VALUES (?, ?, ?, ?, ?)"
# A run of vote changes as ONE statement over a JSON array: SQLite applies the whole run (triggers
# included) in a single step, releasing the GIL once instead of once per row. With executemany, a busy
# event loop made the writer wait for the GIL at every row and fall behind during bursts
# (bench/gateway_burst.py: +57% before, see the README's Performance section for after).
VOTE_BATCH_SQL = (
    "INSERT INTO vote_change (op, message_id, user_id, source, at)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?) ORDER BY key"
)
ORPHAN_MAX_AGE = 3600  # seconds a reaction on a not-yet-recorded message waits for it


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


@dataclass(slots=True)
class Write:
    """One statement and its parameters. With a future, it runs alone and reports its rowcount.

    A write with `script` runs those statements in order instead (all in the batch's transaction),
    and reports the rowcount of the first.
    """

    sql: str
    params: tuple[Any, ...]
    future: asyncio.Future[int] | None = None
    script: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    writes: int = 0
    failed: int = 0
    largest_batch: int = 0
    durations: list[float] = field(default_factory=list)


MAX_BATCH = 2000  # writes per transaction at most

# A queued item: a vote change as the bare parameters of VOTE_CHANGE_SQL (the hot path), or a Write.
Item = tuple[Any, ...] | Write


class Writer:
    """The only code that writes. Drains its queue into one transaction per batch, in order.

    Consecutive writes of the same statement run as one `executemany`. If a batch fails, its writes
    are retried one by one so a single bad write is logged and dropped without losing the rest.
    The queue is a deque and an event rather than an asyncio.Queue: at thousands of votes a second
    the queue's own bookkeeping was most of the Python time (see bench/votes_ingest.py).
    """

    def __init__(self, conn: aiosqlite.Connection, *, max_batch: int = MAX_BATCH) -> None:
        self._conn = conn
        self._items: deque[Item] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._max_batch = max_batch
        self._task: asyncio.Task[None] | None = None
        self.stats = WriterStats()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="storage-writer")

    def _put(self, item: Item) -> None:
        if self._task is None or self._task.done() or self._stopping:
            raise RuntimeError("the storage writer is closed")
        self._items.append(item)
        self._idle.clear()
        self._wake.set()

    def submit(self, write: Write) -> None:
        """Queue a write without waiting. It commits within one batch's time."""
        self._put(write)

    def submit_vote(self, params: tuple[Any, ...]) -> None:
        """Queue one vote change (the parameters of VOTE_CHANGE_SQL) without waiting."""
        self._put(params)

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Queue a write and wait until it is committed; returns the rows it changed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(Write(sql, params, future))
        return await future

    async def transaction(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        """Several statements that must land together; waits for the commit."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(Write("", (), future, tuple(statements)))
        return await future

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        if self._task is None or self._task.done():
            return
        await self._idle.wait()

    async def close(self) -> None:
        """Commit everything queued, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await self._task
        self._task = None

    async def _run(self) -> None:
        items = self._items
        while True:
            if not items:
                self._idle.set()
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            count = min(len(items), self._max_batch)
            await self._commit([items.popleft() for _ in range(count)])

    @staticmethod
    def _runs(batch: list[Item]) -> Iterable[list[Item]]:
        """Consecutive votes form one run; a Write with a future runs alone; like Writes group."""
        run: list[Item] = []
        for item in batch:
            if run:
                head = run[0]
                same = (isinstance(item, tuple) and isinstance(head, tuple)) or (
                    isinstance(item, Write)
                    and isinstance(head, Write)
                    and item.future is None
                    and head.future is None
                    and item.sql == head.sql
                )
                if not same:
                    yield run
                    run = []
            run.append(item)
        if run:
            yield run

    async def _apply(self, batch: list[Item]) -> list[tuple[Write, int]]:
        done: list[tuple[Write, int]] = []
        conn = self._conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for run in self._runs(batch):
                head = run[0]
                if isinstance(head, tuple):
                    await conn.execute(VOTE_BATCH_SQL, (json.dumps(run, ensure_ascii=False),))
                elif head.script:
                    counts = [(await conn.execute(sql, params)).rowcount for sql, params in head.script]
                    done.append((head, counts[0]))
                elif head.future is not None:
                    done.append((head, (await conn.execute(head.sql, head.params)).rowcount))
                else:
                    await conn.executemany(head.sql, [w.params for w in run])  # type: ignore[union-attr]
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        return done

    async def _commit(self, batch: list[Item]) -> None:
        started = time.perf_counter()
        try:
            done = await self._apply(batch)
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return
            log.warning("a batch of %d writes failed; retrying them one by one", len(batch))
            for item in batch:
                await self._commit([item])
            return
        for write, rowcount in done:
            if write.future is not None and not write.future.done():
                write.future.set_result(rowcount)
        stats = self.stats
        stats.batches += 1
        stats.writes += len(batch)
        stats.largest_batch = max(stats.largest_batch, len(batch))
        stats.durations.append(time.perf_counter() - started)
        if len(stats.durations) > 2000:
            del stats.durations[:-1000]

    def _fail(self, item: Item, exc: Exception) -> None:
        self.stats.failed += 1
        if isinstance(item, Write) and item.future is not None:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        what = item.sql.split("(")[0] if isinstance(item, Write) else "vote change"
        params = item.params if isinstance(item, Write) else item
        log.error("write failed and was dropped: %s %s", what, params, exc_info=exc)


@dataclass(frozen=True, slots=True)
class VoteChange:
    """One change to the votes, as the `vote_change` view takes it (see migration 0002)."""

    op: str
    message_id: int
    user_id: int = 0
    source: str = ""
    at: int = 0

    def params(self) -> tuple[Any, ...]:
        return (self.op, self.message_id, self.user_id, self.source, self.at or int(time.time()))


_SCHEDULE_COLUMNS = (
    "guild_id, channel_id, weekday, local_time, timezone, size, locale, enabled, next_due, posting_slot,"
    " last_posted_at, last_error, last_error_at, failures"
)
_POLL_COLUMNS = "message_id, guild_id, channel_id, posted_at, closes_at, closed_at, recap_message_id"


@dataclass(frozen=True, slots=True)
class PollSchedule:
    guild_id: int
    channel_id: int
    weekday: int
    local_time: str
    timezone: str
    size: int
    locale: str | None
    enabled: int
    next_due: int | None
    posting_slot: int | None
    last_posted_at: int | None
    last_error: str | None
    last_error_at: int | None
    failures: int


@dataclass(frozen=True, slots=True)
class WeeklyPoll:
    message_id: int
    guild_id: int
    channel_id: int
    posted_at: int
    closes_at: int
    closed_at: int | None
    recap_message_id: int | None


class Storage:
    """Owns the database. Build it with `await Storage.open(path)`; `close()` flushes every write."""

    def __init__(self, reader: aiosqlite.Connection, writer: Writer, path: Path) -> None:
        self._conn = reader
        self.writer = writer
        self.path = path

    @classmethod
    async def open(cls, path: Path, migrations: Sequence[Migration] | None = None) -> Storage:
        """Open (creating if needed) and migrate. A file that is not a database, or that a newer bot
        migrated, is refused with a StorageError before anything writes to it."""
        migrations = bundled_migrations() if migrations is None else migrations
        try:
            check_database_path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        except OperatorError as exc:
            raise StorageError(str(exc).removeprefix("DATABASE_URL: ")) from None
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror or exc}") from None
        inspect_database(path, migrations[-1].version if migrations else 0)
        try:
            write_conn = await _connect(path)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}") from None
        try:
            await migrate(write_conn, path, migrations)
            reader = await _connect(path)
        except BaseException as exc:
            await write_conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot prepare {path}: {exc}") from None
            raise
        writer = Writer(write_conn)
        writer.start()
        return cls(reader, writer, path)

    async def close(self) -> None:
        """Everything queued is committed before the connections close (SIGTERM, restarts)."""
        await self.writer.close()
        await self.writer._conn.close()
        await self._conn.close()

    async def schema_version(self) -> int:
        return await schema_version(self._conn)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    # --- presented messages ------------------------------------------------------------------

    async def record_presented(
        self,
        *,
        message_id: int,
        guild_id: int,
        channel_id: int,
        title_id: str,
        kind: str,
        requested_by: int,
        created_at: int | None = None,
    ) -> None:
        """Idempotent: the same message recorded twice stays one row. Waits for the commit."""
        await self.writer.execute(
            "INSERT INTO presented_message"
            " (message_id, guild_id, channel_id, title_id, kind, requested_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            (
                message_id,
                guild_id,
                channel_id,
                title_id,
                kind,
                requested_by,
                int(time.time()) if created_at is None else created_at,
            ),
        )

    async def presented(self, message_id: int) -> PresentedMessage | None:
        row = await self._one(
            "SELECT message_id, guild_id, channel_id, title_id, kind, requested_by, created_at"
            " FROM presented_message WHERE message_id = ?",
            (message_id,),
        )
        return PresentedMessage(*row) if row else None

    async def presented_since(self, guild_ids: Sequence[int], since: int) -> list[PresentedMessage]:
        """Recorded messages of these servers newer than `since`, oldest first (for catch-up)."""
        found: list[PresentedMessage] = []
        for i in range(0, len(guild_ids), 500):
            chunk = tuple(guild_ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                "SELECT message_id, guild_id, channel_id, title_id, kind, requested_by, created_at"
                f" FROM presented_message WHERE guild_id IN ({marks}) AND created_at >= ?",
                (*chunk, since),
            )
            found += [PresentedMessage(*row) for row in rows]
        found.sort(key=lambda m: m.message_id)
        return found

    async def pick_history(self, member_id: int, kind: str) -> tuple[dict[str, int], set[str]]:
        """For the picker, in one read: when each title of this kind was last shown to the member (as
        the id of the message that showed it: ids grow with time, finer than seconds), and the titles
        they cried to (in any server)."""
        rows = await self._all(
            "SELECT title_id, MAX(message_id), 0 FROM presented_message WHERE requested_by = ? AND kind = ?"
            " GROUP BY title_id UNION ALL SELECT DISTINCT title_id, 0, 1 FROM vote WHERE user_id = ?",
            (member_id, kind, member_id),
        )
        shown = {title_id: int(at) for title_id, at, cried in rows if not cried}
        return shown, {title_id for title_id, _at, cried in rows if cried}

    # --- votes -------------------------------------------------------------------------------

    def change_votes(self, change: VoteChange) -> None:
        """Queue a vote change; the writer commits it with its batch."""
        self.writer.submit_vote(change.params())

    async def sources_of(self, message_id: int, prefix: str = "r:") -> set[tuple[int, str]]:
        """The stored (member, source) pairs of a recorded message. (Orphans never belong to one: the
        record trigger turns them into sources.)"""
        rows = await self._all(
            "SELECT user_id, source FROM vote_source WHERE message_id = ? AND source LIKE ?",
            (message_id, prefix + "%"),
        )
        return {(user_id, source) for user_id, source in rows}

    async def tallies(self, guild_id: int, title_id: str) -> tuple[int, int]:
        """A title's votes in one server and everywhere, in one read (a pick shows both)."""
        rows = await self._all(
            "SELECT guild_id, count FROM tally WHERE title_id = ? AND guild_id IN (?, 0)",
            (title_id, guild_id),
        )
        counts = {g: int(c) for g, c in rows}
        return counts.get(guild_id, 0), counts.get(0, 0)

    async def tally(self, guild_id: int | None, title_id: str) -> int:
        row = await self._one(
            "SELECT count FROM tally WHERE guild_id = ? AND title_id = ?", (guild_id or 0, title_id)
        )
        return int(row[0]) if row else 0

    async def top(self, guild_id: int | None, limit: int = 10) -> list[tuple[str, int]]:
        """The chart: (title id, votes), most cried-to first, read from the counters (an index range).

        guild_id None is the global chart across servers.
        """
        rows = await self._all(
            "SELECT title_id, count FROM tally WHERE guild_id = ? AND count > 0 ORDER BY count DESC, title_id LIMIT ?",
            (guild_id or 0, limit),
        )
        return [(title_id, int(count)) for title_id, count in rows]

    async def votes_of(self, guild_id: int, user_id: int) -> list[str]:
        rows = await self._all(
            "SELECT title_id FROM vote WHERE guild_id = ? AND user_id = ? ORDER BY created_at DESC, title_id",
            (guild_id, user_id),
        )
        return [title_id for (title_id,) in rows]

    async def count_votes_of(self, user_id: int, guild_id: int | None) -> int:
        if guild_id is None:
            row = await self._one("SELECT COUNT(*) FROM vote WHERE user_id = ?", (user_id,))
        else:
            row = await self._one(
                "SELECT COUNT(*) FROM vote WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return int(row[0]) if row else 0

    async def forget(self, user_id: int, guild_id: int | None, at: int | None = None) -> int:
        """Delete a member's votes in one server (or all); returns how many votes were deleted.

        A marker keeps catch-up from bringing them back from reactions that are still on Discord.
        """
        now = int(time.time()) if at is None else at
        await self.writer.execute(
            "INSERT INTO forget_marker (guild_id, user_id, forgotten_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET forgotten_at = excluded.forgotten_at",
            (guild_id or 0, user_id, now),
        )
        await self.writer.execute("DELETE FROM orphan_source WHERE user_id = ?", (user_id,))
        if guild_id is None:
            return await self.writer.execute("DELETE FROM vote WHERE user_id = ?", (user_id,))
        return await self.writer.execute(
            "DELETE FROM vote WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def forgotten_at(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, int]:
        """When each of these members last asked to be forgotten in this server (or everywhere)."""
        wanted = set(user_ids)
        if not wanted:
            return {}
        rows = await self._all(
            "SELECT user_id, MAX(forgotten_at) FROM forget_marker WHERE guild_id IN (?, 0) GROUP BY user_id",
            (guild_id,),
        )
        return {user_id: at for user_id, at in rows if user_id in wanted}

    async def prune_orphans(self, now: int | None = None) -> int:
        cutoff = (int(time.time()) if now is None else now) - ORPHAN_MAX_AGE
        return await self.writer.execute("DELETE FROM orphan_source WHERE created_at < ?", (cutoff,))

    # --- weekly poll ---------------------------------------------------------------------------

    async def schedule(self, guild_id: int) -> PollSchedule | None:
        row = await self._one(
            f"SELECT {_SCHEDULE_COLUMNS} FROM poll_schedule WHERE guild_id = ?", (guild_id,)
        )
        return PollSchedule(*row) if row else None

    async def save_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        weekday: int,
        local_time: str,
        timezone: str,
        size: int,
        locale: str | None,
        next_due: int,
        now: int,
    ) -> None:
        """Set up or change a server's poll: it is enabled, errors are cleared, the next post is due."""
        await self.writer.execute(
            "INSERT INTO poll_schedule (guild_id, channel_id, weekday, local_time, timezone, size, locale,"
            " enabled, next_due, failures, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 0, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, weekday = excluded.weekday,"
            " local_time = excluded.local_time, timezone = excluded.timezone, size = excluded.size,"
            " locale = excluded.locale, enabled = 1, next_due = excluded.next_due, failures = 0,"
            " last_error = NULL, last_error_at = NULL, updated_at = excluded.updated_at",
            (guild_id, channel_id, weekday, local_time, timezone, size, locale, next_due, now),
        )

    async def disable_schedule(self, guild_id: int, now: int) -> bool:
        changed = await self.writer.execute(
            "UPDATE poll_schedule SET enabled = 0, next_due = NULL, updated_at = ? WHERE guild_id = ? AND enabled = 1",
            (now, guild_id),
        )
        return changed > 0

    async def due_schedules(
        self, now: int, shard_count: int, shard_ids: Sequence[int], limit: int = 100
    ) -> list[PollSchedule]:
        """Servers whose post is due, on this process's shards. An index range over next_due: the work
        grows with the due servers, not with every configured one."""
        marks = ",".join("?" * len(shard_ids))
        rows = await self._all(
            f"SELECT {_SCHEDULE_COLUMNS} FROM poll_schedule WHERE enabled = 1 AND next_due <= ?"
            f" AND posting_slot IS NULL AND ((guild_id >> 22) % ?) IN ({marks}) ORDER BY next_due LIMIT ?",
            (now, shard_count, *shard_ids, limit),
        )
        return [PollSchedule(*row) for row in rows]

    async def interrupted_posts(self, shard_count: int, shard_ids: Sequence[int]) -> list[PollSchedule]:
        marks = ",".join("?" * len(shard_ids))
        rows = await self._all(
            f"SELECT {_SCHEDULE_COLUMNS} FROM poll_schedule WHERE posting_slot IS NOT NULL"
            f" AND ((guild_id >> 22) % ?) IN ({marks})",
            (shard_count, *shard_ids),
        )
        return [PollSchedule(*row) for row in rows]

    async def claim_post(self, guild_id: int, slot: int, *, due: int | None = None) -> bool:
        """Mark a post as under way; only one claimant wins, so a post is never made twice.

        A scheduled post passes the due time it was selected for: if another tick or process already
        posted it (and moved next_due on), the claim fails instead of posting the same week again.
        """
        sql = "UPDATE poll_schedule SET posting_slot = ? WHERE guild_id = ? AND posting_slot IS NULL"
        params: tuple[Any, ...] = (slot, guild_id)
        if due is not None:
            sql += " AND next_due = ?"
            params += (due,)
        return await self.writer.execute(sql, params) == 1

    async def release_post(self, guild_id: int, *, error: str | None, retry_at: int | None, now: int) -> None:
        """A post failed (or was found not to have happened): record why and when to try again."""
        if error is None:
            await self.writer.execute(
                "UPDATE poll_schedule SET posting_slot = NULL WHERE guild_id = ?", (guild_id,)
            )
            return
        await self.writer.execute(
            "UPDATE poll_schedule SET posting_slot = NULL, failures = failures + 1, last_error = ?,"
            " last_error_at = ?, next_due = CASE WHEN enabled = 1 THEN ? ELSE NULL END WHERE guild_id = ?",
            (error[:300], now, retry_at, guild_id),
        )

    async def note_post_error(self, guild_id: int, *, error: str, now: int) -> None:
        """A post whose outcome is unknown (Discord never answered): keep the claim, show the error."""
        await self.writer.execute(
            "UPDATE poll_schedule SET failures = failures + 1, last_error = ?, last_error_at = ?"
            " WHERE guild_id = ?",
            (error[:300], now, guild_id),
        )

    async def record_poll(
        self,
        *,
        guild_id: int,
        channel_id: int,
        message_id: int,
        posted_at: int,
        closes_at: int,
        answers: Sequence[tuple[int, str]],
        next_due: int | None,
    ) -> None:
        """The poll and its answers, and the schedule moved on, in one transaction."""
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "INSERT INTO weekly_poll (message_id, guild_id, channel_id, posted_at, closes_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (message_id, guild_id, channel_id, posted_at, closes_at),
            ),
            *(
                (
                    "INSERT INTO weekly_poll_answer (message_id, answer_id, title_id) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (message_id, answer_id, title_id),
                )
                for answer_id, title_id in answers
            ),
        ]
        if next_due is not None:
            statements.append(
                (
                    "UPDATE poll_schedule SET posting_slot = NULL, next_due = CASE WHEN enabled = 1 THEN ? END,"
                    " last_posted_at = ?, failures = 0, last_error = NULL WHERE guild_id = ?",
                    (next_due, posted_at, guild_id),
                )
            )
        else:
            statements.append(
                (
                    "UPDATE poll_schedule SET posting_slot = NULL, last_posted_at = ? WHERE guild_id = ?",
                    (posted_at, guild_id),
                )
            )
        await self.writer.transaction(statements)

    async def last_used_titles(self, guild_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT a.title_id, MAX(w.posted_at) FROM weekly_poll w JOIN weekly_poll_answer a"
            " ON a.message_id = w.message_id WHERE w.guild_id = ? GROUP BY a.title_id",
            (guild_id,),
        )
        return {title_id: int(at) for title_id, at in rows}

    async def open_polls(
        self, guild_ids: Sequence[int] | None = None, closing_by: int | None = None
    ) -> list[WeeklyPoll]:
        """Polls not yet recapped: all of these servers', or those that closed by `closing_by`."""
        sql = f"SELECT {_POLL_COLUMNS} FROM weekly_poll WHERE closed_at IS NULL"
        params: tuple[Any, ...] = ()
        if closing_by is not None:
            sql += " AND closes_at <= ?"
            params += (closing_by,)
        rows = await self._all(sql + " ORDER BY closes_at", params)
        polls = [WeeklyPoll(*row) for row in rows]
        if guild_ids is not None:
            wanted = set(guild_ids)
            polls = [p for p in polls if p.guild_id in wanted]
        return polls

    async def latest_poll(self, guild_id: int) -> WeeklyPoll | None:
        row = await self._one(
            f"SELECT {_POLL_COLUMNS} FROM weekly_poll WHERE guild_id = ? ORDER BY posted_at DESC LIMIT 1",
            (guild_id,),
        )
        return WeeklyPoll(*row) if row else None

    async def claim_close(self, message_id: int, now: int) -> bool:
        """The recap is made once: whoever sets closed_at first makes it."""
        changed = await self.writer.execute(
            "UPDATE weekly_poll SET closed_at = ? WHERE message_id = ? AND closed_at IS NULL",
            (now, message_id),
        )
        return changed == 1

    async def record_recap(self, message_id: int, recap_message_id: int) -> None:
        await self.writer.execute(
            "UPDATE weekly_poll SET recap_message_id = ? WHERE message_id = ?", (recap_message_id, message_id)
        )

    async def poll_answers(self, message_id: int) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT answer_id, title_id FROM weekly_poll_answer WHERE message_id = ? ORDER BY answer_id",
            (message_id,),
        )
        return [(int(a), t) for a, t in rows]

    async def poll_counts(self, message_id: int) -> dict[str, int]:
        """Votes per title on one poll, from the recorded poll votes."""
        rows = await self._all(
            "SELECT title_id, COUNT(*) FROM vote_source WHERE message_id = ? AND source LIKE 'p:%' GROUP BY title_id",
            (message_id,),
        )
        return {title_id: int(n) for title_id, n in rows}

    # --- meta ----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM bot_meta WHERE key = ?", (key,))
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.writer.execute(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


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
    _refuse_newer(path, version, newest)


def _refuse_newer(path: Path, version: int, newest: int) -> None:
    if version > newest:
        raise StorageError(
            f"{path} is at schema version {version}, newer than this bot knows ({newest}); "
            "upgrade the bot instead of pointing an old one at a newer database"
        )


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
            _refuse_newer(path, current, newest)
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
