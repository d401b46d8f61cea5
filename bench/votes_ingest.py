"""Vote ingestion: the production writer vs raw sqlite3 (same rows, batch size and settings) and vs
aiosqlite committing once per vote.

    python -m bench.votes_ingest [--events 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

from bench.common import Goal, median, report, sqlite_connection
from bot.db import Storage, VoteChange
from bot.db.models import VOTE_CHANGE_SQL
from bot.db.sqlite import PRAGMAS
from bot.db.writer import MAX_BATCH

GUILD, CHANNEL = 1, 2
MESSAGES = 1000


def events(n: int) -> list[VoteChange]:
    """n reaction votes spread over 1,000 picks, each by a different member of the picks' audience."""
    per_message = max(1, n // MESSAGES)
    return [
        VoteChange("add", 1 + i % MESSAGES, 10_000 + i // MESSAGES, "r:😭", 1_700_000_000)
        for i in range(per_message * MESSAGES)
    ][:n]


def prepare(path: Path) -> None:
    """The same schema and the same recorded picks for every contender."""
    conn = sqlite_connection(path, migrate=True)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO presented_message VALUES (?, ?, ?, ?, 'drama', 1, 1700000000)",
        [(m, GUILD, CHANNEL, f"title-{m % 50}") for m in range(1, MESSAGES + 1)],
    )
    conn.execute("COMMIT")
    conn.close()


def raw_sqlite(path: Path, rows: list[tuple], batch: int) -> float:
    conn = sqlite_connection(path)
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(VOTE_CHANGE_SQL, rows[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def production(path: Path, changes: list[VoteChange]) -> float:
    storage = await Storage.open(path)
    started = time.perf_counter()
    for change in changes:
        storage.change_votes(change)
    await storage.writer.flush()
    elapsed = time.perf_counter() - started
    tally = await storage.tally(GUILD, "title-1")
    await storage.close()
    assert tally > 0
    return elapsed


async def one_commit_per_vote(path: Path, rows: list[tuple]) -> float:
    conn = await aiosqlite.connect(path)
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    started = time.perf_counter()
    for row in rows:
        await conn.execute(VOTE_CHANGE_SQL, row)
        await conn.commit()
    elapsed = time.perf_counter() - started
    await conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    changes = events(args.events)
    rows = [c.params() for c in changes]
    batch = MAX_BATCH
    slow_rows = rows[: max(1, args.events // 10)]  # the slow baseline on a tenth: its rate is what counts
    raw, prod, slow = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            for name, sink in (("raw", raw), ("prod", prod), ("slow", slow)):
                path = Path(tmp) / f"{name}{r}.db"
                prepare(path)
                if name == "raw":
                    sink.append(len(rows) / raw_sqlite(path, rows, batch))
                elif name == "prod":
                    sink.append(len(changes) / asyncio.run(production(path, changes)))
                else:
                    sink.append(len(slow_rows) / asyncio.run(one_commit_per_vote(path, slow_rows)))
    raw_rate, prod_rate, slow_rate = median(raw), median(prod), median(slow)
    return report(
        f"Vote ingestion: {args.events:,} events, batches of {batch}, median of {args.repeat}",
        [
            ("production writer", f"{prod_rate:,.0f} votes/s"),
            ("raw sqlite3 (same rows, batch, pragmas)", f"{raw_rate:,.0f} votes/s"),
            ("aiosqlite, one commit per vote", f"{slow_rate:,.0f} votes/s"),
        ],
        [
            Goal("writer / raw sqlite3", prod_rate / raw_rate, 0.9, "×", higher_is_better=True),
            Goal("writer / one-commit-per-vote", prod_rate / slow_rate, 5, "×", higher_is_better=True),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
