"""'Cried to it' votes end to end: raw gateway events in, exactly-once votes out, catch-up after downtime."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import completed_pick, eventually


async def pick(fake, member, channel, **options):
    return await completed_pick(fake, await fake.run_command(member, channel, "cry", **options))


def ballot(running):
    return running.bot.ballot


async def test_reaction_add_and_remove_become_a_vote_and_withdraw_it(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="mr-sunshine")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 1)
    await fake.remove_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 0)


async def test_a_duplicated_event_counts_once(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="mr-sunshine")
    await fake.add_reaction(member, message)
    event = fake._reaction_event(member, message, "😭", False)
    event |= {"member": member.payload(), "message_author_id": str(fake.bot_user.id)}
    for _ in range(3):  # Discord replays, a resumed session re-sends
        await fake.dispatch("MESSAGE_REACTION_ADD", event, guild.id)
    await running.storage.flush()
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 1)


async def test_bots_never_vote_not_even_the_seed_reaction(fake, start_bot, guild, member):
    running = await start_bot()
    robot = fake.create_member(guild, "otherbot", bot=True)
    message = await pick(fake, member, fake.general(guild), title="mr-sunshine")
    await fake.add_reaction(robot, message)
    await fake.add_reaction(member, message, "👍")  # not a vote emoji
    await asyncio.sleep(0.1)
    await running.storage.flush()
    assert await running.storage.tally(guild.id, "mr-sunshine") == 0
    assert message.reactions["😭"].users == [fake.bot_user.id, robot.user.id]


async def test_a_super_reaction_counts_once(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="red-sleeve")
    await fake.add_reaction(member, message, burst=True)
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "red-sleeve"), 1)
    await fake.remove_reaction(member, message)
    await asyncio.sleep(0.05)
    await eventually(lambda: running.storage.tally(guild.id, "red-sleeve"), 1)  # the super one holds it


async def test_two_picks_of_one_title_are_one_vote(fake, start_bot, guild, member, other_member):
    running = await start_bot()
    channel = fake.general(guild)
    first = await pick(fake, member, channel, title="youth-of-may")
    second = await pick(fake, other_member, channel, title="youth-of-may")
    await fake.add_reaction(member, first)
    await fake.add_reaction(member, second)
    await eventually(lambda: running.storage.votes_of(guild.id, member.user.id), ["youth-of-may"])
    assert await running.storage.tally(guild.id, "youth-of-may") == 1
    await fake.remove_reaction(member, first)
    await asyncio.sleep(0.05)
    await eventually(lambda: running.storage.tally(guild.id, "youth-of-may"), 1)
    await fake.remove_reaction(member, second)
    await eventually(lambda: running.storage.tally(guild.id, "youth-of-may"), 0)


async def test_clear_all_and_clear_emoji_withdraw_votes(fake, start_bot, guild, member, other_member):
    running = await start_bot()
    channel = fake.general(guild)
    first = await pick(fake, member, channel, title="hi-bye-mama")
    second = await pick(fake, member, channel, title="gu-family-book")
    for message in (first, second):
        await fake.add_reaction(member, message)
        await fake.add_reaction(other_member, message)
    await eventually(lambda: running.storage.tally(guild.id, "gu-family-book"), 2)
    await fake.clear_reactions(first)
    await fake.clear_emoji(second, "😭")
    await eventually(lambda: running.storage.tally(guild.id, "hi-bye-mama"), 0)
    await eventually(lambda: running.storage.tally(guild.id, "gu-family-book"), 0)


async def test_deleting_the_pick_or_its_channel_withdraws_its_votes(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    side = fake.create_channel(guild, "sobbing")
    await fake.dispatch("CHANNEL_CREATE", side.payload(), guild.id)
    messages = [
        await pick(fake, member, channel, title=t) for t in ("hi-bye-mama", "red-sleeve", "mr-sunshine")
    ]
    in_side = await pick(fake, member, side, title="moon-lovers")
    for message in [*messages, in_side]:
        await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(None, "moon-lovers"), 1)
    await fake.delete_message(messages[0])
    await fake.bulk_delete(messages[1:])
    await fake.delete_channel(side)
    for title in ("hi-bye-mama", "red-sleeve", "mr-sunshine", "moon-lovers"):
        await eventually(lambda t=title: running.storage.tally(guild.id, t), 0, what=title)


async def test_reactions_on_messages_that_are_not_picks_are_ignored(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    chatter = fake._new_message(channel, {"content": "so sad", "allowed_mentions": {"parse": []}})
    chatter.author = member.user
    await fake.add_reaction(member, chatter)
    await asyncio.sleep(0.05)
    await running.storage.flush()
    assert await running.storage.sources_of(chatter.id) == set()


async def test_votes_survive_a_restart(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="red-sleeve")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "red-sleeve"), 1)
    await running.stop()
    running = await start_bot()
    assert await running.storage.tally(guild.id, "red-sleeve") == 1


async def test_votes_cast_while_the_bot_was_down_are_caught_up_exactly_once(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    message = await pick(fake, member, channel, title="hymn-of-death")
    fans = [fake.create_member(guild, f"fan{i}") for i in range(130)]  # more than one page of 100
    await fake.add_reaction(fans[0], message)
    await eventually(lambda: running.storage.tally(guild.id, "hymn-of-death"), 1)
    await running.stop()
    # While the bot is away: 129 more cry, the first one takes theirs back, one gives a super reaction.
    for fan in fans[1:]:
        await fake.add_reaction(fan, message)
    await fake.remove_reaction(fans[0], message)
    await fake.add_reaction(member, message, burst=True)
    for _ in range(2):  # a second restart must not count anything twice
        running = await start_bot()
        await fake.wait_for(lambda r=running: ballot(r).catchup_runs >= 1, what="catch-up")
        assert await running.storage.tally(guild.id, "hymn-of-death") == 130
        await running.stop()


async def test_a_failed_reaction_read_during_catch_up_changes_nothing(
    fake, start_bot, guild, member, other_member
):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="light-in-your-eyes")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "light-in-your-eyes"), 1)
    await running.stop()
    await fake.remove_reaction(member, message)
    await fake.add_reaction(other_member, message)
    await fake.add_reaction(fake.create_member(guild, "third"), message)  # the count moves: 1 -> 2
    failing = fake.inject("GET", r"/reactions/", 403, times=100)
    running = await start_bot()
    await fake.wait_for(lambda: ballot(running).catchup_runs >= 1, what="catch-up")
    assert await running.storage.votes_of(guild.id, member.user.id) == ["light-in-your-eyes"]
    assert await running.storage.tally(guild.id, "light-in-your-eyes") == 1
    # Once Discord answers again, the next catch-up (after a session that could not resume) fixes it.
    failing.times = 0
    await fake.drop_connections(resumable=False)
    await fake.wait_for(lambda: ballot(running).catchup_runs >= 2, timeout=15, what="the second catch-up")
    assert await running.storage.votes_of(guild.id, member.user.id) == []
    assert await running.storage.votes_of(guild.id, other_member.user.id) == ["light-in-your-eyes"]
    assert await running.storage.tally(guild.id, "light-in-your-eyes") == 2


async def test_a_pick_deleted_while_the_bot_was_down_loses_its_votes(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="uncontrollably-fond")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "uncontrollably-fond"), 1)
    await running.stop()
    message.deleted = True  # deleted while no gateway session saw it
    running = await start_bot()
    await fake.wait_for(lambda: ballot(running).catchup_runs >= 1, what="catch-up")
    assert await running.storage.tally(guild.id, "uncontrollably-fond") == 0


async def test_a_burst_of_thousands_of_reactions_is_fully_persisted(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="smile-has-left-your-eyes")
    crowd = [fake.create_member(guild, f"crowd{i}") for i in range(3000)]
    for fan in crowd:
        await fake.add_reaction(fan, message)
    await eventually(lambda: running.storage.tally(guild.id, "smile-has-left-your-eyes"), 3000, timeout=30)
    stats = running.storage.writer.stats
    assert stats.failed == 0
    assert stats.batches < 3000  # batched, not one commit per vote


async def test_spam_toggling_one_reaction_ends_in_the_right_state_without_edits(
    fake, start_bot, guild, member
):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="hotel-del-luna")
    edits_before = sum(m.edited for m in fake.messages.values())
    for _ in range(200):
        await fake.add_reaction(member, message)
        await fake.remove_reaction(member, message)
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "hotel-del-luna"), 1)
    assert sum(m.edited for m in fake.messages.values()) == edits_before  # no message-edit storm


async def test_the_bot_leaving_a_server_keeps_its_chart(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), title="mr-sunshine")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 1)
    await fake.remove_bot_from_guild(guild)
    await asyncio.sleep(0.05)
    assert await running.storage.tally(guild.id, "mr-sunshine") == 1


async def test_picks_show_the_tear_count(fake, start_bot, guild, member, other_member):
    running = await start_bot()
    channel = fake.general(guild)
    first = await pick(fake, member, channel, title="queen-for-seven-days")
    assert (
        first.field("Cried to it")
        == "😭 No one has cried to it here yet — will you be the first? · 0 everywhere"
    )
    await fake.add_reaction(member, first)
    await fake.add_reaction(other_member, first)
    await eventually(lambda: running.storage.tally(guild.id, "queen-for-seven-days"), 2)
    second = await pick(fake, member, channel, title="queen-for-seven-days")
    assert second.field("Cried to it") == "😭 2 people cried to it here · 2 everywhere"


async def test_a_picks_count_follows_its_votes_in_a_few_coalesced_edits(fake, start_bot, guild, member):
    running = await start_bot()
    running.bot.live.interval = 0.3  # five seconds in production
    message = await pick(fake, member, fake.general(guild), title="goblin")
    fans = [fake.create_member(guild, f"fan{i}") for i in range(12)]
    for fan in fans:
        await fake.add_reaction(fan, message)
    await fake.wait_for(
        lambda: message.field("Cried to it") == "😭 12 people cried to it here · 12 everywhere",
        what="the live count",
    )
    await fake.wait_for(lambda: running.bot.live.edits >= 1, what="the edit to be counted")
    assert running.bot.live.edits <= 3  # twelve votes, a few edits
    await fake.remove_reaction(fans[0], message)
    await fake.wait_for(
        lambda: message.field("Cried to it").startswith("😭 11 people"), what="the count going down"
    )
    assert not fake.violations


async def test_old_picks_keep_their_count_and_other_messages_are_never_edited(
    fake, start_bot, guild, member, monkeypatch
):
    running = await start_bot()
    running.bot.live.interval = 0.05
    monkeypatch.setattr("bot.live.MAX_AGE", -1)  # every pick counts as days old
    message = await pick(fake, member, fake.general(guild), title="goblin")
    chat = await fake.chat(member, fake.general(guild), "so sad")
    await fake.add_reaction(member, message)
    await fake.add_reaction(member, chat)
    await eventually(lambda: running.storage.tally(guild.id, "goblin"), 1)
    await asyncio.sleep(0.3)
    assert running.bot.live.edits == 0 and not message.edited and not chat.edited


async def test_an_operator_can_add_vote_emoji(fake, start_bot, guild, member, other_member):
    running = await start_bot(vote_emojis=("😭", "😢"))
    message = await pick(fake, member, fake.general(guild), title="true-beauty")
    await fake.add_reaction(member, message, "😢")
    await fake.add_reaction(other_member, message, "😭")
    await eventually(lambda: running.storage.tally(guild.id, "true-beauty"), 2)
