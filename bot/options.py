"""Slash-command options shared by several cogs."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands


class TextChannelOption(app_commands.Transformer):
    """A text or announcement channel, as Discord resolves it in the interaction (channels are not
    cached, see bot/lean.py); `missing_permissions` fetches the full channel when it needs one."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction, value: Any, /
    ) -> discord.app_commands.AppCommandChannel:
        return value
