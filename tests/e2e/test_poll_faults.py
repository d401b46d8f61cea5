"""The weekly poll under faults: a failed post then /poll now, a crash in a busy channel, a hung request."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.schedule import from_ts, next_occurrence, parse_local_time, to_ts, zone
from tests.e2e.conftest import eventually
from tests.e2e.test_polls import make_due, polls, polls_in, ready, schedule_of, set_up
from tests.fakediscord import P


def weekly_slot_after(schedule, ts: int) -> int:
    at, tz = parse_local_time(schedule.local_time), zone(schedule.timezone)
    return to_ts(next_occurrence(from_ts(ts), schedule.weekday, at, tz))


@pytest.fixture
def admin(fake, guild):
    return fake.create_member(guild, "admin", roles=[fake.create_role(guild, "Mods", P.MANAGE_GUILD)])


@pytest.mark.parametrize("status", [403, 404, 429, 503])
async def test_poll_now_after_a_failed_scheduled_post_posts_this_weeks_poll_once(
    fake, start_bot, guild, admin, status
):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    fake.inject(
        "POST", rf"/channels/{fake.general(guild).id}/messages$", status, times=5 if status == 429 else 1,
        retry_after=0.01,
    )  # fmt: skip
    await polls(running).tick(now)
    failed = await schedule_of(running, guild)
    assert failed.failures == 1 and polls_in(fake, fake.general(guild)) == []
    reply = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    assert "Posted" in reply.content
    schedule = await schedule_of(running, guild)
    assert (
        schedule.next_due == weekly_slot_after(schedule, int(time.time()))
        and schedule.failures == 0
        and schedule.last_error is None
    )
    # The failed week's retry time passes: no second poll, and the manual one is not ended early.
    for minute in (5, 10, 30, 60):
        await polls(running).tick(now + minute * 60)
    [post] = polls_in(fake, fake.general(guild))
    assert post.poll["results"]["is_finalized"] is False


async def test_a_scheduled_post_moves_the_schedule_to_the_next_weekly_slot(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    fake.inject("POST", rf"/channels/{fake.general(guild).id}/messages$", 503)
    await polls(running).tick(now)
    retry = (await schedule_of(running, guild)).next_due
    await polls(running).tick(retry)
    schedule = await schedule_of(running, guild)
    assert schedule.next_due == weekly_slot_after(schedule, retry)


async def test_recovery_finds_its_poll_after_members_chatted_before_and_after_it(
    fake, start_bot, guild, admin, member, monkeypatch
):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    channel = fake.general(guild)
    now = int(time.time())
    await make_due(running, guild, now - 3600)  # due an hour ago: the bot was down
    for i in range(40):
        await fake.chat(member, channel, f"before {i}")

    async def database_down(**kwargs):
        raise RuntimeError("the process died between Discord's answer and the record")

    monkeypatch.setattr(running.storage, "record_poll", database_down)
    await polls(running).tick(now)
    monkeypatch.undo()
    assert len(polls_in(fake, channel)) == 1
    for i in range(130):  # more than a page of chat after the poll
        await fake.chat(member, channel, f"after {i}")
    await running.stop()
    running = await ready(fake, start_bot)  # recovery runs on the first tick
    await polls(running).tick(now + 120)
    await polls(running).tick(now + 180)
    assert len(polls_in(fake, channel)) == 1
    latest = await running.storage.latest_poll(guild.id)
    assert latest is not None and latest.message_id == polls_in(fake, channel)[0].id
    schedule = await schedule_of(running, guild)
    assert schedule.posting_slot is None and schedule.next_due > now


async def test_a_hung_post_never_delays_another_servers_poll_and_is_posted_once(
    fake, start_bot, guild, admin
):
    other = fake.create_guild("Other Box")
    other_admin = fake.create_member(other, "boss", roles=[fake.create_role(other, "Boss", P.MANAGE_GUILD)])
    running = await ready(fake, start_bot)
    cog = polls(running)
    cog.tick_wait, cog.post_deadline = 0.5, 3.0
    await set_up(fake, admin, guild)
    await set_up(fake, other_admin, other)
    now = int(time.time())
    await make_due(running, guild, now)
    fake.hang("POST", rf"/channels/{fake.general(guild).id}/messages$", served=True)
    await asyncio.wait_for(cog.tick(now), 5)  # the stuck server does not hold the tick
    assert fake.held and guild.id in cog._jobs  # still waiting for Discord's answer
    await make_due(running, other, now + 60)
    await asyncio.wait_for(cog.tick(now + 60), 5)  # the next minute: the other server's poll goes out
    assert len(polls_in(fake, fake.general(other))) == 1
    # Never two at once for the stuck server: not from a tick, not from /poll now.
    await asyncio.wait_for(cog.tick(now + 61), 5)
    busy = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    assert "being posted right now" in busy.content
    await fake.wait_for(lambda: guild.id not in cog._jobs, timeout=10, what="the post's deadline")
    schedule = await schedule_of(running, guild)
    assert schedule.posting_slot is not None and "poll.fail_timeout" in schedule.last_error
    assert len(polls_in(fake, fake.general(guild))) == 1  # Discord had taken it; only the answer was lost
    await cog.tick(now + 120)  # recovery finds and records it
    await cog.tick(now + 180)
    assert len(polls_in(fake, fake.general(guild))) == 1
    latest = await running.storage.latest_poll(guild.id)
    assert latest is not None and latest.message_id == polls_in(fake, fake.general(guild))[0].id


async def test_a_post_that_timed_out_without_reaching_discord_is_posted_on_a_later_tick(
    fake, start_bot, guild, admin
):
    running = await ready(fake, start_bot)
    cog = polls(running)
    cog.tick_wait, cog.post_deadline = 0.5, 1.0
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    fake.hang("POST", rf"/channels/{fake.general(guild).id}/messages$")  # never reaches Discord
    await cog.tick(now)
    await fake.wait_for(lambda: guild.id not in cog._jobs, timeout=10, what="the post's deadline")
    await cog.tick(now + 60)  # recovery: not in the channel, so the claim is released
    await cog.tick(now + 120)
    await fake.wait_for(lambda: not cog._jobs, timeout=10, what="the retried post")
    assert len(polls_in(fake, fake.general(guild))) == 1


async def voted_poll(fake, start_bot, guild, admin, member):
    """A posted poll with two votes for its first answer; returns the running bot, post and title."""
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    [post] = polls_in(fake, fake.general(guild))
    title = dict(await running.storage.poll_answers(post.id))[1]
    await fake.poll_vote(member, post, 1)
    await fake.poll_vote(admin, post, 1)
    await eventually(lambda: running.storage.tally(guild.id, title), 2)
    return running, post, title


async def test_a_poll_deleted_while_the_bot_was_offline_loses_its_votes(
    fake, start_bot, guild, admin, member
):
    running, post, title = await voted_poll(fake, start_bot, guild, admin, member)
    await running.stop()
    await fake.delete_message(post)  # nobody hears it: the bot is offline
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    await eventually(lambda: running.storage.tally(guild.id, title), 0)
    assert await running.storage.tally(None, title) == 0


async def test_a_poll_whose_channel_was_deleted_while_offline_loses_its_votes(
    fake, start_bot, guild, admin, member
):
    running, _post, title = await voted_poll(fake, start_bot, guild, admin, member)
    await running.stop()
    await fake.delete_channel(fake.general(guild))
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    await eventually(lambda: running.storage.tally(guild.id, title), 0)


async def test_a_poll_channel_deleted_while_online_takes_the_polls_votes(
    fake, start_bot, guild, admin, member
):
    running, _post, title = await voted_poll(fake, start_bot, guild, admin, member)
    await fake.delete_channel(fake.general(guild))
    await eventually(lambda: running.storage.tally(guild.id, title), 0)


async def test_other_errors_reading_poll_voters_change_nothing(fake, start_bot, guild, admin, member):
    running, post, title = await voted_poll(fake, start_bot, guild, admin, member)
    await running.stop()
    await fake.poll_vote(member, post, 1, add=False)  # a real change the failed read must not apply either
    fake.inject("GET", rf"/polls/{post.id}/answers/", 403, times=20)
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    await running.storage.flush()
    assert await running.storage.tally(guild.id, title) == 2
