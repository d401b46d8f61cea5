"""A burst of 20,000 😭 reactions on one pick, sent by the fake Discord to the real bot: the time until
every vote is committed, vs the time the same bot takes to consume the same burst with vote writing
switched off (the baseline, measured in the same run).

    python -m bench.gateway_burst [--reactions 20000] [--repeat 5] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, median, report
from bench.pg import new_database, postgres_server
from bot.catalog import load_catalog
from bot.client import Tearjerker
from bot.config import DEFAULT_CATALOG_PATH, Settings
from bot.db import Storage
from tests.fakediscord import running_fake


async def one_run(reactions: int, write: bool, tmp: Path, admin_dsn: str | None = None) -> float:
    async with running_fake() as fake:
        guild = fake.create_guild("Burst Box")
        members = [fake.create_member(guild, f"fan{i}") for i in range(reactions)]
        settings = Settings(
            token=fake.token,
            database_path=tmp / f"burst-{write}-{time.time_ns()}.db",
            database_dsn=await new_database(admin_dsn) if admin_dsn else None,
            catalog_path=DEFAULT_CATALOG_PATH,
            log_level="WARNING",
        )
        storage = await Storage.open(settings.database)
        bot = Tearjerker(settings=settings, storage=storage, catalog=load_catalog(DEFAULT_CATALOG_PATH))
        bot._connection.guild_ready_timeout = 0.2
        await bot.login(fake.token)
        task = asyncio.create_task(bot.connect())
        try:
            await fake.wait_connected()
            # Start from a bot at rest: ready, with its start-up catch-up done.
            await fake.wait_for(lambda: bot.ballot.catchup_runs >= 1, what="catch-up")  # type: ignore[union-attr]
            return await burst(fake, guild, members, storage, write)
        finally:
            await bot.close()
            await task
            await storage.close()


async def burst(fake, guild, members, storage: Storage, write: bool) -> float:
    reactions = len(members)
    record = await fake.run_command(members[0], fake.general(guild), "cry")
    message = await record.wait_answer()
    await fake.wait_for(lambda: "😭" in message.reactions, what="the pick")
    await storage.flush()

    seen = 0
    done = asyncio.Event()
    original = storage.change_votes

    def counting(change):  # the same counter in both modes; only the write differs
        nonlocal seen
        if write:
            original(change)
        seen += 1
        if seen == reactions:
            done.set()

    storage.change_votes = counting  # type: ignore[method-assign]
    events = [fake.react_later(m, message) for m in members]
    started = time.perf_counter()
    await fake.blast("MESSAGE_REACTION_ADD", events, guild.id)
    await asyncio.wait_for(done.wait(), 120)
    if write:
        await storage.flush()
    elapsed = time.perf_counter() - started
    if write:
        presented = await storage.presented(message.id)
        assert presented is not None
        got = await storage.tally(guild.id, presented.title_id)
        assert got == reactions, f"{got} of {reactions} votes persisted"
    return elapsed


async def runs(args: argparse.Namespace) -> tuple[list[float], list[float]]:
    off, on = [], []
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            for _ in range(args.repeat):
                off.append(await one_run(args.reactions, False, Path(tmp)))
                on.append(await one_run(args.reactions, True, Path(tmp)))
            return off, on
        async with postgres_server() as admin:
            for _ in range(args.repeat):
                off.append(await one_run(args.reactions, False, Path(tmp), admin))
                on.append(await one_run(args.reactions, True, Path(tmp), admin))
    return off, on


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reactions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    off, on = asyncio.run(runs(args))
    t_off, t_on = median(off), median(on)
    # Each run with writing is paired with the run without it just before: the median of the pairs'
    # ratios cancels the machine drifting between runs, which a ratio of two medians does not.
    added = median([b / a - 1 for a, b in zip(off, on, strict=True)]) * 100
    return report(
        f"Gateway burst ({args.backend}): {args.reactions:,} 😭 reactions, median of {args.repeat}",
        [
            (
                "consumed, vote writing off (baseline)",
                f"{t_off:.2f} s ({args.reactions / t_off:,.0f} events/s)",
            ),
            ("consumed and every vote committed", f"{t_on:.2f} s ({args.reactions / t_on:,.0f} events/s)"),
        ],
        [Goal("time added by storage (median of the pairs)", added, 15, "%")],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
