"""Suggestions end to end: members fill in Discord forms, admins review them with buttons, and approved
entries join that server's catalog only."""

from __future__ import annotations

import json
import tomllib

import pytest

from bot.suggestions import title_id
from tests.e2e.conftest import completed_pick, eventually
from tests.fakediscord import P

HEAVEN = {
    "title": "Paper Lantrens",
    "hangul": "종이 등불",
    "aired": "2023, JTBC",
    "pitch": "A son, a father, a box.",
}


@pytest.fixture
def admin(fake, guild):
    return fake.create_member(guild, "admin", roles=[fake.create_role(guild, "Mods", P.MANAGE_GUILD)])


async def suggest(fake, member, kind, values, channel=None):
    """/suggest KIND, the form filled in and sent; returns the bot's answer to the form."""
    opened = await fake.run_command(
        member, channel or fake.general(member_guild(fake, member)), f"suggest {kind}"
    )
    assert opened.modal is not None, opened.refusals
    sent = await fake.submit_modal(opened, values)
    return await sent.wait_answer()


def member_guild(fake, member):
    return fake.guilds[member.guild_id]


WISH = {"song": "Wish", "artist": "Someone Kind", "drama": "Paper Lantrens", "scene": "The last box."}


async def approved(fake, running, member, admin, kind, values):
    """A member's suggestion, approved through the core service (the review buttons have their own tests)."""
    guild = member_guild(fake, member)
    await suggest(fake, member, kind, values)
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    await running.bot.suggestion_box.approve(guild.id, suggestion.id, admin.user.id)
    return suggestion


async def review_page(fake, admin):
    record = await fake.run_command(admin, fake.general(member_guild(fake, admin)), "suggestions review")
    return await record.wait_answer()


async def test_a_member_suggests_an_admin_edits_and_approves_and_only_that_server_sees_it(
    fake, start_bot, guild, member, admin
):
    elsewhere = fake.create_guild("Other Box")
    stranger = fake.create_member(elsewhere, "sora")
    running = await start_bot()
    answer = await suggest(fake, member, "drama", HEAVEN)
    assert answer.ephemeral and "Paper Lantrens" in answer.content and "waiting" in answer.content
    mine = await (await fake.run_command(member, fake.general(guild), "suggestions mine")).wait_answer()
    assert (
        mine.ephemeral
        and "Paper Lantrens" in mine.embed["description"]
        and "waiting for review" in mine.embed["description"]
    )

    page = await review_page(fake, admin)
    assert page.ephemeral and page.embed["title"] == "🎬 Drama suggestion 1 of 1"
    assert page.field("Suggested by") == "Mina"
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    # Edit: the same form, filled in; the admin fixes the typo.
    pressed = await fake.press_button(admin, page, f"sugg:edit:{suggestion.id}")
    filled = {c["component"]["custom_id"]: c["component"].get("value") for c in pressed.modal["components"]}
    assert filled["title"] == "Paper Lantrens" and filled["aired"] == "2023, JTBC"
    await fake.submit_modal(pressed, {"title": "Paper Lanterns"})
    assert "Saved your changes" in page.content and page.embed["title"] == "🎬 Drama suggestion 1 of 1"
    await fake.press_button(admin, page, f"sugg:approve:{suggestion.id}")
    assert (
        "Approved “Paper Lanterns · 종이 등불”" in page.content
        and "No suggestions are waiting" in page.content
    )

    pick = await completed_pick(
        fake, await fake.run_command(member, fake.general(guild), "cry", title="paper lanterns")
    )
    assert pick.embed["title"] == "Paper Lanterns · 종이 등불"
    assert pick.field("Aired") == "2023 · JTBC" and pick.field("Suggested by") == "Mina"
    voter = fake.create_member(guild, "joon")
    await fake.add_reaction(voter, pick)
    await eventually(lambda: running.storage.tally(guild.id, title_id(suggestion.id)), 1, what="the vote")
    top = await (await fake.run_command(member, fake.general(guild), "tears top")).wait_answer()
    assert "Paper Lanterns" in top.embed["description"]
    mine = await (await fake.run_command(member, fake.general(guild), "suggestions mine")).wait_answer()
    assert "approved ✅" in mine.embed["description"]

    refused = await (
        await fake.run_command(stranger, fake.general(elsewhere), "cry", title="paper lanterns")
    ).wait_answer()
    assert refused.ephemeral and "couldn't find anything" in refused.content
    choices = await fake.autocomplete(stranger, fake.general(elsewhere), "cry", "title", "paper lan")
    assert not any("Lanterns" in c["name"] for c in choices)
    choices = await fake.autocomplete(member, fake.general(guild), "cry", "title", "paper lan")
    assert any("Paper Lanterns" in c["name"] for c in choices)
    global_top = await (
        await fake.run_command(member, fake.general(guild), "tears top", scope="global")
    ).wait_answer()
    assert "Paper Lanterns" not in (global_top.embed.get("description") or "")


