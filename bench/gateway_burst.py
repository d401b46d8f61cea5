"""A burst of 20,000 😭 reactions on a handful of picks, sent by the fake Discord to the real bot: the
time until every vote is committed, vs the time the same bot takes to consume the same burst with vote
writing switched off (the baseline, measured in the same run). Also counts the edits that keep the
picks' tear counts live: bounded by the picks and the edit interval, not by the reactions.

    python -m bench.gateway_burst [--reactions 20000] [--repeat 5] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, bot_at_rest, median, report
from bench.pg import new_database, postgres_server
from bot.config import DEFAULT_CATALOG_PATH, Settings
from bot.db import Storage
from bot.live import EDIT_INTERVAL
from tests.fakediscord import running_fake

PICKS = 5
EDITS = []  # live-count edits per run with writing on


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
        try:
            async with bot_at_rest(fake, settings, storage) as bot:
                elapsed = await burst(fake, guild, members, storage, write)
                if write:
                    await bot.live.settle()
                    EDITS.append(bot.live.edits)
                return elapsed
        finally:
            await storage.close()


async def burst(fake, guild, members, storage: Storage, write: bool) -> float:
    reactions = len(members)
    picks = []
    for i in range(PICKS):
        record = await fake.run_command(members[i], fake.general(guild), "cry")
        message = await record.wait_answer()
        await fake.wait_for(lambda m=message: "😭" in m.reactions, what="the pick")
        picks.append(message)
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
    events = [fake.react_later(m, picks[i % PICKS]) for i, m in enumerate(members)]
    started = time.perf_counter()
    await fake.blast("MESSAGE_REACTION_ADD", events, guild.id)
    await asyncio.wait_for(done.wait(), 120)
    if write:
        await storage.flush()
    elapsed = time.perf_counter() - started
    if write:
        titles = {(await storage.presented(p.id)).title_id for p in picks}  # type: ignore[union-attr]
        got = sum([await storage.tally(guild.id, title) for title in titles])
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
            (
                "live-count edits of the picks",
                f"{max(EDITS)} at most ({PICKS} picks, one edit per pick per {EDIT_INTERVAL:.0f} s)",
            ),
        ],
        [
            Goal("time added by storage (median of the pairs)", added, 15, "%"),
            Goal("edits per pick", max(EDITS) / PICKS, 2, ""),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
