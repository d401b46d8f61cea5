"""/ost end to end."""

from __future__ import annotations

from urllib.parse import quote_plus

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG_PATH
from tests.e2e.conftest import completed_pick

CATALOG = load_catalog(DEFAULT_CATALOG_PATH)


async def test_ost_without_query_is_a_random_pick_with_listen_links(fake, start_bot, guild, member):
    running = await start_bot()
    message = await (await fake.run_command(member, fake.general(guild), "ost")).wait_answer()
    await fake.wait_for(lambda: "😭" in message.reactions, what="the seed reaction")
    stored = await running.storage.presented(message.id)
    assert stored is not None and stored.kind == "ost"
    # Song titles repeat across dramas ("I Miss You", "Starlight"), so the pick is found by its id.
    ost = next(o for o in CATALOG.osts if o.id == stored.title_id)
    assert message.embed["title"].removeprefix("🎵 ").split(" · ")[0] == ost.song
    assert message.field("The scene (spoiler)") == f"||{ost.scene}||"
    listen = message.field("Listen")
    assert "https://www.youtube.com/results?search_query=" in listen and "open.spotify.com/search/" in listen


async def test_ost_query_finds_by_article_romanisation(fake, start_bot, guild, member):
    await start_bot()
    message = await (
        await fake.run_command(member, fake.general(guild), "ost", query="Lee Seun hee")
    ).wait_answer()
    assert message.embed["title"] == "🎵 Windflower · 바람꽃"
    assert message.field("Artist") == "Lee Sun-hee · 이선희"
    assert "The Legend of the Blue Sea" in message.field("Drama")
    assert quote_plus("바람꽃") in message.field("Listen")


async def test_ost_autocomplete_handles_typos_and_hangul(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    typo = await fake.autocomplete(member, channel, "ost", "query", "hotel del lnua")
    assert typo[0] == {
        "name": "Can You See My Heart — Heize (Hotel Del Luna)",
        "value": "can-you-see-my-heart",
    }
    hangul = await fake.autocomplete(member, channel, "ost", "query", "사랑이 아")
    assert hangul[0]["value"] == "my-love-is-hurt"
    assert len(await fake.autocomplete(member, channel, "ost", "query", "")) == min(25, len(CATALOG.osts))


async def test_ost_autocomplete_value_picks_exactly_that_song(fake, start_bot, guild, member):
    await start_bot()
    message = await (
        await fake.run_command(member, fake.general(guild), "ost", query="starlight")
    ).wait_answer()
    assert message.embed["title"] == "🎵 Starlight · 그리움"


async def test_ost_unknown_query_suggests_the_closest_songs(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    message = await (
        await fake.run_command(member, channel, "ost", query="Stay With Me Tonight")
    ).wait_answer()
    assert message.ephemeral and "couldn't find anything called “Stay With Me Tonight”" in message.content
    assert "Closest in the catalog: **Stay With Me — Chanyeol & Punch**" in message.content
    message = await (await fake.run_command(member, channel, "ost", query="Dynamite")).wait_answer()
    assert message.ephemeral and message.content == "I couldn't find anything called “Dynamite”."
    assert fake.messages_in(channel) == []


async def test_ost_another_one_gives_a_different_song(fake, start_bot, guild, member):
    await start_bot()
    channel = fake.general(guild)
    first = await completed_pick(fake, await fake.run_command(member, channel, "ost"))
    second = await (await fake.press_button(member, first, first.custom_ids()[0])).wait_answer()
    assert second.embed["title"] != first.embed["title"]


async def test_an_artist_named_with_parentheses_is_shown_without_doubling_them(
    fake, start_bot, guild, member
):
    await start_bot()
    message = await (
        await fake.run_command(member, fake.general(guild), "ost", query="my-love-is-hurt")
    ).wait_answer()
    assert message.field("Artist") == "Lee Sang-gon (Noel) · 이상곤"
    assert ") (" not in message.field("Artist")
