"""The latency baseline: the same client set-up as Tearjerker (sharded, same intents and caches) with
one command that answers at once and does nothing else.

    python -m bench.noop_bot API_BASE GATEWAY_URL
"""

from __future__ import annotations

import os
import sys

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import bot_intents
from tests.fakediscord.launch import point_at


class NoopBot(commands.AutoShardedBot):
    async def setup_hook(self) -> None:
        @self.tree.command(name="noop", description="Answers and does nothing")
        async def noop(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok")

        await self.tree.sync()


def main() -> None:
    point_at(sys.argv[1], sys.argv[2])
    bot = NoopBot(
        command_prefix=commands.when_mentioned,
        intents=bot_intents(),
        max_messages=None,
        member_cache_flags=discord.MemberCacheFlags.none(),
        chunk_guilds_at_startup=False,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    assert app_commands  # the decorator above is discord.py's own
    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
