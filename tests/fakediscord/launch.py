"""Run the real `python -m bot` in its own process, pointed at a fake Discord.

    python -m tests.fakediscord.launch API_BASE GATEWAY_URL [bot arguments…]

Only the two class attributes where discord.py keeps Discord's URLs are changed; everything else is
the operator's entry point as it ships. Used by the multi-process sharding test and the benchmarks.
"""

from __future__ import annotations

import sys

import discord
import yarl


def point_at(api_base: str, gateway: str) -> None:
    discord.http.Route.BASE = api_base  # type: ignore[misc]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def main() -> int:
    api_base, gateway, *rest = sys.argv[1:]
    point_at(api_base, gateway)
    from bot.__main__ import main as bot_main

    return bot_main(rest)


if __name__ == "__main__":
    sys.exit(main())
