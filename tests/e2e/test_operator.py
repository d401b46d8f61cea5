"""The operator CLI's network commands, against the fake Discord."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import discord

from bot.__main__ import _application_id, _sync
from bot.catalog import load_catalog
from bot.client import invite_permissions, invite_url
from bot.config import DEFAULT_CATALOG_PATH
from tests.e2e.conftest import settings_for


def test_invite_asks_for_exactly_the_permissions_used():
    url = urlparse(invite_url(123456789012345678))
    query = parse_qs(url.query)
    assert query["client_id"] == ["123456789012345678"]
    assert set(query["scope"][0].split()) == {"bot", "applications.commands"}
    perms = discord.Permissions(int(query["permissions"][0]))
    assert perms == invite_permissions()
    assert {name for name, on in perms if on} == {
        "read_messages", "send_messages", "send_polls", "embed_links", "add_reactions", "read_message_history",
    }  # fmt: skip


async def test_invite_looks_the_application_up_with_the_token(fake, db_target):
    assert await _application_id(settings_for(fake, db_target)) == fake.application_id
    assert await _application_id(settings_for(fake, db_target, application_id=42)) == 42


async def test_sync_command_registers_now_even_when_unchanged(fake, db_target, guild):
    catalog = load_catalog(DEFAULT_CATALOG_PATH)
    await _sync(settings_for(fake, db_target), catalog, None)
    await _sync(settings_for(fake, db_target), catalog, None)
    assert [scope for scope, _ in fake.command_syncs] == [None, None]
    await _sync(settings_for(fake, db_target), catalog, guild.id)
    assert set(fake.commands(guild)) == {"cry", "ost", "tears", "poll", "suggest", "suggestions"}
    assert not any(kind == "GET" and "gateway" in path for kind, path in fake.requests)  # no connection


async def test_after_a_forced_sync_the_next_start_does_not_sync_again(fake, db_target, start_bot):
    await _sync(settings_for(fake, db_target), load_catalog(DEFAULT_CATALOG_PATH), None)
    await start_bot()
    assert len(fake.command_syncs) == 1
