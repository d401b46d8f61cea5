"""Storage: every named query the bot uses, over one backend, with every write through one writer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bot.db.backend import Backend, Migration, bundled_migrations, is_postgres_url
from bot.db.queries.meta import MetaQueries
from bot.db.queries.picks import PickQueries
from bot.db.queries.polls import PollQueries
from bot.db.queries.suggestions import SuggestionQueries
from bot.db.queries.votes import VoteQueries
from bot.db.writer import Writer, WriterStats


class Storage(PickQueries, VoteQueries, PollQueries, SuggestionQueries, MetaQueries):
    """Owns the database. Build it with `await Storage.open(target)` (a SQLite file's path, or a
    postgresql:// DSN); `close()` commits every queued write first."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.writer = Writer(backend)
        self.writer.start()

    @property
    def kind(self) -> str:
        return self.backend.name

    @classmethod
    async def open(
        cls, target: Path | str, migrations: Sequence[Migration] | None = None, *, pool_size: int = 10
    ) -> Storage:
        """Open (creating if needed) and migrate. A database that is not ours, or that a newer bot
        migrated, is refused with a StorageError before anything writes to it."""
        if is_postgres_url(target):
            # Imported only when used: a SQLite bot starts without loading asyncpg.
            from bot.db.postgres import PostgresBackend

            chosen = bundled_migrations("postgres") if migrations is None else migrations
            return cls(await PostgresBackend.open(str(target), chosen, pool_size))
        from bot.db.sqlite import SQLiteBackend

        chosen = bundled_migrations("sqlite") if migrations is None else migrations
        return cls(await SQLiteBackend.open(Path(target), chosen))

    async def close(self) -> None:
        """Everything queued is committed before the connections close (SIGTERM, restarts)."""
        await self.writer.close()
        await self.backend.close()

    def is_outage(self, exc: BaseException) -> bool:
        """Whether an error means the database could not be reached (rather than a bug)."""
        return self.backend.is_outage(exc)

    @property
    def write_stats(self) -> WriterStats:
        """The writer's counts (batches, votes committed, failures, outages), for metrics."""
        return self.writer.stats

    @property
    def writes_queued(self) -> int:
        return self.writer.queued

    def observe_batches(self, callback: Callable[[float], None]) -> None:
        """Have `callback` told each committed batch's duration in seconds (the metrics histogram)."""
        self.writer.on_batch = callback

    async def flush(self) -> None:
        """Wait until every write queued so far is committed (before reading what was just written)."""
        await self.writer.flush()

    async def schema_version(self) -> int:
        return await self.backend.schema_version()
