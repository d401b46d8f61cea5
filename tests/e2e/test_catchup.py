"""Catch-up after downtime costs what changed: history pages compare counts, listings only where they differ."""

from __future__ import annotations

import logging
import re

from tests.e2e.conftest import completed_pick, eventually
from tests.fakediscord import Overwrite, P


async def pick(fake, member, channel, **options):
    return await completed_pick(fake, await fake.run_command(member, channel, "cry", **options))


def reads_since(fake, start: int) -> tuple[list[str], list[str]]:
    """The history reads and the reaction listings the bot made since request number `start`."""
    paths = [path for method, path in fake.requests[start:] if method == "GET"]
    history = [p for p in paths if re.fullmatch(r"/api/v10/channels/\d+/messages", p)]
    listings = [p for p in paths if "/reactions/" in p]
    return history, listings


async def stored_sources(running, messages) -> int:
    counts = await running.storage.source_counts([m.id for m in messages])
    return sum(sum(c.values()) for c in counts.values())


async def a_voted_pick_then_downtime(fake, start_bot, guild, member):
    """A pick in #general with the member's 😭 stored, and the bot stopped: (channel, pick)."""
    running = await start_bot()
    channel = fake.general(guild)
    message = await pick(fake, member, channel)
    await fake.add_reaction(member, message)
    await eventually(lambda: stored_sources(running, [message]), 1)
    await running.stop()
    return channel, message


async def restart_and_catch_up(fake, start_bot, running, **settings):
    await running.stop()
    start = len(fake.requests)
    running = await start_bot(**settings)
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    return running, start


async def test_unchanged_picks_cost_one_history_page_and_no_listing(
    fake, start_bot, guild, member, other_member
):
    running = await start_bot()
    channel = fake.general(guild)
    picks = [await pick(fake, member, channel) for _ in range(4)]
    await fake.add_reaction(other_member, picks[0])
    await fake.add_reaction(member, picks[2], burst=True)
    await eventually(lambda: stored_sources(running, picks), 2)
    running, start = await restart_and_catch_up(fake, start_bot, running)
    history, listings = reads_since(fake, start)
    assert history == [f"/api/v10/channels/{channel.id}/messages"]
    assert listings == []
    run = running.bot.ballot.runs[0]
    assert (run.picks, run.checked, run.changed, run.requests) == (4, 4, 0, 1)


async def test_only_the_changed_reaction_of_the_changed_pick_is_listed(
    fake, start_bot, guild, member, other_member
):
    running = await start_bot()
    channel = fake.general(guild)
    first, second, _third = [await pick(fake, member, channel) for _ in range(3)]
    await fake.add_reaction(member, first)
    await eventually(lambda: stored_sources(running, [first]), 1)
    await running.stop()
    # While the bot is away, one super reaction lands on the second pick.
    await fake.add_reaction(other_member, second, burst=True)
    start = len(fake.requests)
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    _history, listings = reads_since(fake, start)
    assert listings == [f"/api/v10/channels/{channel.id}/messages/{second.id}/reactions/😭"]
    title = (await running.storage.presented(second.id)).title_id
    assert await running.storage.votes_of(guild.id, other_member.user.id) == [title]
    assert running.bot.ballot.runs[0].changed == 1


async def test_picks_far_apart_are_read_one_message_at_a_time(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    older = await pick(fake, member, channel)
    for _ in range(120):  # more than a page of chatter between the two picks
        await fake.chat(member, channel)
    newer = await pick(fake, member, channel)
    running, start = await restart_and_catch_up(fake, start_bot, running)
    history, listings = reads_since(fake, start)
    assert len(history) == 2 and listings == []
    # The first page showed how far apart the picks are, so the older one is read on its own.
    queries = [q for path, q in fake.request_queries[start:] if path in history]
    assert queries[0]["limit"] == "100" and queries[0]["before"] == str(newer.id + 1)
    assert queries[1]["limit"] == "1" and queries[1]["before"] == str(older.id + 1)


async def test_a_pick_without_votes_older_than_the_quiet_days_is_not_read(
    fake, start_bot, guild, member, other_member
):
    running = await start_bot()
    quiet_channel = fake.create_channel(guild, "quiet")
    loved = await pick(fake, member, fake.general(guild))
    await pick(fake, member, quiet_channel)
    await fake.add_reaction(other_member, loved)
    await eventually(lambda: stored_sources(running, [loved]), 1)
    running, start = await restart_and_catch_up(fake, start_bot, running, catchup_quiet_days=0)
    history, _listings = reads_since(fake, start)
    assert history == [f"/api/v10/channels/{fake.general(guild).id}/messages"]


async def test_a_live_change_during_a_page_read_is_not_overwritten(
    fake, start_bot, guild, member, other_member
):
    channel, message = await a_voted_pick_then_downtime(fake, start_bot, guild, member)
    await fake.add_reaction(other_member, message)  # while the bot is away
    held = fake.hang("GET", rf"/channels/{channel.id}/messages$", served=True)
    running = await start_bot()
    await fake.wait_for(lambda: fake.held, what="the history read")
    await fake.remove_reaction(member, message)  # live, while the page is on its way
    title = (await running.storage.presented(message.id)).title_id
    await eventually(lambda: running.storage.votes_of(guild.id, member.user.id), [])
    held.set()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    assert await running.storage.votes_of(guild.id, member.user.id) == []
    assert await running.storage.votes_of(guild.id, other_member.user.id) == [title]


async def test_catch_up_reports_what_it_checked_and_cost(fake, start_bot, guild, member, caplog):
    running = await start_bot()
    await pick(fake, member, fake.general(guild))
    with caplog.at_level(logging.INFO, logger="bot.ballot"):
        running, _start = await restart_and_catch_up(fake, start_bot, running)
    [line] = [r.getMessage() for r in caplog.records if "catch-up for shard 0 done" in r.getMessage()]
    assert "1/1 picks and polls checked, 0 changed (0 vote sources), 1 request to Discord" in line


async def test_a_channel_the_bot_may_no_longer_read_keeps_its_votes_and_is_reported(
    fake, start_bot, guild, member, caplog
):
    channel, message = await a_voted_pick_then_downtime(fake, start_bot, guild, member)
    bot_role = next(r for r in guild.roles.values() if r.name == "Tearjerker")
    channel.overwrites.append(Overwrite(bot_role.id, 0, deny=P.READ_MESSAGE_HISTORY))
    with caplog.at_level(logging.INFO, logger="bot.ballot"):
        running = await start_bot()
        await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    assert await stored_sources(running, [message]) == 1
    assert running.bot.ballot.runs[0].unread == 1
    done = [r.getMessage() for r in caplog.records if "done after" in r.getMessage()]
    assert done and done[0].endswith("; 1 could not be read")
    assert any(f"could not read channel {channel.id}" in r.getMessage() for r in caplog.records)