async def test_duplicates_are_refused_naming_the_entry(fake, start_bot, guild, member):
    await start_bot()
    answer = await suggest(fake, member, "drama", {**HEAVEN, "title": "goblin", "hangul": ""})
    assert "“Guardian: The Lonely and Great God” is already in the catalog" in answer.content
    await suggest(fake, member, "drama", HEAVEN)
    again = await suggest(
        fake, fake.create_member(guild, "joon"), "drama", {**HEAVEN, "title": "Paper Lantrens"}
    )
    assert "has already been suggested" in again.content
    ost = await suggest(
        fake, member, "ost", {"song": "Beautiful", "artist": "Crush", "drama": "goblin", "scene": "…"}
    )
    assert "“Beautiful — Crush” is already in the catalog" in ost.content
    nowhere = await suggest(
        fake, member, "ost", {"song": "Song", "artist": "Someone", "drama": "no such show", "scene": "…"}
    )
    assert "isn't in this server's catalog yet" in nowhere.content


async def test_a_suggested_ost_of_an_approved_drama_plays_with_ost(fake, start_bot, guild, member, admin):
    running = await start_bot()
    drama = await approved(fake, running, member, admin, "drama", HEAVEN)
    await suggest(fake, member, "ost", WISH)
    [ost] = await running.storage.suggestions(guild.id, ("pending",))
    assert json.loads(ost.fields)["drama_id"] == title_id(drama.id)
    page = await review_page(fake, admin)
    assert (
        page.embed["title"] == "🎵 OST suggestion 1 of 1"
        and page.field("The scene it plays in (spoiler)") == "||The last box.||"
    )
    await fake.press_button(admin, page, f"sugg:approve:{ost.id}")
    pick = await completed_pick(
        fake, await fake.run_command(member, fake.general(guild), "ost", query="wish someone kind")
    )
    assert "Wish" in pick.embed["title"] and pick.field("The scene (spoiler)") == "||The last box.||"


async def test_rejecting_with_a_reason_tells_the_member(fake, start_bot, guild, member, admin):
    running = await start_bot()
    await suggest(fake, member, "drama", HEAVEN)
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    page = await review_page(fake, admin)
    pressed = await fake.press_button(admin, page, f"sugg:reject:{suggestion.id}")
    await fake.submit_modal(pressed, {"reason": "Not sad enough, sorry <@123> ||x||"})
    assert "Rejected" in page.content
    mine = await (await fake.run_command(member, fake.general(guild), "suggestions mine")).wait_answer()
    assert "not added: Not sad enough, sorry x" in mine.embed["description"]


async def test_members_without_manage_server_cannot_review_list_or_retire(
    fake, start_bot, guild, member, admin
):
    running = await start_bot()
    await suggest(fake, member, "drama", HEAVEN)
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    for command in ("suggestions review", "suggestions list"):
        answer = await (await fake.run_command(member, fake.general(guild), command)).wait_answer()
        assert answer.ephemeral and "Manage Server" in answer.content
    # A review message forwarded or replayed: the button itself checks too.
    page = await review_page(fake, admin)
    pressed = await fake.press_button(member, page, f"sugg:approve:{suggestion.id}")
    assert "Manage Server" in (await pressed.wait_answer()).content
    assert (await running.storage.suggestion(guild.id, suggestion.id)).state == "pending"


async def test_the_daily_limit_and_the_queue_cap_hold(fake, start_bot, guild, member, monkeypatch):
    await start_bot()
    for i in range(3):
        answer = await suggest(
            fake, member, "drama", {**HEAVEN, "title": f"Sad Show Number {i}", "hangul": ""}
        )
        assert "waiting for the server's admins" in answer.content
    answer = await suggest(fake, member, "drama", {**HEAVEN, "title": "One Too Many", "hangul": ""})
    assert "daily limit" in answer.content
    monkeypatch.setattr("bot.suggestion_box.MAX_PENDING", 4)
    joon = fake.create_member(guild, "joon")
    assert (
        "waiting"
        in (await suggest(fake, joon, "drama", {**HEAVEN, "title": "Fourth Show", "hangul": ""})).content
    )
    full = await suggest(fake, joon, "drama", {**HEAVEN, "title": "Fifth Show", "hangul": ""})
    assert "already has 4 suggestions waiting" in full.content


