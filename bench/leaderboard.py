"""Tear chart reads at 1,000,000 votes: the counters behind /tears top vs a GROUP BY over the votes.

python -m bench.leaderboard [--votes 1000000] [--reads 2000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, median, percentile, report, sqlite_connection

TOP_SQL = (
    "SELECT title_id, count FROM tally WHERE guild_id = ? AND count > 0 ORDER BY count DESC, title_id LIMIT ?"
)
GROUP_BY_SQL = "SELECT title_id, COUNT(*) AS n FROM vote WHERE guild_id = ? GROUP BY title_id ORDER BY n DESC, title_id LIMIT ?"
BIG_GUILD = 1


def build(path: Path, votes: int, rng: random.Random) -> None:
    """A million votes over 1,000 servers and 300 titles; one big server holds a tenth of them."""
    conn = sqlite_connection(path, migrate=True)
    rows = set()
    while len(rows) < votes:
        guild = BIG_GUILD if rng.random() < 0.1 else rng.randrange(2, 1001)
        rows.add((guild, rng.randrange(1, 200_000), f"title-{int(rng.paretovariate(1.2)) % 300}"))
    conn.execute("BEGIN")
    # Through the same trigger that keeps the counters in production.
    conn.executemany("INSERT INTO vote (guild_id, user_id, title_id, created_at) VALUES (?, ?, ?, 0)", rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def time_reads(conn: sqlite3.Connection, sql: str, guild: int, reads: int) -> list[float]:
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        conn.execute(sql, (guild, 10)).fetchall()
        samples.append(time.perf_counter() - started)
    return samples


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args(argv)
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
            ("baseline: GROUP BY over the votes", f"{median(group_big) * us:,.0f} µs"),
            ("counters vs GROUP BY", f"{median(group_big) / median(top_big):,.0f}× faster"),
        ],
        [
            Goal("/tears top database time (median, biggest server)", median(top_big) * us, 50, "µs"),
            Goal("/tears top database time (median, global)", median(top_global) * us, 50, "µs"),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
