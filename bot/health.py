"""Is the bot well? Every shard connected and the database answering, seen from inside and outside.

Inside, the bot follows its shards' gateway events (`ShardStates`). It also writes each shard's state
to the database every `BEAT` seconds, so `python -m bot health` — another process, maybe on another
machine — can tell a supervisor whether every shard of the deployment is connected, with nothing but
the database to ask. The HTTP endpoint beside the metrics answers the same from inside the process.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.db import ShardStatus

if TYPE_CHECKING:
    from bot.client import Tearjerker

log = logging.getLogger(__name__)

BEAT = 20.0  # seconds between a process's reports of its shards
STALE = 90  # a report older than this means the process is gone or stuck
DATABASE_DEADLINE = 5.0  # seconds the database gets to answer a health check


@dataclass
class ShardState:
    connected: bool = False
    connects: int = 0  # sessions started (READY): the first, then one after each failed resume
    resumes: int = 0

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - 1) + self.resumes


@dataclass
class ShardStates:
    """Each shard's connection, as discord.py's shard events report it."""

    states: dict[int, ShardState] = field(default_factory=dict)

    def _state(self, shard_id: int) -> ShardState:
        return self.states.setdefault(shard_id, ShardState())

    def connected(self, shard_id: int) -> None:
        state = self._state(shard_id)
        state.connected = True
        state.connects += 1

    def resumed(self, shard_id: int) -> None:
        state = self._state(shard_id)
        state.connected = True
        state.resumes += 1

    def disconnected(self, shard_id: int) -> None:
        state = self._state(shard_id)
        state.connected = False


@dataclass(frozen=True)
class HealthReport:
    shards: dict[int, bool]  # shard id -> connected
    database: str | None  # None when it answers, else why not
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.shards) and all(self.shards.values()) and self.database is None

    def lines(self) -> list[str]:
        head = "healthy" if self.ok else "UNHEALTHY"
        lines = [f"{head}: {sum(self.shards.values())}/{len(self.shards)} shards connected, database "
                 + ("answers" if self.database is None else f"does not answer ({self.database})")]  # fmt: skip
        lines += [
            f"  shard {sid}: {'connected' if up else 'NOT connected'}"
            for sid, up in sorted(self.shards.items())
        ]
        lines += [f"  {note}" for note in self.notes]
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unhealthy",
            "shards": {
                str(sid): "connected" if up else "disconnected" for sid, up in sorted(self.shards.items())
            },
            "database": "ok" if self.database is None else self.database,
        }


async def database_error(ping: Callable[[], Awaitable[object]]) -> str | None:
    """None if the database answered within the deadline, else a short reason."""
    try:
        async with asyncio.timeout(DATABASE_DEADLINE):
            await ping()
    except TimeoutError:
        return f"no answer in {DATABASE_DEADLINE:.0f}s"
    except Exception as exc:
        return type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return None


async def check_process(bot: Tearjerker) -> HealthReport:
    """This process's shards and its database, for the HTTP endpoint."""
    shards = {
        shard_id: bot.shard_states.states.get(shard_id, ShardState()).connected and not shard.is_closed()
        for shard_id, shard in bot.shards.items()
    }
    return HealthReport(shards, await database_error(bot.storage.ping))


def judge_reports(
    reports: Iterable[ShardStatus], expected: Sequence[int] | None, shard_count: int | None, now: int
) -> tuple[dict[int, bool], tuple[str, ...]]:
    """Which shards the deployment's processes last reported connected, recently enough. `expected`:
    the shards this operator's settings name; None means every shard of the latest shard count."""
    reports = list(reports)
    if shard_count is None and reports:
        shard_count = max(reports, key=lambda r: r.updated_at).shard_count
    current = {r.shard_id: r for r in reports if shard_count is None or r.shard_count == shard_count}
    wanted = list(expected) if expected is not None else list(range(shard_count or 1))
    shards: dict[int, bool] = {}
    notes: list[str] = []
    for shard_id in wanted:
        report = current.get(shard_id)
        if report is None:
            shards[shard_id] = False
            notes.append(f"shard {shard_id} has never reported (is its process running?)")
        elif now - report.updated_at > STALE:
            shards[shard_id] = False
            notes.append(f"shard {shard_id} last reported {now - report.updated_at}s ago from {report.host}")
        else:
            shards[shard_id] = report.connected
    return shards, tuple(notes)


class HealthReporter:
    """Writes this process's shard states to the database: at each connect or disconnect, and every
    BEAT seconds so a silent process shows as stale."""

    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.host = socket.gethostname()[:100]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._beat(), name="health-beat")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def report(self) -> None:
        """Queue the current states (through the writer: never waits, survives a database outage)."""
        count = self.bot.shard_count or 1
        now = int(time.time())
        rows = [
            ShardStatus(shard_id, count, state.connected, self.host, now)
            for shard_id, state in self.bot.shard_states.states.items()
        ]
        if not rows:
            return
        try:
            self.bot.storage.report_shards(rows)
        except Exception as exc:  # a closed or failing writer must not stop a shutdown or an event
            log.warning("could not queue the shards' health report: %s", exc)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(BEAT)
            self.report()
