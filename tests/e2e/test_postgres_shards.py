"""Three bot processes on disjoint shards of one PostgreSQL, against one fake Discord: one chart for
every shard, a process killed mid-burst and restarted with no vote lost or doubled, one poll a server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from bot.config import ENV_FILE_VARIABLE, PROJECT_ROOT
from bot.db import Storage
from tests.e2e.conftest import completed_pick
from tests.fakediscord import running_fake
from tests.fakediscord.model import snowflake

SHARDS = 3


def guild_on_shard(fake, shard: int, name: str):
    while True:
        gid = snowflake()
        if (gid >> 22) % SHARDS == shard:
            return fake.create_guild(name, guild_id=gid)


async def launch(fake, dsn: str, shard: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ, "DISCORD_TOKEN": fake.token, "DATABASE_URL": dsn, "SHARD_COUNT": str(SHARDS),
        "SHARD_IDS": str(shard), "LOG_LEVEL": "INFO", ENV_FILE_VARIABLE: "none",
    }  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakediscord.launch", fake.api_base, fake.gateway_url, "run",
        cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def test_three_shard_processes_share_one_postgresql(postgres_dsn):
    store = await Storage.open(postgres_dsn)  # migrated once here; the processes find it current
    async with running_fake(shard_count=SHARDS) as fake:
        guilds = [guild_on_shard(fake, shard, f"Shard{shard}") for shard in range(SHARDS)]
        now = int(time.time())
        for guild in guilds:
            await store.save_schedule(
                guild_id=guild.id, channel_id=fake.general(guild).id, weekday=4, local_time="21:00",
                timezone="Asia/Seoul", size=3, locale=None, next_due=now - 60, now=now,
            )  # fmt: skip
        processes = [await launch(fake, postgres_dsn, shard) for shard in range(SHARDS)]
        try:
            await fake.wait_connected(shards=SHARDS, timeout=60)

            # Every server gets its weekly poll, exactly one, from the process that owns its shard.
            def polls() -> list[int]:
                return [sum(1 for m in fake.messages_in(fake.general(g)) if m.poll) for g in guilds]

            await fake.wait_for(lambda: all(polls()), timeout=60, what="every server's weekly poll")
            # A pick in every server, all of the same drama, so one global chart counts every shard.
            members = {g.id: [fake.create_member(g, f"m{i}") for i in range(30)] for g in guilds}
            picks = []
            for guild in guilds:
                record = await fake.run_command(
                    members[guild.id][0], fake.general(guild), "cry", title="goblin"
                )
                picks.append(await completed_pick(fake, record))
            # A burst of votes; the process of shard 1 is killed in the middle of it, then restarted.
            for i in range(15):
                for guild, pick in zip(guilds, picks, strict=True):
                    await fake.add_reaction(members[guild.id][i], pick)
            processes[1].send_signal(signal.SIGKILL)
            await processes[1].wait()
            for i in range(15, 30):
                for guild, pick in zip(guilds, picks, strict=True):
                    await fake.add_reaction(members[guild.id][i], pick)
            processes[1] = await launch(fake, postgres_dsn, 1)
            expected = SHARDS * 30  # every member of every server, once

            async def settled() -> bool:
                return await store.tally(None, "goblin") == expected and all(
                    [await store.tally(g.id, "goblin") == 30 for g in guilds]
                )

            deadline = time.monotonic() + 60
            while not await settled():
                assert time.monotonic() < deadline, (await store.tally(None, "goblin"), expected)
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # room for a doubled vote or a second poll to show up
            assert await store.tally(None, "goblin") == expected
            assert polls() == [1] * SHARDS
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            outputs = [(await asyncio.wait_for(p.communicate(), 30))[0].decode() for p in processes]
            await store.close()
        for output in outputs:
            assert fake.token not in output and "Traceback" not in output, output


async def test_cry_keeps_answering_while_postgresql_is_down_and_the_pick_is_recorded_after(
    fake, postgres_server, postgres_dsn, start_bot_on
):
    running = await start_bot_on(postgres_dsn)
    guild = fake.create_guild("Outage Box")
    await fake.announce_guild(guild)
    member = fake.create_member(guild, "mina")
    postgres_server.stop("fast")
    try:
        record = await fake.run_command(member, fake.general(guild), "cry")
        pick = await record.wait_answer()
        assert pick.embeds and not pick.ephemeral  # a pick, without tear counts meanwhile
        assert "Cried to it" not in [f["name"] for f in pick.embed.get("fields", [])]
    finally:
        postgres_server.restart()
    deadline = time.monotonic() + 30
    while await running.storage.presented(pick.id) is None:  # written once the server is back
        assert time.monotonic() < deadline, "the pick was never recorded"
        await asyncio.sleep(0.2)
