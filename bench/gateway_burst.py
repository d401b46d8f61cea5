"""A burst of 20,000 😭 reactions on a handful of picks, sent by the fake Discord to the real bot: the
time from the first event until every vote is committed, vs the time the same bot takes to consume the
same burst with vote writing switched off (the baseline). Also counts the edits that keep the picks'
tear counts live: bounded by the picks and the edit interval, not by the reactions.

One bot runs every burst. Each pair is two bursts made ready first (picks posted, events encoded),
then sent back to back, writing off and on in turn (ABBA order, after a warm-up pair): on these
shared machines the CPU's speed drifts by up to 70% over tens of seconds (a fixed 2-second loop took
2.2 to 3.7 s within one minute), so only bursts seconds apart make a ratio that means anything. Each
burst with writing on votes for titles nobody voted for yet, so every vote is a new one.

    python -m bench.gateway_burst [--reactions 20000] [--repeat 16] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import Goal, abba_means, bot_at_rest, median, report
from bench.pg import new_database, postgres_server
from bot.config import DEFAULT_CATALOG_PATH, Settings
from bot.db import Storage
from bot.live import EDIT_INTERVAL
from tests.fakediscord import running_fake

if TYPE_CHECKING:
    from bot.client import Tearjerker

PICKS = 5


@dataclass
class Burst:
    """A burst made ready: its picks are posted and its events encoded, nothing sent yet."""

    write: bool
    guild: Any
    picks: list[Any]
    events: list[dict[str, Any]]


async def prepare(fake, guild, members, titles: list[str], write: bool = True) -> Burst:
    picks = []
    for i, title in enumerate(titles):
        record = await fake.run_command(members[i], fake.general(guild), "cry", title=title)
        message = await record.wait_answer()
        await fake.wait_for(lambda m=message: "😭" in m.reactions, what="the pick")
        picks.append(message)
    events = [fake.react_later(m, picks[i % PICKS]) for i, m in enumerate(members)]
    return Burst(write, guild, picks, events)


async def run(fake, storage: Storage, burst: Burst) -> float:
    """Send the burst; the seconds from its first event until every vote is counted (and, writing
    on, committed)."""
    await storage.flush()
    reactions = len(burst.events)
    seen = 0
    done = asyncio.Event()
    original = storage.change_votes

    def counting(change):  # the same counter in both modes; only the write differs
        nonlocal seen
        if burst.write:
            original(change)
        seen += 1
        if seen == reactions:
            done.set()

    storage.change_votes = counting  # type: ignore[method-assign]
    try:
        started = await fake.blast("MESSAGE_REACTION_ADD", burst.events, burst.guild.id)
        await asyncio.wait_for(done.wait(), 120)
        if burst.write:
            await storage.flush()
        elapsed = time.perf_counter() - started
    finally:
        del storage.change_votes  # type: ignore[method-assign]
    if burst.write:
        presented = [await storage.presented(p.id) for p in burst.picks]
        counts = [await storage.tally(burst.guild.id, p.title_id) for p in presented if p is not None]
        assert sum(counts) == reactions, f"{sum(counts)} of {reactions} votes persisted"
    return elapsed


def fresh_ballots(
    bot: Tearjerker, audiences: list[tuple[Any, list[Any]]]
) -> Iterator[tuple[Any, list[Any], list[str]]]:
    """A server, its members and five drama titles at a time that nobody there voted for yet."""
    titles = [d.title for d in bot.catalog.dramas]
    for guild, members in audiences:
        for start in range(0, len(titles) - PICKS + 1, PICKS):
            yield guild, members, titles[start : start + PICKS]


async def session(args: argparse.Namespace, tmp: Path, admin_dsn: str | None) -> tuple[list[float], ...]:
    off: list[float] = []
    on: list[float] = []
    edits: list[float] = []  # live-count edits per pick, pair by pair
    async with running_fake() as fake:
        guild = fake.create_guild("Burst Box")
        members = [fake.create_member(guild, f"fan{i}") for i in range(args.reactions)]
        # The same fans in a second server: as many new votes again, for as many more pairs.
        other = fake.create_guild("Second Box")
        audiences = [(guild, members), (other, [fake.add_member(other, m.user) for m in members])]
        settings = Settings(
            token=fake.token,
            database_path=tmp / "burst.db",
            database_dsn=await new_database(admin_dsn) if admin_dsn else None,
            catalog_path=DEFAULT_CATALOG_PATH,
            log_level="WARNING",
        )
        storage = await Storage.open(settings.database)
        try:
            async with bot_at_rest(fake, settings, storage) as bot:
                ballots = fresh_ballots(bot, audiences)
                reused = [d.title for d in bot.catalog.dramas[:PICKS]]  # writing off: no vote is kept
                for pair in range(args.repeat + 1):  # the first pair warms up and is not counted
                    order = (False, True) if pair % 2 == 0 else (True, False)
                    bursts = [
                        await prepare(fake, *next(ballots))
                        if write
                        else await prepare(fake, guild, members, reused, write=False)
                        for write in order
                    ]
                    before = bot.live.edits
                    # The fake's own state (every reaction it has recorded, the events just encoded)
                    # lives in this process only in a benchmark: kept out of the collector's full
                    # passes, as the bot keeps its start-up state (gc.freeze in on_ready).
                    gc.collect()
                    gc.freeze()
                    # Back to back: the machine's speed drifts over seconds, not within one pair.
                    timings = [await run(fake, storage, burst) for burst in bursts]
                    await bot.live.settle()
                    if pair:
                        for burst, elapsed in zip(bursts, timings, strict=True):
                            (on if burst.write else off).append(elapsed)
                        edits.append((bot.live.edits - before) / PICKS)  # only the voted picks change
        finally:
            await storage.close()
    return off, on, edits


async def runs(args: argparse.Namespace) -> tuple[list[float], ...]:
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            return await session(args, Path(tmp), None)
        async with postgres_server() as admin:
            return await session(args, Path(tmp), admin)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reactions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=16, help="pairs counted, at most 23")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 23:
        parser.error("--repeat: 1 to 23 (each burst with writing on needs five titles not voted for yet)")
    off, on, edits = asyncio.run(runs(args))
    t_off, t_on = median(off), median(on)
    ratios = [b / a for a, b in zip(off, on, strict=True)]
    # Whichever burst of a pair goes first is slower (the machine idled while the previous pair's
    # live counts settled), and pairs alternate which mode goes first (see abba_median).
    quads = abba_means(ratios)
    added = (median(quads) - 1) * 100
    return report(
        f"Gateway burst ({args.backend}): {args.reactions:,} 😭 reactions, {args.repeat} pairs",
        [
            (
                "consumed, vote writing off (baseline)",
                f"{t_off:.2f} s ({args.reactions / t_off:,.0f} events/s), median",
            ),
            (
                "consumed and every vote committed",
                f"{t_on:.2f} s ({args.reactions / t_on:,.0f} events/s), median",
            ),
            # How steady the machine was: on a quiet one the baselines agree within a few percent.
            ("baseline bursts, fastest to slowest", f"{min(off):.2f} to {max(off):.2f} s"),
            ("time added, pair by pair", " ".join(f"{(r - 1) * 100:+.0f}%" for r in ratios)),
            ("… two pairs at a time (ABBA)", " ".join(f"{(q - 1) * 100:+.0f}%" for q in quads)),
            (
                "live-count edits per pick",
                f"{max(edits):.1f} at most (one edit per pick per {EDIT_INTERVAL:.0f} s at most)",
            ),
        ],
        [
            Goal("time added by storage (median of the ABBA pairs of pairs)", added, 15, "%"),
            Goal("edits per pick", max(edits), 2, ""),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
