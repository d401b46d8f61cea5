"""Shared helpers: medians and percentiles, a results table, and the pass/miss line for each goal."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.db import bundled_migrations
from bot.db.sqlite import plain_connection

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.config import Settings
    from bot.db import Storage


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def abba_means(ratios: Sequence[float]) -> list[float]:
    """Ratios of pairs run back to back, each pair in the other order than the one before (ABBA):
    whichever goes first in a pair has a slight edge or handicap, so the geometric mean of two
    neighbouring pairs cancels it."""
    return [math.sqrt(ratios[i] * ratios[i + 1]) for i in range(0, len(ratios) - 1, 2)] or list(ratios)


def abba_median(ratios: Sequence[float]) -> float:
    """The median of abba_means: it cancels the machine's drift."""
    return median(abba_means(ratios))


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@dataclass
class Goal:
    name: str
    measured: float
    target: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        return self.measured >= self.target if self.higher_is_better else self.measured <= self.target

    def line(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        verdict = "MET" if self.met else "MISSED"
        return f"  {verdict:<6} {self.name}: {self.measured:,.3f} {self.unit} (goal {sign} {self.target:,} {self.unit})"


def report(title: str, rows: list[tuple[str, str]], goals: list[Goal]) -> bool:
    """Print one benchmark's figures and goals; returns whether every goal was met."""
    width = max(len(k) for k, _ in rows) if rows else 0
    print(f"\n== {title}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for goal in goals:
        print(goal.line())
    sys.stdout.flush()
    return all(g.met for g in goals)


def sqlite_connection(path: Path, *, migrate: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection with the production pragmas, and the production schema if asked."""
    conn = plain_connection(path)
    if migrate:
        for migration in bundled_migrations():
            conn.executescript(
                f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
            )
    return conn


@asynccontextmanager
async def bot_at_rest(
    fake, settings: Settings, storage: Storage, timeout: float = 60
) -> AsyncIterator[Tearjerker]:
    """The production bot connected to the fake Discord, ready and with its start-up catch-up done;
    closed afterwards (the storage stays open for the caller)."""
    from bot.catalog import load_catalog
    from bot.client import Tearjerker

    bot = Tearjerker(settings=settings, storage=storage, catalog=load_catalog(settings.catalog_path))
    bot._connection.guild_ready_timeout = 0.2  # a handful of fake guilds arrive at once
    await bot.login(settings.token)
    task = asyncio.create_task(bot.connect())
    try:
        await fake.wait_connected()
        await fake.wait_for(lambda: bot.ballot.catchup_runs >= 1, timeout=timeout, what="the first catch-up")
        yield bot
    finally:
        await bot.close()
        await task
