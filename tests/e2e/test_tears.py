"""/tears top, me and forget end to end."""

from __future__ import annotations

from tests.e2e.conftest import completed_pick, eventually


async def pick(fake, member, channel, title):
    return await completed_pick(fake, await fake.run_command(member, channel, "cry", title=title))


async def test_top_shows_the_servers_chart_with_counts_and_bars(fake, start_bot, guild, member, other_member):
    running = await start_bot()
    channel = fake.general(guild)
    sunshine = await pick(fake, member, channel, "mr-sunshine")
    sleeve = await pick(fake, member, channel, "red-sleeve")
    ost = await completed_pick(fake, await fake.run_command(member, channel, "ost", query="windflower"))
    for m in (member, other_member):
        await fake.add_reaction(m, sunshine)
    await fake.add_reaction(member, sleeve)
    await fake.add_reaction(other_member, ost)
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 2)
    await eventually(lambda: running.storage.tally(guild.id, "windflower"), 1)
    chart = await (await fake.run_command(member, channel, "tears top")).wait_answer()
    assert not chart.ephemeral
    lines = chart.embed["description"].split("\n")
    assert lines[0] == "` 1.` 🎬 **Mr. Sunshine** — 2 😭"
    assert lines[1] == "`" + "█" * 12 + "`"
    assert "🎵 **Windflower — Lee Sun-hee** — 1 😭" in chart.embed["description"]
    assert "Tissue Box" in chart.embed["title"]


async def test_global_chart_adds_up_servers(fake, start_bot, guild, member):
    other = fake.create_guild("Other Box")
    stranger = fake.create_member(other, "stranger")
    running = await start_bot()
    here = await pick(fake, member, fake.general(guild), "hi-bye-mama")
    there = await pick(fake, stranger, fake.general(other), "hi-bye-mama")
    await fake.add_reaction(member, here)
    await fake.add_reaction(stranger, there)
    await eventually(lambda: running.storage.tally(None, "hi-bye-mama"), 2)
    chart = await (
        await fake.run_command(member, fake.general(guild), "tears top", scope="global")
    ).wait_answer()
    assert "**Hi Bye, Mama!** — 2 😭" in chart.embed["description"]
    assert "every server" in chart.embed["title"]


async def test_empty_chart_says_how_to_start_it(fake, start_bot, guild, member):
    await start_bot()
    chart = await (await fake.run_command(member, fake.general(guild), "tears top")).wait_answer()
    assert "No tears yet" in chart.embed["description"]


async def test_me_lists_my_titles_privately(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    for title in ("mr-sunshine", "red-sleeve"):
        await fake.add_reaction(member, await pick(fake, member, channel, title))
    await eventually(lambda: running.storage.count_votes_of(member.user.id, guild.id), 2)
    mine = await (await fake.run_command(member, channel, "tears me")).wait_answer()
    assert mine.ephemeral
    assert "Mr. Sunshine" in mine.embed["description"] and "The Red Sleeve" in mine.embed["description"]
    assert mine.embed["footer"]["text"].startswith("2 titles")


async def test_forget_asks_first_then_deletes_and_says_how_many(fake, start_bot, guild, member, other_member):
    running = await start_bot()
    channel = fake.general(guild)
    for title in ("mr-sunshine", "red-sleeve", "youth-of-may"):
        message = await pick(fake, member, channel, title)
        await fake.add_reaction(member, message)
        await fake.add_reaction(other_member, message)
    await eventually(lambda: running.storage.count_votes_of(member.user.id, guild.id), 3)
    ask = await (await fake.run_command(member, channel, "tears forget")).wait_answer()
    assert ask.ephemeral and "deletes your 3 cried-to votes in this server" in ask.content
    yes, no = ask.custom_ids()
    assert yes == f"tj:forget:yes:{member.user.id}:here" and no == f"tj:forget:no:{member.user.id}:here"
    # Someone else cannot answer for her.
    refusal = await (await fake.press_button(other_member, ask, yes)).wait_answer()
    assert refusal.ephemeral and "Only the member who asked" in refusal.content
    done = await (await fake.press_button(member, ask, yes)).wait_answer()
    assert done.content == "Done. I deleted 3 votes of yours in this server."
    assert done.components == []
    assert await running.storage.count_votes_of(member.user.id, None) == 0
    assert await running.storage.tally(guild.id, "mr-sunshine") == 1  # the other member's vote stays


async def test_forget_cancel_keeps_everything(fake, start_bot, guild, member):
    running = await start_bot()
    await fake.add_reaction(member, await pick(fake, member, fake.general(guild), "mr-sunshine"))
    await eventually(lambda: running.storage.count_votes_of(member.user.id, guild.id), 1)
    ask = await (
        await fake.run_command(member, fake.general(guild), "tears forget", everywhere=True)
    ).wait_answer()
    assert "in every server" in ask.content
    kept = await (await fake.press_button(member, ask, ask.custom_ids()[1])).wait_answer()
    assert kept.content == "Nothing was deleted. 💧"
    assert await running.storage.count_votes_of(member.user.id, None) == 1


async def test_forgotten_votes_do_not_come_back_on_catch_up(fake, start_bot, guild, member):
    running = await start_bot()
    message = await pick(fake, member, fake.general(guild), "mr-sunshine")
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.count_votes_of(member.user.id, guild.id), 1)
    ask = await (await fake.run_command(member, fake.general(guild), "tears forget")).wait_answer()
    await (await fake.press_button(member, ask, ask.custom_ids()[0])).wait_answer()
    await running.stop()
    running = await start_bot()  # her 😭 is still on the message
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    assert await running.storage.count_votes_of(member.user.id, None) == 0


async def test_forget_with_nothing_to_forget(fake, start_bot, guild, member):
    await start_bot()
    reply = await (await fake.run_command(member, fake.general(guild), "tears forget")).wait_answer()
    assert reply.ephemeral and "nothing to forget" in reply.content


async def test_top_by_period_and_me_with_when_each_vote_was_cast(
    fake, start_bot, guild, member, other_member
):
    running = await start_bot()
    channel = fake.general(guild)
    sunshine = await pick(fake, member, channel, "mr-sunshine")
    for m in (member, other_member):
        await fake.add_reaction(m, sunshine)
    await eventually(lambda: running.storage.tally(guild.id, "mr-sunshine"), 2)
    for period, label in (("week", "this week"), ("month", "this month"), ("year", "this year")):
        chart = await (await fake.run_command(member, channel, "tears top", period=period)).wait_answer()
        assert chart.embed["title"].endswith(f"· {label}")
        assert chart.embed["description"].split("\n")[0] == "` 1.` 🎬 **Mr. Sunshine** — 2 😭"
    every = await (
        await fake.run_command(member, channel, "tears top", scope="global", period="week")
    ).wait_answer()
    assert "Mr. Sunshine" in every.embed["description"]
    mine = await (await fake.run_command(member, channel, "tears me")).wait_answer()
    [line] = mine.embed["description"].split("\n")
    assert line.startswith("🎬 Mr. Sunshine · <t:") and line.endswith(":R>")
    when = int(line.split("<t:")[1].split(":")[0])
    vote = await running.storage.votes_with_time(guild.id, member.user.id)
    assert vote == [("mr-sunshine", when)]


async def test_a_period_without_votes_says_so(fake, start_bot, guild, member):
    await start_bot()
    chart = await (
        await fake.run_command(member, fake.general(guild), "tears top", period="week")
    ).wait_answer()
    assert "No tears in this period yet" in chart.embed["description"]
