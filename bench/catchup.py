"""Catch-up after downtime through the fake Discord: 10,000 picks in the window across 200 channels.

Three ways of checking the same picks, in the same run, counted by the requests the fake received:
- the baseline, as catch-up worked before: every vote reaction of every pick listed (normal and super);
- catch-up with nothing changed: history pages compared with the stored counts;
- catch-up after 1 % of the picks gained a vote unseen (no gateway event): the same pages, plus a
  listing for each changed pick. Afterwards every pick's stored counts must equal Discord's.

    python -m bench.catchup [--picks 10000] [--channels 200] [--chatter 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, bot_at_rest, median, report
from bot.config import DEFAULT_CATALOG_PATH, Settings
from bot.db import Storage, VoteChange
from tests.fakediscord import running_fake

READ = re.compile(r"/channels/\d+/(messages(/\d+/reactions/.+)?|polls/\d+/answers/\d+)$")


def catch_up_requests(fake, start: int) -> int:
    return sum(1 for method, path in fake.requests[start:] if method == "GET" and READ.search(path))


async def build(fake, storage: Storage, args: argparse.Namespace, rng: random.Random):
    """Guilds of 10 channels; picks spread over them, `chatter` member messages per pick on average,
    0–3 members' 😭 on each, stored as the bot would have stored them."""
    guilds = [fake.create_guild(f"Box {i}") for i in range(max(1, args.channels // 10))]
    channels = [
        fake.create_channel(g, f"tears-{j}") for g in guilds for j in range(args.channels // len(guilds))
    ]
    members = {g.id: [fake.create_member(g, f"fan{g.id % 1000}-{k}") for k in range(8)] for g in guilds}
    now = int(time.time())
    picks = []
    for i in range(args.picks):
        channel = channels[i % len(channels)]
        for _ in range(rng.choice((0, args.chatter, 2 * args.chatter))):
            fake.backfill(channel, by=members[channel.guild_id][0].user)
        message = fake.backfill(channel)
        fake.react_later(fake.bot_member(fake.guilds[channel.guild_id]), message)  # the seed 😭
        for fan in rng.sample(members[channel.guild_id], rng.randint(0, 3)):
            fake.react_later(fan, message)
        picks.append(message)
    writes = [
        storage.record_presented(
            message_id=m.id, guild_id=m.guild_id, channel_id=m.channel_id, title_id="hymn-of-death",
            kind="drama", requested_by=members[m.guild_id][0].user.id, created_at=now - (args.picks - i) * 5,
        )
        for i, m in enumerate(picks)
    ]  # fmt: skip
    for i in range(0, len(writes), 1000):
        await asyncio.gather(*writes[i : i + 1000])
    for m in picks:
        for uid in m.reactions["😭"].users:
            if uid != fake.bot_user.id:
                storage.change_votes(VoteChange("add", m.id, uid, "r:😭"))
    await storage.flush()
    return picks, members


async def mismatches(fake, storage: Storage, picks) -> int:
    """Picks whose stored sources differ from the members' reactions Discord holds."""
    stored = await storage.source_counts([m.id for m in picks])
    wrong = 0
    for m in picks:
        on_discord = sum(1 for uid in m.reactions["😭"].users if uid != fake.bot_user.id)
        if stored[m.id].get("r:😭", 0) != on_discord:
            wrong += 1
    return wrong


async def one_round(fake, bot, storage: Storage, recorded, picks, members, rng, figures) -> None:
    """The baseline, then catch-up with nothing changed, then with 1 % of the picks changed unseen."""
    start, began = len(fake.requests), time.perf_counter()
    for message in recorded:  # the old catch-up: every reaction of every pick listed
        await bot.ballot.reconcile_message(message)
    figures["base_s"].append(time.perf_counter() - began)
    figures["base_req"].append(catch_up_requests(fake, start))

    start, began = len(fake.requests), time.perf_counter()
    await bot.ballot.catch_up(0)
    figures["same_s"].append(time.perf_counter() - began)
    figures["same_req"].append(catch_up_requests(fake, start))

    changed = rng.sample(picks, len(picks) // 100)
    for m in changed:  # a vote nobody saw arrive
        guild_members = members[m.guild_id]
        fan = next(f for f in guild_members if f.user.id not in m.reactions["😭"].users)
        fake.react_later(fan, m)
    start, began = len(fake.requests), time.perf_counter()
    await bot.ballot.catch_up(0)
    figures["one_s"].append(time.perf_counter() - began)
    figures["one_req"].append(catch_up_requests(fake, start))
    figures["listed"].append(len(changed))
    figures["wrong"].append(await mismatches(fake, storage, picks))


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    rng = random.Random(15)
    figures: dict[str, list[float]] = {
        k: [] for k in ("base_req", "base_s", "same_req", "same_s", "one_req", "one_s")
    }
    figures["wrong"] = []
    figures["listed"] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with running_fake() as fake:
            settings = Settings(
                token=fake.token, database_path=Path(tmp) / "catchup.db", catalog_path=DEFAULT_CATALOG_PATH,
                log_level="WARNING", catchup_rate=0,  # unpaced: this measures requests and work, not the pace
            )  # fmt: skip
            storage = await Storage.open(settings.database)
            picks, members = await build(fake, storage, args, rng)
            try:
                async with bot_at_rest(fake, settings, storage, timeout=600) as bot:
                    recorded = await storage.presented_since([g.id for g in bot.guilds], 0)
                    for _ in range(args.repeat):
                        await one_round(fake, bot, storage, recorded, picks, members, rng, figures)
            finally:
                await storage.close()
    return figures


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--picks", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--chatter", type=int, default=1, help="members' messages per pick, on average")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    f = asyncio.run(measure(args))
    picks = args.picks
    base_req, same_req, one_req = median(f["base_req"]), median(f["same_req"]), median(f["one_req"])
    listings = median(f["listed"])  # one listing per changed pick (fewer than 100 members each)
    return report(
        f"Catch-up ({picks:,} picks in {args.channels} channels, ~{args.chatter} chatter message per pick),"
        f" median of {args.repeat}",
        [
            ("baseline: every reaction listed", f"{base_req:,.0f} requests, {median(f['base_s']):.2f} s"),
            ("catch-up, nothing changed", f"{same_req:,.0f} requests, {median(f['same_s']):.2f} s"),
            (
                f"catch-up, {listings:,.0f} picks (1 %) changed",
                f"{one_req:,.0f} requests, {median(f['one_s']):.2f} s",
            ),
            (
                "requests per pick: baseline / nothing changed",
                f"{base_req / picks:.2f} / {same_req / picks:.4f}",
            ),
        ],
        [
            Goal("requests per pick, nothing changed", same_req / picks, 0.05, "requests"),
            Goal(
                "1 % changed vs 2× unchanged + one listing per changed pick",
                one_req / (2 * same_req + listings),
                1,
                "×",
            ),
            Goal("picks whose stored votes differ from Discord afterwards", max(f["wrong"]), 0, "picks"),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