async def test_hostile_input_cannot_ping_link_or_break_out_of_spoilers(fake, start_bot, guild, member, admin):
    running = await start_bot()
    hostile = {
        "title": "@everyone <@&1> Sad **Show** https://evil.example/x",
        "hangul": "",
        "aired": "2020 discord.gg/raid",
        "pitch": ("Cry ||now|| `code` <t:1:R> " + "ㅠ" * 4000)[:4000],  # Discord's most for a text input
        "spoiler": "end|| @here [link](http://x.y)",
    }
    opened = await fake.run_command(member, fake.general(guild), "suggest drama")
    limits = {c["component"]["custom_id"]: c["component"]["max_length"] for c in opened.modal["components"]}
    assert limits["title"] == 55  # a poll answer holds 55 characters
    # A forged submission can exceed the form's limits; the bot cuts what it keeps.
    answer = await (await fake.submit_modal(opened, hostile)).wait_answer()
    assert "waiting" in answer.content
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    form = json.loads(suggestion.fields)
    assert form["title"] == "＠everyone Sad Show"
    assert form["aired"] == "2020" and len(form["pitch"]) == 400
    assert "|" not in form["pitch"] + form["spoiler"] and "http" not in form["spoiler"]
    assert "<" not in form["pitch"] and "`" not in form["pitch"]
    await running.bot.suggestion_box.approve(guild.id, suggestion.id, admin.user.id)
    pick = await completed_pick(
        fake, await fake.run_command(member, fake.general(guild), "cry", title=title_id(suggestion.id))
    )
    spoiler = pick.field("Spoiler (tap to reveal)")
    assert spoiler.startswith("||") and spoiler.endswith("||") and spoiler.count("||") == 2
    assert not fake.violations


async def poll_titles(fake, admin, guild, rounds: int) -> list[str]:
    """Post `rounds` polls with /poll now; every answer's text, in order."""
    seen = []
    for _ in range(rounds):
        before = len([m for m in fake.messages_in(fake.general(guild)) if m.poll is not None])
        answer = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
        if answer.custom_ids():  # a poll is still open: confirm ending it
            pressed = await fake.press_button(admin, answer, f"tj:pollnow:yes:{admin.user.id}")
            await fake.wait_for(lambda p=pressed: p.followups, what="the admin's confirmation")
            assert "Posted in" in pressed.followups[0].content, pressed.followups[0].content
        else:
            assert "Posted in" in answer.content, answer.content
        await fake.wait_for(
            lambda b=before: (
                len([m for m in fake.messages_in(fake.general(guild)) if m.poll is not None]) > b
            ),
            what="the new poll",
        )
        post = [m for m in fake.messages_in(fake.general(guild)) if m.poll is not None][-1]
        seen += [a["poll_media"]["text"] for a in post.poll["answers"]]
    return seen


