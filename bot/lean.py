"""Keep only the gateway state the bot uses (bench/memory.py measures the effect).

discord.py caches every channel, thread, emoji and sticker of every server. Tearjerker reads none of
them from the cache: it posts through partial channels, fetches the one channel `/poll setup` and
`/poll status` look at, and learns about deletions from raw events. What it does use stays: each
server's name and roles (to work out its own permissions) and its own member.

This works by wrapping a few of discord.py's gateway parsers, before they build cached objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

# GUILD_CREATE fields the bot never reads; discord.py would build and keep an object for each entry.
UNUSED_GUILD_FIELDS = (
    "channels",
    "threads",
    "emojis",
    "stickers",
    "soundboard_sounds",
    "voice_states",
    "stage_instances",
    "guild_scheduled_events",
    "presences",
)


class RawGuildChannelDelete:
    """What `on_raw_guild_channel_delete` receives: a channel or thread is gone, cached or not."""

    __slots__ = ("channel_id", "guild_id")

    def __init__(self, channel_id: int, guild_id: int | None) -> None:
        self.channel_id = channel_id
        self.guild_id = guild_id


def slim_guild(data: dict[str, Any]) -> None:
    for name in UNUSED_GUILD_FIELDS:
        if name in data:
            data[name] = []


def install(client: discord.Client) -> None:
    state = client._connection
    parsers: dict[str, Callable[[Any], None]] = state.parsers

    guild_create = parsers["GUILD_CREATE"]

    def parse_guild_create(data: Any) -> None:
        slim_guild(data)
        guild_create(data)

    channel_delete = parsers["CHANNEL_DELETE"]

    def parse_channel_delete(data: Any) -> None:
        guild_id = data.get("guild_id")
        client.dispatch(
            "raw_guild_channel_delete",
            RawGuildChannelDelete(int(data["id"]), int(guild_id) if guild_id else None),
        )
        channel_delete(data)

    def ignore(data: Any) -> None:
        """Channels and threads created later are not cached either."""

    parsers["GUILD_CREATE"] = parse_guild_create
    parsers["CHANNEL_DELETE"] = parse_channel_delete
    parsers["CHANNEL_CREATE"] = ignore
    parsers["THREAD_CREATE"] = ignore
    parsers["THREAD_LIST_SYNC"] = ignore
