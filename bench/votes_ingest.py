"""Vote ingestion: the production writer vs raw sqlite3 (same rows, batch size and settings) and vs
aiosqlite committing once per vote.

    python -m bench.votes_ingest [--events 100000] [--repeat 8] [--backend postgresql]

With --backend postgresql: the writer vs raw asyncpg writing the same rows in the same batches
(executemany, unnest, COPY), and 1, 2 and 3 processes writing into one database at once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from itertools import groupby
from pathlib import Path

import aiosqlite
import asyncpg

from bench.common import Goal, abba_median, median, report, sqlite_connection
from bench.pg import new_database, postgres_server
from bot.db import Storage, VoteChange
from bot.db.backend import runs_of_adds
from bot.db.models import VOTE_CHANGE_SQL
from bot.db.postgres import numbered
from bot.db.sqlite import FOLD_SQL, PRAGMAS, apply_run
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


def raw_sqlite(path: Path, rows: list[tuple], batch: int, as_sets: bool) -> float:
    """Plain sqlite3 in one thread: row by row through the vote_change view (executemany), or each
    batch's adds as one set and the rest as one JSON statement, as the writer sends them."""
    conn = sqlite_connection(path)
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        if as_sets:
            for adds, run in runs_of_adds(rows[i : i + batch]):
                apply_run(conn, adds, run)
        else:
            conn.executemany(VOTE_CHANGE_SQL, rows[i : i + batch])
        conn.execute(FOLD_SQL)  # the counters, as every commit of the bot folds them
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def production(path: Path, changes: list[VoteChange]) -> float:
    storage = await Storage.open(path)
    started = time.perf_counter()
    for change in changes:
        storage.change_votes(change)
    await storage.flush()
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
        await conn.execute(FOLD_SQL)
        await conn.commit()
    elapsed = time.perf_counter() - started
    await conn.close()
    return elapsed


# --- PostgreSQL ---------------------------------------------------------------------------------------

UNNEST_SQL = (
    "INSERT INTO vote_change (op, message_id, user_id, source, at) SELECT op, m, u, s, a FROM"
    " unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[]) WITH ORDINALITY AS"
    " t(op, m, u, s, a, n) ORDER BY n"
)
# A run of adds as a set, as apply_vote_adds (migrations/postgres/0014) does it: a source for each
# recorded message, an orphan for the others; {rows} yields (m, u, s, a).
ADDS_SQL = (
    "WITH c AS MATERIALIZED (SELECT v.m, v.u, v.s, v.a, p.guild_id, p.title_id FROM {rows}"
    " LEFT JOIN presented_message p ON p.message_id = v.m),"
    " added AS (INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)"
    " SELECT c.m, c.u, c.s, c.guild_id, c.title_id, c.a FROM c WHERE c.guild_id IS NOT NULL"
    " ON CONFLICT DO NOTHING)"
    " INSERT INTO orphan_source (message_id, user_id, source, created_at) SELECT c.m, c.u, c.s, c.a FROM c"
    " WHERE c.guild_id IS NULL ON CONFLICT DO NOTHING"
)
ADDS_ONE = ADDS_SQL.format(rows="(VALUES ($1::bigint, $2::bigint, $3::text, $4::bigint)) AS v(m, u, s, a)")
ADDS_UNNEST = ADDS_SQL.format(
    rows="unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS v(m, u, s, a)"
)
ADDS_COPIED = ADDS_SQL.format(rows="(SELECT message_id, user_id, source, at FROM incoming) AS v(m, u, s, a)")


async def pg_prepare(admin: str) -> str:
    dsn = await new_database(admin)
    store = await Storage.open(dsn)  # the production schema
    await store.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO presented_message VALUES ($1, $2, $3, $4, 'drama', 1, 1700000000)",
            [(m, GUILD, CHANNEL, f"title-{m % 50}") for m in range(1, MESSAGES + 1)],
        )
    finally:
        await conn.close()
    return dsn


