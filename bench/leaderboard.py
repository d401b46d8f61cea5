"""Tear chart reads at 1,000,000 votes cast over the last year: the counters behind /tears top (all
time, and this week, month and year) vs a GROUP BY over the votes.

python -m bench.leaderboard [--votes 1000000] [--reads 2000] [--backend postgresql]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, median, percentile, report, sqlite_connection
from bot.db.sqlite import FOLD_SQL
from bot.periods import PERIODS, bucket

TOP_SQL = (
    "SELECT title_id, count FROM tally WHERE guild_id = ? AND count > 0 ORDER BY count DESC, title_id LIMIT ?"
)
GROUP_BY_SQL = "SELECT title_id, COUNT(*) AS n FROM vote WHERE guild_id = ? GROUP BY title_id ORDER BY n DESC, title_id LIMIT ?"
PERIOD_SQL = (
    "SELECT title_id, count FROM tally_period WHERE guild_id = ? AND period = ? AND bucket = ? AND count > 0"
    " ORDER BY count DESC, title_id LIMIT ?"
)
PERIOD_GROUP_BY_SQL = (
    "SELECT title_id, COUNT(*) AS n FROM vote WHERE guild_id = ? AND created_at >= ? GROUP BY title_id"
    " ORDER BY n DESC, title_id LIMIT ?"
)
BIG_GUILD = 1
NOW = int(time.time())
YEAR = 365 * 86400


def build(path: Path, votes: int, rng: random.Random) -> None:
    """A million votes over 1,000 servers and 300 titles; one big server holds a tenth of them."""
    conn = sqlite_connection(path, migrate=True)
    rows = vote_rows(votes, rng)
    conn.execute("BEGIN")
    # Through the same trigger that keeps the counters in production.
    conn.executemany(
        "INSERT INTO vote (guild_id, user_id, title_id, created_at) VALUES (?, ?, ?, ?)",
        [(g, u, t, NOW - rng.randrange(YEAR)) for g, u, t in sorted(rows)],
    )
    conn.execute(FOLD_SQL)  # the votes' counter deltas into the counters, as the bot's writer does
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def time_reads(conn: sqlite3.Connection, sql: str, guild: int, reads: int, *middle: object) -> list[float]:
    samples = []
    params = (guild, *middle, 10)
    for _ in range(reads):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        samples.append(time.perf_counter() - started)
    return samples


def vote_rows(votes: int, rng: random.Random) -> set[tuple[int, int, str]]:
    rows: set[tuple[int, int, str]] = set()
    while len(rows) < votes:
        guild = BIG_GUILD if rng.random() < 0.1 else rng.randrange(2, 1001)
        rows.add((guild, rng.randrange(1, 200_000), f"title-{int(rng.paretovariate(1.2)) % 300}"))
    return rows


async def pg_main(args: argparse.Namespace) -> bool:
    """The same chart on PostgreSQL: the server's own execution time per read (EXPLAIN ANALYZE), which
    is what the SQLite figure measures too, and the round trip through asyncpg beside it."""
    import asyncpg

    from bench.pg import new_database, postgres_server
    from bot.db import Storage
    from bot.db.postgres import numbered

    async with postgres_server() as admin:
        dsn = await new_database(admin)
        store = await Storage.open(dsn)
        await store.close()
        conn = await asyncpg.connect(dsn)
        try:
            started = time.perf_counter()
            rng = random.Random(7)
            rows = [(g, u, t, NOW - rng.randrange(YEAR)) for g, u, t in sorted(vote_rows(args.votes, rng))]
            # COPY fires the statement triggers: period counters and counter deltas (folded just below).
            await conn.copy_records_to_table("vote", records=rows)
            await conn.execute("SELECT apply_tally_deltas()")  # as the writer does before each commit
            await conn.execute("ANALYZE")
            built = time.perf_counter() - started
            top, group = numbered(TOP_SQL), numbered(GROUP_BY_SQL)
            assert [tuple(r) for r in await conn.fetch(top, BIG_GUILD, 10)] == [
                tuple(r) for r in await conn.fetch(group, BIG_GUILD, 10)
            ]

            async def server_times(sql: str, guild: int, reads: int) -> list[float]:
                out = []
                for _ in range(reads):
                    plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", guild, 10)
                    out.append(json.loads(plan)[0]["Execution Time"] / 1e3)
                return out

            async def round_trips(sql: str, guild: int, reads: int) -> list[float]:
                out = []
                for _ in range(reads):
                    t0 = time.perf_counter()
                    await conn.fetch(sql, guild, 10)
                    out.append(time.perf_counter() - t0)
                return out

            top_big = await server_times(top, BIG_GUILD, args.reads)
            top_global = await server_times(top, 0, args.reads)
            trip = await round_trips(top, BIG_GUILD, args.reads)
            group_big = await server_times(group, BIG_GUILD, max(20, args.reads // 100))
            periods = {}
            period_sql = numbered(PERIOD_SQL)
            for name, code in PERIODS.items():
                start = bucket(code, NOW)
                counted = [tuple(r) for r in await conn.fetch(period_sql, BIG_GUILD, code, start, 10)]
                grouped = [
                    tuple(r) for r in await conn.fetch(numbered(PERIOD_GROUP_BY_SQL), BIG_GUILD, start, 10)
                ]
                assert counted == grouped, (name, counted, grouped)
                samples = []
                for _ in range(args.reads):
                    plan = await conn.fetchval(
                        f"EXPLAIN (ANALYZE, FORMAT JSON) {period_sql}", BIG_GUILD, code, start, 10
                    )
                    samples.append(json.loads(plan)[0]["Execution Time"] / 1e3)
                periods[name] = samples
        finally:
            await conn.close()
    us = 1e6
    return report(
        f"Tear chart on PostgreSQL at {args.votes:,} votes (built in {built:.1f}s), median of {args.reads} reads",
        [
            ("/tears top, biggest server (counters)", f"{median(top_big) * us:.1f} µs server time"),
            ("/tears top, global (counters)", f"{median(top_global) * us:.1f} µs server time"),
            ("the same read's round trip (asyncpg, loopback)", f"{median(trip) * us:.0f} µs"),
            *(
                (f"/tears top period:{name}, biggest server", f"{median(s) * us:.1f} µs server time")
                for name, s in periods.items()
            ),
            ("baseline: GROUP BY over the votes", f"{median(group_big) * us:,.0f} µs server time"),
            ("counters vs GROUP BY", f"{median(group_big) / median(top_big):,.0f}× faster"),
        ],
        [
            Goal("/tears top server time (median, biggest server)", median(top_big) * us, 50, "µs"),
            Goal("/tears top server time (median, global)", median(top_global) * us, 50, "µs"),
            *(
                Goal(f"/tears top period:{name} server time (median)", median(s) * us, 50, "µs")
                for name, s in periods.items()
            ),
        ],
    )


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if args.backend == "postgresql":
        import asyncio

        return asyncio.run(pg_main(args))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chart.db"
        started = time.perf_counter()
        build(path, args.votes, random.Random(7))
        built = time.perf_counter() - started
        conn = sqlite_connection(path)
        assert conn.execute("SELECT COUNT(*) FROM vote").fetchone()[0] == args.votes
        assert (
            conn.execute(TOP_SQL, (BIG_GUILD, 10)).fetchall()
            == conn.execute(GROUP_BY_SQL, (BIG_GUILD, 10)).fetchall()
        )
        top_big = time_reads(conn, TOP_SQL, BIG_GUILD, args.reads)
        top_global = time_reads(conn, TOP_SQL, 0, args.reads)
        group_big = time_reads(conn, GROUP_BY_SQL, BIG_GUILD, max(20, args.reads // 100))
        periods = {}
        for name, code in PERIODS.items():
            start = bucket(code, NOW)
            counted = conn.execute(PERIOD_SQL, (BIG_GUILD, code, start, 10)).fetchall()
            grouped = conn.execute(PERIOD_GROUP_BY_SQL, (BIG_GUILD, start, 10)).fetchall()
            assert counted == grouped, (name, counted, grouped)
            periods[name] = time_reads(conn, PERIOD_SQL, BIG_GUILD, args.reads, code, start)
        conn.close()
    us = 1e6
    return report(
        f"Tear chart at {args.votes:,} votes (built in {built:.1f}s), median of {args.reads} reads",
        [
            (
                "/tears top, biggest server (counters)",
                f"{median(top_big) * us:.1f} µs (p99 {percentile(top_big, 99) * us:.1f} µs)",
            ),
            (
                "/tears top, global (counters)",
                f"{median(top_global) * us:.1f} µs (p99 {percentile(top_global, 99) * us:.1f} µs)",
            ),
            *(
                (
                    f"/tears top period:{name}, biggest server",
                    f"{median(s) * us:.1f} µs (p99 {percentile(s, 99) * us:.1f} µs)",
                )
                for name, s in periods.items()
            ),
            ("baseline: GROUP BY over the votes", f"{median(group_big) * us:,.0f} µs"),
            ("counters vs GROUP BY", f"{median(group_big) / median(top_big):,.0f}× faster"),
        ],
        [
            Goal("/tears top database time (median, biggest server)", median(top_big) * us, 50, "µs"),
            Goal("/tears top database time (median, global)", median(top_global) * us, 50, "µs"),
            *(
                Goal(f"/tears top period:{name} (median, biggest server)", median(s) * us, 50, "µs")
                for name, s in periods.items()
            ),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
