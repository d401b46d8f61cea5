"""The memory baseline: a plain commands.Bot with default intents and caches, pointed at the fake.

python -m bench.plain_bot API_BASE GATEWAY_URL
"""

from __future__ import annotations

import os
import sys

import discord
from discord.ext import commands

from tests.fakediscord.launch import point_at


def main() -> None:
    point_at(sys.argv[1], sys.argv[2])
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
