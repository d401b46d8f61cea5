"""Two bot processes on disjoint shard ranges against one fake Discord."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.db import Storage
from tests.fakediscord import FakeDiscord, running_fake
from tests.fakediscord.model import snowflake


def guild_on_shard(fake: FakeDiscord, shard: int, name: str):
    while True:
        gid = snowflake()
        if (gid >> 22) % 2 == shard:
            return fake.create_guild(name, guild_id=gid)


async def due_everywhere(db: Path, guilds) -> None:
    """Each process gets its own database holding every server's schedule, all due now: if a process
    ignored its shard range, some server would get two polls."""
    storage = await Storage.open(db)
    now = int(time.time())
    for guild in guilds:
        await storage.save_schedule(
            guild_id=guild.id, channel_id=next(iter(guild.channels)), weekday=4, local_time="21:00",
            timezone="Asia/Seoul", size=3, locale=None, next_due=now - 60, now=now,
        )  # fmt: skip
    await storage.close()


async def test_each_process_posts_only_its_own_shards_polls(tmp_path):
    async with running_fake(shard_count=2) as fake:
        guilds = [guild_on_shard(fake, shard, f"Shard{shard} Box{i}") for shard in (0, 1) for i in range(2)]
        processes = []
        for shard in (0, 1):
            db = tmp_path / f"shard{shard}.db"
            await due_everywhere(db, guilds)
            env = {
                **os.environ,
                "DISCORD_TOKEN": fake.token,
                "DATABASE_URL": f"sqlite:///{db}",
                "SHARD_COUNT": "2",
                "SHARD_IDS": str(shard),
                "LOG_LEVEL": "INFO",
            }
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.fakediscord.launch",
                    fake.api_base,
                    fake.gateway_url,
                    "run",
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                )
            )
        try:
            await fake.wait_connected(shards=2, timeout=30)
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]

            def polls_per_guild() -> dict[int, int]:
                return {g.id: sum(1 for m in fake.messages_in(fake.general(g)) if m.poll) for g in guilds}

            await fake.wait_for(
                lambda: all(polls_per_guild().values()), timeout=30, what="every server's poll"
            )
            await asyncio.sleep(1.0)  # room for a wrong second post to show up
            assert set(polls_per_guild().values()) == {1}
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            outputs = [(await asyncio.wait_for(p.communicate(), 20))[0].decode() for p in processes]
        for process, output in zip(processes, outputs, strict=True):
            assert process.returncode == 0, output  # a clean stop on SIGTERM
            assert fake.token not in output
        # Each process touched only its own servers' schedules: the other shard's are exactly as set up.
        for shard in (0, 1):
            storage = await Storage.open(tmp_path / f"shard{shard}.db")
            try:
                for guild in guilds:
                    schedule = await storage.schedule(guild.id)
                    mine = (guild.id >> 22) % 2 == shard
                    assert (schedule.last_posted_at is not None) == mine, (shard, guild.name)
                    assert schedule.failures == 0 and schedule.last_error is None, (shard, guild.name)
            finally:
                await storage.close()