async def pg_raw(dsn: str, changes: list[VoteChange], batch: int, how: str) -> float:
    """Raw asyncpg writing the same rows in the same batches, one transaction each, three ways that keep
    the semantics: runs of adds as sets (the production schema's statement triggers follow them), every
    other change through the vote_change triggers, in order. Both sides start from the bot's vote
    changes, so turning them into rows is timed on both."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TEMP TABLE incoming (n bigint, op text, message_id bigint,"
            " user_id bigint, source text, at bigint) ON COMMIT DELETE ROWS"
        )
        started = time.perf_counter()
        rows = [change.params() for change in changes]
        for i in range(0, len(rows), batch):
            async with conn.transaction():
                for adds, grouped in groupby(rows[i : i + batch], key=lambda row: row[0] == "add"):
                    await _pg_run(conn, list(grouped), adds, how)
                await conn.execute("SELECT apply_tally_deltas()")  # the counters, as the writer folds them
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _pg_run(conn: asyncpg.Connection, run: list[tuple], adds: bool, how: str) -> None:
    if how == "executemany":
        if adds:
            await conn.executemany(ADDS_ONE, [row[1:] for row in run])
        else:
            await conn.executemany(numbered(VOTE_CHANGE_SQL), run)
    elif how == "unnest":
        columns = [list(col) for col in zip(*run, strict=True)]
        if adds:
            await conn.execute(ADDS_UNNEST, *columns[1:])
        else:
            await conn.execute(UNNEST_SQL, *columns)
    else:  # COPY into a scratch table, then as a set or through the view in order
        await conn.execute("DELETE FROM incoming")
        await conn.copy_records_to_table("incoming", records=[(j, *row) for j, row in enumerate(run)])
        if adds:
            await conn.execute(ADDS_COPIED)
        else:
            await conn.execute(
                "INSERT INTO vote_change (op, message_id, user_id, source, at)"
                " SELECT op, message_id, user_id, source, at FROM incoming ORDER BY n"
            )


async def pg_production(dsn: str, changes: list[VoteChange]) -> float:
    storage = await Storage.open(dsn, pool_size=2)
    try:
        started = time.perf_counter()
        for change in changes:
            storage.change_votes(change)
        await storage.flush()
        elapsed = time.perf_counter() - started
        assert await storage.tally(GUILD, "title-1") > 0
        return elapsed
    finally:
        await storage.close()


WORKER = """
import asyncio, sys, time
from bench.votes_ingest import events, pg_production
dsn, n, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
changes = [c.__class__(c.op, c.message_id, c.user_id + offset, c.source, c.at) for c in events(n)]
elapsed = asyncio.run(pg_production(dsn, changes))
print(time.time() - elapsed, time.time())
"""


async def pg_processes(dsn: str, n: int, processes: int) -> float:
    """`processes` shard processes, each writing n votes of its own members into one database at once;
    returns the combined votes per second over the span from the first write to the last commit."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            dsn,
            str(n),
            str(1_000_000 * (p + 1)),
            stdout=asyncio.subprocess.PIPE,
        )
        for p in range(processes)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    spans = [tuple(map(float, out.split())) for out, _ in outputs]  # each worker's write window
    return processes * n / (max(end for _, end in spans) - min(start for start, _ in spans))