async def test_an_approved_entry_joins_the_poll_rotation_and_a_retired_one_leaves_it_keeping_its_votes(
    fake, start_bot, guild, member, admin
):
    running = await start_bot()
    await suggest(fake, member, "drama", HEAVEN)
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    await running.bot.suggestion_box.approve(guild.id, suggestion.id, admin.user.id)
    entry = title_id(suggestion.id)
    pick = await completed_pick(fake, await fake.run_command(member, fake.general(guild), "cry", title=entry))
    await fake.add_reaction(fake.create_member(guild, "joon"), pick)
    await eventually(lambda: running.storage.tally(guild.id, entry), 1, what="the vote")
    await (
        await fake.run_command(
            admin, fake.general(guild), "poll setup", channel=str(fake.general(guild).id), weekday=4,
            time="21:00", timezone="Asia/Seoul", size=10,
        )
    ).wait_answer()  # fmt: skip
    rounds = -(-len(running.bot.catalog_for(guild.id).dramas) // 10)  # every title once, least used first
    assert "Paper Lantrens" in await poll_titles(fake, admin, guild, rounds)

    choices = await fake.autocomplete(admin, fake.general(guild), "suggestions retire", "entry", "lant")
    assert choices == [{"name": "🎬 Paper Lantrens · 종이 등불", "value": str(suggestion.id)}]
    answer = await (
        await fake.run_command(admin, fake.general(guild), "suggestions retire", entry=str(suggestion.id))
    ).wait_answer()
    assert "Retired" in answer.content
    assert "Paper Lantrens" not in await poll_titles(fake, admin, guild, rounds)
    refused = await (
        await fake.run_command(member, fake.general(guild), "cry", title="paper lantrens")
    ).wait_answer()
    assert "couldn't find anything" in refused.content
    top = await (await fake.run_command(member, fake.general(guild), "tears top")).wait_answer()
    assert "Paper" not in (top.embed.get("description") or "")
    assert await running.storage.tally(guild.id, entry) == 1  # the votes stay stored
    assert (await running.storage.suggestion(guild.id, suggestion.id)).state == "retired"


async def test_an_approved_entry_survives_a_restart(fake, start_bot, guild, member, admin):
    running = await start_bot()
    await suggest(fake, member, "drama", HEAVEN)
    [suggestion] = await running.storage.suggestions(guild.id, ("pending",))
    page = await review_page(fake, admin)
    await running.stop()
    running = await start_bot()
    # The review buttons of the message from before the restart still work.
    await fake.press_button(admin, page, f"sugg:approve:{suggestion.id}")
    assert "Approved" in page.content
    await running.stop()
    await start_bot()
    pick = await (
        await fake.run_command(member, fake.general(guild), "cry", title="paper lantrens")
    ).wait_answer()
    assert pick.embed["title"] == "Paper Lantrens · 종이 등불"


async def test_korean_members_get_the_form_and_answers_in_korean(fake, start_bot, guild):
    await start_bot()
    minji = fake.create_member(guild, "minji", locale="ko")
    opened = await fake.run_command(minji, fake.general(guild), "suggest drama")
    assert opened.modal["title"] == "울면서 본 드라마 추천하기"
    answer = await (await fake.submit_modal(opened, HEAVEN)).wait_answer()
    assert answer.content.startswith("고마워요! “Paper Lantrens · 종이 등불” 추천이")
    again = await suggest(fake, minji, "drama", {**HEAVEN, "title": "도깨비", "hangul": ""})
    assert again.content.startswith("“Guardian: The Lonely and Great God”는 이미 카탈로그에 있어요.")


async def test_export_gives_admins_a_catalog_file_the_operator_can_merge(
    fake, start_bot, guild, member, admin, tmp_path
):
    running = await start_bot()
    await approved(fake, running, member, admin, "drama", HEAVEN)
    await approved(fake, running, member, admin, "ost", {**WISH, "drama": "paper lantrens"})
    answer = await (await fake.run_command(admin, fake.general(guild), "suggestions export")).wait_answer()
    assert answer.ephemeral and "2 approved entries" in answer.content
    [(name, content)] = answer.files
    assert name == "tearjerker-tissue-box.toml"
    data = tomllib.loads(content.decode("utf-8"))
    assert data["drama"][0] == {
        "id": "paper-lantrens", "title": "Paper Lantrens", "hangul": "종이 등불", "year": 2023, "network": "JTBC",
        "pitch": HEAVEN["pitch"],
    }  # fmt: skip
    assert data["ost"][0]["drama"] == "paper-lantrens" and data["ost"][0]["song"] == "Wish"
    assert "# sources = []" in content.decode("utf-8")
    denied = await (await fake.run_command(member, fake.general(guild), "suggestions export")).wait_answer()
    assert "Manage Server" in denied.content and not denied.files


async def test_new_suggestions_are_announced_in_the_channel_admins_chose_without_pinging(
    fake, start_bot, guild, member, admin
):
    await start_bot()
    mods = fake.create_channel(guild, "mods")
    answer = await (
        await fake.run_command(admin, fake.general(guild), "suggestions channel", channel=str(mods.id))
    ).wait_answer()
    assert f"<#{mods.id}>" in answer.content
    await suggest(fake, member, "drama", {**HEAVEN, "title": "@everyone Paper Lantrens"})
    await fake.wait_for(lambda: fake.messages_in(mods), what="the announcement")
    [note] = fake.messages_in(mods)
    assert note.content.startswith("📝 New suggestion from Mina: **＠everyone Paper Lantrens")
    assert note.allowed_mentions == {"parse": []} and not fake.violations
    await (await fake.run_command(admin, fake.general(guild), "suggestions channel")).wait_answer()
    await suggest(fake, member, "drama", {**HEAVEN, "title": "Another Sad One", "hangul": ""})
    assert len(fake.messages_in(mods)) == 1


async def test_a_form_that_fails_inside_the_bot_still_gets_a_plain_answer(
    fake, start_bot, guild, member, caplog
):
    running = await start_bot()

    async def broken(**kwargs):
        raise RuntimeError("the database is on fire")

    running.bot.suggestion_box.submit = broken
    answer = await suggest(fake, member, "drama", HEAVEN)
    assert answer.ephemeral and "Something went wrong on my side" in answer.content
    assert "the database is on fire" in caplog.text  # logged for the operator, not shown to the member
    assert "the database is on fire" not in answer.content
