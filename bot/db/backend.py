"""The small interface a database backend implements, and what every backend shares.

Queries are written once (bot/db/queries), with `?` placeholders; a backend runs them its own way and
owns what truly differs: connecting, transactions, placeholders, the one batched vote statement, the
schema version and how migrations are locked. The writer (bot/db/writer.py) drives the write side.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import groupby
from operator import itemgetter
from typing import Any

from bot.config import OperatorError

Row = tuple[Any, ...]
# What the writer asks a backend to do in one transaction, in order:
#   ("votes", rows)            a run of vote changes (op, message_id, user_id, source, at), one statement
#   ("one", sql, params)       one statement; its changed-row count is reported
#   ("script", statements)     several (sql, params) that land together; the first one's count reported
#   ("many", sql, rows)        one statement over many parameter rows
Step = tuple[Any, ...]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(OperatorError):
    """The database cannot be used as it is. A database found in that state was left as it was."""

    label = "Database error"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations(backend: str = "sqlite") -> list[Migration]:
    """One backend's shipped migrations, in order; gaps or duplicates are a packaging bug. Both backends
    carry the same numbers, so a schema version means the same schema on either."""
    found = []
    for entry in resources.files("bot.db.migrations").joinpath(backend).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(
            f"migrations must be numbered 0001.. without gaps, found {[m.name for m in found]}"
        )
    return found


def refuse_newer(where: str, version: int, newest: int) -> None:
    if version > newest:
        raise StorageError(
            f"{where} is at schema version {version}, newer than this bot knows ({newest}); "
            "upgrade the bot instead of pointing an old one at a newer database"
        )


class Backend(ABC):
    """Reads go through `fetch`; `run_batch` is the write side, used by the one writer only; each backend
    supplies the transaction's primitives (begin, execute, the batched vote statement, commit)."""

    name: str
    where: str  # how errors name the database (a path, or a DSN without its password)

    @abstractmethod
    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def run_batch(self, steps: Sequence[Step]) -> list[int | None]:
        """One transaction: every step in order, then commit (or roll back all of it). Returns each
        step's changed-row count ("one" and "script" steps; None for the others)."""
        if len(steps) == 1 and steps[0][0] == "votes" and await self.apply_votes_alone(steps[0][1]):
            return [None]
        counts: list[int | None] = []
        await self.begin()
        try:
            for step in steps:
                kind = step[0]
                if kind == "votes":
                    await self.apply_votes(step[1])
                    counts.append(None)
                elif kind == "one":
                    counts.append(await self.execute(step[1], step[2]))
                elif kind == "script":
                    rowcounts = [await self.execute(sql, params) for sql, params in step[1]]
                    counts.append(rowcounts[0])  # every statement runs; the first one's count is reported
                else:
                    await self.executemany(step[1], step[2])
                    counts.append(None)
            await self.commit()
        except BaseException:
            await self.rollback()
            raise
        return counts

    # The writer's side, used only by the writer, on its own thread and event loop.

    async def start_writing(self) -> None:  # noqa: B027 (optional: most backends need nothing)
        """Open what the writer writes through, on the writer's own loop (where it is then used)."""

    async def stop_writing(self) -> None:  # noqa: B027
        """Close it again, on the writer's loop, once everything is written."""

    @abstractmethod
    async def begin(self) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def rollback(self) -> None:
        """Roll back the open transaction, if any; never raises for a connection already lost."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement; returns the rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def apply_votes_alone(self, rows: Sequence[Row]) -> bool:
        """A batch of votes only, as one self-committing statement if the backend can (False: it
        cannot, and the run goes in a transaction). During a burst the event loop is busy and every
        round trip to the database waits for it: one statement instead of begin, votes and commit
        lets the writer keep up (bench/gateway_burst.py)."""
        return False

    @abstractmethod
    async def apply_votes(self, rows: Sequence[Row]) -> None:
        """A run of vote changes (op, message_id, user_id, source, at), in order, as one statement."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    async def load_table(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Bulk-load rows into an empty table as they are, its triggers held off (for `db copy`)."""
        raise StorageError(f"copying into {self.name} is not supported; copy into postgresql://…")

    @abstractmethod
    async def close(self) -> None: ...

    def is_outage(self, exc: BaseException) -> bool:
        """Whether a failed write failed because the database could not be reached (keep it for later),
        rather than because of the write itself (log it and drop it)."""
        return False

    @abstractmethod
    async def reconnect(self) -> None:
        """Re-establish the writer's connection after an outage (raises while still unreachable)."""


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def runs_of_adds(rows: Sequence[Row]) -> list[tuple[bool, list[Row]]]:
    """Vote rows split into consecutive runs: adds, and everything else (grouped by op at C speed,
    then neighbouring non-add runs joined). Adds commute, so each backend applies a run of them as
    one set; the other changes keep their order."""
    runs: list[tuple[bool, list[Row]]] = []
    for op, group in groupby(rows, key=itemgetter(0)):
        adds = op == "add"
        if runs and not adds and not runs[-1][0]:
            runs[-1][1].extend(group)
        else:
            runs.append((adds, list(group)))
    return runs
