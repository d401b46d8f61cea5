"""A weekly-poll scheduler tick with 100,000 configured servers of which 100 are due, through the
production storage, vs a tick that reads every schedule and filters in Python.

    python -m bench.scheduler [--servers 100000] [--due 100] [--ticks 200] [--backend postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, median, percentile, report, sqlite_connection
from bot.db import Storage

NOW = 1_800_000_000


def schedule_rows(servers: int, due: int, rng: random.Random) -> list[tuple]:
    rows = []
    for i in range(servers):
        guild_id = (rng.randrange(1, 1 << 40) << 22) | i
        next_due = NOW - rng.randrange(1, 600) if i < due else NOW + rng.randrange(60, 7 * 86400)
        rows.append((guild_id, 10 + i, i % 7, "21:00", "Asia/Seoul", 5, None, 1, next_due, 0, NOW))
    return rows


async def build_postgres(admin: str, servers: int, due: int, rng: random.Random) -> str:
    import asyncpg

    from bench.pg import new_database

    dsn = await new_database(admin)
    await (await Storage.open(dsn)).close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "poll_schedule", records=schedule_rows(servers, due, rng),
            columns=["guild_id", "channel_id", "weekday", "local_time", "timezone", "size", "locale", "enabled",
                     "next_due", "failures", "updated_at"],
        )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return dsn


def build(path: Path, servers: int, due: int, rng: random.Random) -> None:
    conn = sqlite_connection(path, migrate=True)
    rows = schedule_rows(servers, due, rng)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO poll_schedule (guild_id, channel_id, weekday, local_time, timezone, size, locale, enabled,"
        " next_due, failures, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def production_tick(storage: Storage) -> int:
    """The database work of one tick: half-done posts, polls to recap, servers due (one shard of one)."""
    await storage.interrupted_posts(1, [0])
    await storage.open_polls(closing_by=NOW, shards=(1, [0]))
    return len(await storage.due_schedules(NOW, 1, [0]))


async def naive_tick(storage: Storage) -> int:
    rows = await storage.all_schedules()
    return sum(
        1
        for s in rows
        if s.enabled and s.posting_slot is None and s.next_due is not None and s.next_due <= NOW
    )


async def measure(path: Path | str, ticks: int) -> tuple[list[float], list[float], int]:
    storage = await Storage.open(path)
    fast, slow = [], []
    found = 0
    try:
        for i in range(ticks):
            started = time.perf_counter()
            found = await production_tick(storage)
            fast.append(time.perf_counter() - started)
            if i % 10 == 0:
                started = time.perf_counter()
                assert await naive_tick(storage) == found
                slow.append(time.perf_counter() - started)
    finally:
        await storage.close()
    return fast, slow, found


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if args.backend == "postgresql":

        async def on_postgres() -> tuple[list[float], list[float], int]:
            from bench.pg import postgres_server

            async with postgres_server() as admin:
                dsn = await build_postgres(admin, args.servers, args.due, random.Random(11))
                return await measure(dsn, args.ticks)

        fast, slow, found = asyncio.run(on_postgres())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "schedule.db"
            build(path, args.servers, args.due, random.Random(11))
            fast, slow, found = asyncio.run(measure(path, args.ticks))
    assert found == min(args.due, 100)
    ms = 1e3
    return report(
        f"Scheduler tick ({args.backend}): {args.servers:,} servers configured, {args.due} due, "
        f"median of {args.ticks} ticks",
        [
            (
                "tick (indexed, production storage)",
                f"{median(fast) * ms:.2f} ms (p99 {percentile(fast, 99) * ms:.2f} ms)",
            ),
            ("baseline: read every schedule", f"{median(slow) * ms:.1f} ms"),
            ("indexed vs full read", f"{median(slow) / median(fast):,.0f}× faster"),
        ],
        [Goal("scheduler tick (median)", median(fast) * ms, 10, "ms")],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
