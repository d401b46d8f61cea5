"""/cry end to end: the real client, the fake Discord, the project's own bot."""

from __future__ import annotations

import logging
from datetime import timedelta

import discord

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG_PATH
from tests.e2e.conftest import completed_pick, eventually
from tests.fakediscord import P

CATALOG = load_catalog(DEFAULT_CATALOG_PATH)
TITLES = {f"{d.title} · {d.hangul}": d for d in CATALOG.dramas}


def drama_of(message):
    return TITLES[message.embed["title"]]


async def test_cry_posts_a_full_pick_with_a_seed_reaction(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    record = await fake.run_command(member, channel, "cry")
    message = await record.wait_answer()
    assert not message.ephemeral
    drama = drama_of(message)
    embed = message.embed
    assert embed["description"] == drama.pitch
    assert message.field("Aired") == f"{drama.year} · {drama.network}"
    assert drama.cast[0].actor in message.field("Cast") and drama.cast[0].role in message.field("Cast")
    assert message.field("Tear rating").startswith("😭" * drama.tears)
    assert message.field("Spoiler (tap to reveal)") == f"||{drama.spoiler}||"
    assert CATALOG.moods[drama.moods[0]].label in message.field("Moods")
    assert "Picked for Mina" in embed["footer"]["text"]
    # The bot seeds its own 😭 so members can vote with one click.
    await fake.wait_for(lambda: "😭" in message.reactions, what="the seed reaction")
    assert message.reactions["😭"].users == [fake.bot_user.id]
    # The message is recorded as presenting this title, for votes later.
    stored = await running.storage.presented(message.id)
    assert stored is not None and stored.title_id == drama.id and stored.requested_by == member.user.id


async def test_cry_shows_the_soundtrack_when_the_catalog_has_one(fake, start_bot, guild, member):
    await start_bot()
    message = await (
        await fake.run_command(member, fake.general(guild), "cry", title="hotel-del-luna")
    ).wait_answer()
    assert "Can You See My Heart — Heize" in message.field("Soundtrack")


async def test_cry_filters_by_mood_era_and_tears(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    for _ in range(4):
        record = await fake.run_command(
            member, channel, "cry", mood="star-crossed", era="historical", tears=5
        )
        drama = drama_of(await record.wait_answer())
        assert "star-crossed" in drama.moods and drama.era == "historical" and drama.tears == 5


async def test_cry_with_impossible_filters_explains_ephemerally(fake, start_bot, guild, member):
    await start_bot()
    mood, era = next(
        (m, e)
        for m in CATALOG.moods
        for e in ("historical", "modern")
        if not CATALOG.filter_dramas(mood=m, era=e)
    )
    record = await fake.run_command(member, fake.general(guild), "cry", mood=mood, era=era)
    message = await record.wait_answer()
    assert message.ephemeral
    assert message.content == (
        f"No drama in the catalog matches mood “{CATALOG.moods[mood].label}”, era “{era.capitalize()}”. "
        "Try fewer filters."
    )


async def test_cry_does_not_repeat_recent_picks(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    seen = []
    for _ in range(6):
        seen.append(drama_of(await completed_pick(fake, await fake.run_command(member, channel, "cry"))).id)
    assert len(set(seen)) == len(seen), seen


async def test_every_drama_that_fits_comes_once_before_any_repeats_across_a_restart(
    fake, start_bot, guild, member
):
    fits = {d.id for d in CATALOG.filter_dramas(era="historical", min_tears=4)}
    assert len(fits) >= 6
    running = await start_bot()
    channel = fake.general(guild)

    async def pick():
        record = await fake.run_command(member, channel, "cry", era="historical", tears=4)
        return await completed_pick(fake, record)

    seen = [drama_of(await pick()).id for _ in range(len(fits) // 2)]
    await running.stop()
    running = await start_bot()  # the rotation is kept in the database
    messages = [await pick() for _ in range(len(fits) - len(seen))]
    seen += [drama_of(m).id for m in messages]
    assert sorted(seen) == sorted(fits)  # each once
    # The member cries to the last one; a new round starts with the one shown longest ago, and the
    # one they cried to comes last.
    await fake.add_reaction(member, messages[-1])
    await eventually(lambda: running.storage.tally(guild.id, seen[-1]), 1)
    running.bot.history._held.clear()  # as after the cache's refresh interval
    again = [drama_of(await pick()).id for _ in range(len(fits))]
    assert again[0] == seen[0] and again[-1] == seen[-1]
    assert sorted(again) == sorted(fits)


async def test_cry_by_title_accepts_free_text_and_hangul(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    message = await (await fake.run_command(member, channel, "cry", title="눈이 부시게")).wait_answer()
    assert drama_of(message).id == "light-in-your-eyes"
    message = await (await fake.run_command(member, channel, "cry", title="mr sunshne")).wait_answer()
    assert drama_of(message).id == "mr-sunshine"


async def test_unknown_title_answers_ephemerally_with_the_closest(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    message = await (await fake.run_command(member, channel, "cry", title="Hotel King")).wait_answer()
    assert message.ephemeral
    assert "couldn't find anything called “Hotel King”" in message.content
    assert "Closest in the catalog: **Hotel Del Luna**" in message.content
    message = await (await fake.run_command(member, channel, "cry", title="zzqx wwvv")).wait_answer()
    assert message.content == "I couldn't find anything called “zzqx wwvv”."  # nothing is close: none named
    assert fake.messages_in(channel) == []  # nothing public was posted


async def test_title_autocomplete_tolerates_typos_and_hangul(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    choices = await fake.autocomplete(member, channel, "cry", "title", "hymn of deth")
    assert choices[0]["value"] == "hymn-of-death"
    choices = await fake.autocomplete(member, channel, "cry", "title", "오월의")
    assert choices[0] == {"name": "Youth of May · 오월의 청춘 (2021)", "value": "youth-of-may"}
    everything = await fake.autocomplete(member, channel, "cry", "title", "")
    assert len(everything) == min(25, len(CATALOG.dramas))


async def test_another_one_rerolls_for_the_asker_with_the_same_filters(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    first = await completed_pick(fake, await fake.run_command(member, channel, "cry", era="modern"))
    custom_id, heal = first.custom_ids()
    assert custom_id == f"tj:again:cry:{member.user.id}::modern:" and heal == f"tj:heal:{member.user.id}"
    second = await (await fake.press_button(member, first, custom_id)).wait_answer()
    assert second.id != first.id and not second.ephemeral
    assert drama_of(second).era == "modern" and drama_of(second).id != drama_of(first).id
    await fake.wait_for(lambda: "😭" in second.reactions, what="the seed reaction on the re-roll")


async def test_another_one_politely_refuses_someone_else(fake, start_bot, guild, member, other_member):
    await start_bot()
    channel = fake.general(guild)
    first = await (await fake.run_command(member, channel, "cry")).wait_answer()
    reply = await (await fake.press_button(other_member, first, first.custom_ids()[0])).wait_answer()
    assert reply.ephemeral
    assert "made for someone else" in reply.content and "/cry" in reply.content
    assert len(fake.messages_in(channel)) == 1


async def test_something_to_heal_answers_with_a_healing_drama_for_the_asker_only(
    fake, start_bot, guild, member, other_member
):
    await start_bot()
    channel = fake.general(guild)
    first = await completed_pick(fake, await fake.run_command(member, channel, "cry", mood="grief"))
    heal = f"tj:heal:{member.user.id}"
    labels = [c["label"] for row in first.components for c in row["components"]]
    assert labels == ["Another one", "Something to heal"]
    refused = await (await fake.press_button(other_member, first, heal)).wait_answer()
    assert refused.ephemeral and "made for someone else" in refused.content
    comfort = await completed_pick(fake, await fake.press_button(member, first, heal))
    assert not comfort.ephemeral and "healing" in drama_of(comfort).moods
    assert comfort.custom_ids()[0] == f"tj:again:cry:{member.user.id}:healing::"  # more comfort, same rules


async def test_another_one_waits_a_few_seconds_between_presses(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    first = await completed_pick(fake, await fake.run_command(member, channel, "cry"))
    await completed_pick(fake, await fake.press_button(member, first, first.custom_ids()[0]))
    again = await (await fake.press_button(member, first, first.custom_ids()[0])).wait_answer()
    assert again.ephemeral and "Easy there — try again in" in again.content
    assert len(fake.messages_in(channel)) == 2  # the pick and one re-roll, not a third


async def test_an_old_picks_button_answers_that_it_has_expired(fake, start_bot, guild, member, monkeypatch):
    await start_bot()
    channel = fake.general(guild)
    first = await completed_pick(fake, await fake.run_command(member, channel, "cry"))
    later = discord.utils.utcnow() + timedelta(hours=7)
    monkeypatch.setattr("bot.views.utcnow", lambda: later)  # the bot's clock, seven hours on
    reply = await (await fake.press_button(member, first, first.custom_ids()[0])).wait_answer()
    assert reply.ephemeral and "its button has retired" in reply.content and "/cry" in reply.content
    assert len(fake.messages_in(channel)) == 1


async def test_another_one_still_works_after_a_restart(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    first = await (await fake.run_command(member, channel, "cry")).wait_answer()
    await running.stop()  # a graceful stop lets the pick finish recording
    running = await start_bot()
    second = await completed_pick(fake, await fake.press_button(member, first, first.custom_ids()[0]))
    assert drama_of(second).id != drama_of(first).id
    # What the first run recorded survived the restart.
    assert (await running.storage.presented(first.id)) is not None
    assert (await running.storage.presented(second.id)) is not None


async def test_pick_still_posts_when_the_bot_cannot_react(fake, start_bot, member, caplog):
    guild = fake.create_guild(
        "No Reactions", bot_permissions=P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS
    )
    mina = fake.create_member(guild, "mina2")
    await start_bot()
    with caplog.at_level(logging.WARNING, logger="bot.presenting"):
        message = await (await fake.run_command(mina, fake.general(guild), "cry")).wait_answer()
        await fake.wait_for(lambda: "could not add" in caplog.text, what="the warning about the reaction")
    assert message.embeds and "😭" not in message.reactions


async def test_a_rate_limited_reaction_is_retried(fake, start_bot, guild, member):
    await start_bot()
    injection = fake.inject("PUT", r"/reactions/", 429, retry_after=0.05)
    message = await (await fake.run_command(member, fake.general(guild), "cry")).wait_answer()
    await fake.wait_for(lambda: "😭" in message.reactions, what="the retried reaction")
    assert injection.times == 0  # the 429 was really served