async def pg_main(args: argparse.Namespace) -> bool:
    changes = events(args.events)
    slow = changes[: max(1, args.events // 10)]  # executemany on a tenth: its rate is what counts
    rates: dict[str, list[float]] = {"production": [], "executemany": [], "unnest": [], "copy": []}
    ratios: list[float] = []  # the writer / the fastest raw way, round by round
    async with postgres_server() as admin:
        for r in range(args.repeat):
            # New databases for every run, made first; then the writer and the two set-based raw ways
            # back to back, the writer first and last in turn (ABBA). executemany (slow) after.
            dsns = {name: await pg_prepare(admin) for name in rates}
            order = ["production", "unnest", "copy"] if r % 2 == 0 else ["unnest", "copy", "production"]
            for name in [*order, "executemany"]:
                these = slow if name == "executemany" else changes
                if name == "production":
                    elapsed = await pg_production(dsns[name], these)
                else:
                    elapsed = await pg_raw(dsns[name], these, MAX_BATCH, name)
                rates[name].append(len(these) / elapsed)
            ratios.append(rates["production"][-1] / max(rates[k][-1] for k in rates if k != "production"))
        scaling = {}
        for processes in (1, 2, 3):
            dsn = await pg_prepare(admin)
            scaling[processes] = await pg_processes(dsn, args.events // 2, processes)
    medians = {name: median(values) for name, values in rates.items()}
    fastest_name = max(("executemany", "unnest", "copy"), key=lambda k: medians[k])
    return report(
        f"Vote ingestion into PostgreSQL: {args.events:,} events, batches of {MAX_BATCH}, median of {args.repeat}",
        [
            ("production writer (adds as array literals)", f"{medians['production']:,.0f} votes/s"),
            ("raw asyncpg, executemany (on a tenth)", f"{medians['executemany']:,.0f} votes/s"),
            *((f"raw asyncpg, {k}", f"{medians[k]:,.0f} votes/s") for k in ("unnest", "copy")),
            ("writer / fastest raw, round by round", " ".join(f"{r:.2f}" for r in ratios)),
            *((f"{p} process(es) writing at once", f"{r:,.0f} votes/s") for p, r in scaling.items()),
            ("scaling, 3 processes vs 1", f"{scaling[3] / scaling[1]:.2f}×"),
        ],
        [
            Goal(
                f"writer / fastest raw (median of the ABBA pairs of rounds; fastest overall: {fastest_name})",
                abba_median(ratios),
                0.95,
                "×",
                higher_is_better=True,
            )
        ],
    )


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=8, help="rounds (pairs), the writer first in every other"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if args.backend == "postgresql":
        return asyncio.run(pg_main(args))
    changes = events(args.events)
    rows = [c.params() for c in changes]
    batch = MAX_BATCH
    slow_rows = rows[: max(1, args.events // 10)]  # the slow baseline on a tenth: its rate is what counts
    raw, sets, prod, slow = [], [], [], []
    ratios: list[float] = []  # the writer / the fastest raw way, pair by pair
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            paths = {name: Path(tmp) / f"{name}{r}.db" for name in ("raw", "sets", "prod", "slow")}
            for path in paths.values():
                prepare(path)
            # The writer and raw sets back to back, in turn first (ABBA); the others after.
            for name in ("sets", "prod") if r % 2 == 0 else ("prod", "sets"):
                if name == "sets":
                    sets.append(len(rows) / raw_sqlite(paths[name], rows, batch, as_sets=True))
                else:
                    prod.append(len(changes) / asyncio.run(production(paths[name], changes)))
            raw.append(len(rows) / raw_sqlite(paths["raw"], rows, batch, as_sets=False))
            slow.append(len(slow_rows) / asyncio.run(one_commit_per_vote(paths["slow"], slow_rows)))
            ratios.append(prod[-1] / max(raw[-1], sets[-1]))
    raw_rate, sets_rate, prod_rate, slow_rate = median(raw), median(sets), median(prod), median(slow)
    return report(
        f"Vote ingestion: {args.events:,} events, batches of {batch}, median of {args.repeat}",
        [
            ("production writer", f"{prod_rate:,.0f} votes/s"),
            ("raw sqlite3, adds as sets (same rows, batch, pragmas)", f"{sets_rate:,.0f} votes/s"),
            ("raw sqlite3, row by row (executemany)", f"{raw_rate:,.0f} votes/s"),
            ("aiosqlite, one commit per vote", f"{slow_rate:,.0f} votes/s"),
            ("writer / fastest raw, pair by pair", " ".join(f"{r:.2f}" for r in ratios)),
        ],
        [
            Goal(
                "writer / fastest raw sqlite3 (median of the ABBA pairs of pairs)",
                abba_median(ratios),
                0.95,
                "×",
                higher_is_better=True,
            ),
            Goal("writer / one-commit-per-vote", prod_rate / slow_rate, 5, "×", higher_is_better=True),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
