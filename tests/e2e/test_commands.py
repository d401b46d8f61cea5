"""Command registration, the sync-only-when-changed rule, errors, and what every message carries."""

from __future__ import annotations

import logging
import shutil

import pytest

from bot.config import DEFAULT_CATALOG_PATH
from tests.e2e.conftest import completed_pick


async def test_commands_register_with_names_options_and_descriptions(fake, start_bot):
    await start_bot()
    commands = fake.commands()
    assert set(commands) == {"cry", "ost", "tears", "poll", "suggest", "suggestions"}
    cry = commands["cry"]
    assert cry["description"] == "Get a sad K-drama worth your tissues"
    assert cry["contexts"] == [0]  # servers only: no DMs
    options = {o["name"]: o for o in cry["options"]}
    assert set(options) == {"mood", "era", "tears", "title"}
    assert all(o["description"] for o in options.values())
    assert {c["value"] for c in options["mood"]["choices"]} == {
        "grief", "family", "star-crossed", "first-love", "history", "fantasy", "mystery", "healing", "time",
        "sacrifice",
    }  # fmt: skip
    assert [c["value"] for c in options["era"]["choices"]] == ["historical", "modern"]
    assert (options["tears"]["min_value"], options["tears"]["max_value"]) == (1, 5)
    assert options["title"]["autocomplete"] is True and options["title"]["max_length"] == 100
    ost = commands["ost"]
    [query] = ost["options"]
    assert query["name"] == "query" and query["autocomplete"] and query["max_length"] == 100
    tears = commands["tears"]
    assert tears["contexts"] == [0]
    assert {o["name"]: o["type"] for o in tears["options"]} == {"top": 1, "me": 1, "forget": 1}
    assert {o["name"] for o in commands["suggest"]["options"]} == {"drama", "ost"}
    suggestions = commands["suggestions"]
    assert (
        suggestions["contexts"] == [0] and suggestions["default_member_permissions"] is None
    )  # `mine` is for all
    assert {o["name"] for o in suggestions["options"]} == {
        "mine",
        "review",
        "list",
        "retire",
        "export",
        "channel",
    }


async def test_commands_sync_only_when_they_changed(fake, start_bot, tmp_path):
    running = await start_bot()
    assert len(fake.command_syncs) == 1
    await running.stop()
    running = await start_bot()  # same database, same commands
    assert len(fake.command_syncs) == 1
    await running.stop()
    # An operator's catalog with other moods changes the /cry choices: that is a change to sync.
    custom = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_PATH, custom)
    moods = (custom / "moods.toml").read_text(encoding="utf-8")
    (custom / "moods.toml").write_text(moods.replace('label = "Healing"', 'label = "Healing slowly"'))
    assert "Healing slowly" in (custom / "moods.toml").read_text(encoding="utf-8")
    await start_bot(catalog_path=custom)
    assert len(fake.command_syncs) == 2


async def test_dev_guild_gets_the_commands_at_once(fake, start_bot, guild, member):
    await start_bot(dev_guild_id=guild.id)
    assert set(fake.commands(guild)) == {"cry", "ost", "tears", "poll", "suggest", "suggestions"}
    assert fake.command_syncs[-1][0] == guild.id
    message = await (await fake.run_command(member, fake.general(guild), "cry")).wait_answer()
    assert message.embeds


async def test_no_message_can_ping_anyone(fake, start_bot, guild, member, other_member):
    await start_bot()
    channel = fake.general(guild)
    first = await (await fake.run_command(member, channel, "cry")).wait_answer()
    await (await fake.run_command(member, channel, "ost")).wait_answer()
    await (await fake.press_button(other_member, first, first.custom_ids()[0])).wait_answer()
    await (await fake.run_command(member, channel, "cry", title="zzzz")).wait_answer()
    sent = list(fake.messages.values())
    assert len(sent) == 4
    assert all(m.allowed_mentions == {"parse": []} for m in sent), [m.allowed_mentions for m in sent]


async def test_an_internal_failure_answers_ephemerally_and_is_logged(
    fake, start_bot, guild, member, caplog, monkeypatch
):
    running = await start_bot()

    async def broken(*args):
        raise RuntimeError("a bug in a query")

    monkeypatch.setattr(running.storage, "tallies", broken)
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        message = await (await fake.run_command(member, fake.general(guild), "cry")).wait_answer()
    assert message.ephemeral
    assert "Something went wrong on my side" in message.content
    assert "error in cry" in caplog.text


async def test_a_failure_after_the_pick_was_sent_is_reported_as_a_follow_up(fake, start_bot, guild, member):
    running = await start_bot()
    # Reads still work, writes do not: the pick is sent, then recording it fails.
    await running.storage.writer.close()
    record = await fake.run_command(member, fake.general(guild), "ost", query="windflower")
    await fake.wait_for(lambda: record.followups, what="the follow-up error")
    assert record.response is not None and not record.response.ephemeral
    assert record.followups[0].ephemeral and "Something went wrong" in record.followups[0].content


async def test_nothing_recorded_is_lost_across_two_restarts(fake, start_bot, guild, member):
    running = await start_bot()
    channel = fake.general(guild)
    ids = [(await completed_pick(fake, await fake.run_command(member, channel, "cry"))).id for _ in range(3)]
    await running.stop()
    running = await start_bot()
    ids.append((await (await fake.run_command(member, channel, "ost")).wait_answer()).id)
    await running.stop()
    running = await start_bot()
    for message_id in ids:
        assert await running.storage.presented(message_id) is not None
    # And /cry still remembers what this member saw before the restarts.
    shown, _cried = await running.storage.pick_history(member.user.id, "drama")
    assert 1 <= len(shown) <= 3


async def test_the_bot_asks_for_no_privileged_intent(fake, start_bot):
    await start_bot()
    intents = int(fake.identifies[-1]["intents"])
    assert intents & ((1 << 1) | (1 << 8) | (1 << 15)) == 0
    assert fake.identifies[-1]["shard"] == [0, 1]


async def test_the_bot_keeps_only_the_gateway_state_it_uses(fake, start_bot, guild):
    for i in range(5):
        fake.create_channel(guild, f"extra-{i}")
    guild.emojis = [{"id": "1", "name": "sob", "roles": [], "require_colons": True, "managed": False,
                     "animated": False, "available": True}]  # fmt: skip
    running = await start_bot()
    cached = running.bot.get_guild(guild.id)
    assert cached is not None and cached.name == "Tissue Box"
    assert list(cached.channels) == [] and list(cached.emojis) == [] and list(running.bot.emojis) == []
    assert {r.name for r in cached.roles} == {"@everyone", "Tearjerker"}  # roles stay: its own permissions
    assert cached.me is not None and cached.me.id == fake.bot_user.id


@pytest.mark.parametrize("path", ["cry", "ost", "tears top", "tears me", "poll status"])
async def test_a_server_command_sent_from_a_dm_says_it_works_in_servers(
    fake, start_bot, guild, member, path, caplog
):
    await start_bot()
    record = await fake.run_command_in_dm(member, path)
    reply = await record.wait_answer()
    assert reply.ephemeral and "works inside servers" in reply.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
