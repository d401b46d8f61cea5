"""Resident memory with 10,000 guilds (15 channels, 10 roles, 10 emoji each) delivered by the gateway:
Tearjerker (`python -m bot run`, in its own process) vs a plain commands.Bot with default intents and
caches, each measured at 1,000 and 10,000 guilds for the growth per guild.

    python -m bench.memory [--guilds 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Goal, report
from bot.config import PROJECT_ROOT
from tests.fakediscord import FakeDiscord, running_fake
from tests.fakediscord.model import snowflake

MIB = 1024 * 1024


def populate(fake: FakeDiscord, guilds: int) -> None:
    for g in range(guilds):
        guild = fake.create_guild(f"Server {g}")
        for c in range(14):  # with #general: 15 channels
            fake.create_channel(guild, f"channel-{c}")
        for r in range(8):  # with @everyone and the bot's role: 10 roles
            fake.create_role(guild, f"role-{r}", 0)
        guild.emojis = [
            {"id": str(snowflake()), "name": f"sob{e}", "roles": [], "require_colons": True, "managed": False,
             "animated": False, "available": True}
            for e in range(10)
        ]  # fmt: skip


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def settled_rss(pid: int, timeout: float = 120) -> int:
    """RSS once it stops growing (every guild parsed), sampled every half second."""
    deadline = time.monotonic() + timeout
    last, stable = 0, 0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = rss(pid)
        stable = stable + 1 if abs(now - last) < 256 * 1024 else 0
        last = now
        if stable >= 6:
            return now
    return last


async def measure(guilds: int, plain: bool, tmp: Path) -> int:
    async with running_fake() as fake:
        populate(fake, guilds)
        env = {
            **os.environ,
            "DISCORD_TOKEN": fake.token,
            "DATABASE_URL": f"sqlite:///{tmp}/mem-{plain}-{guilds}.db",
            "LOG_LEVEL": "WARNING",
        }
        module = "bench.plain_bot" if plain else "tests.fakediscord.launch"
        extra = [] if plain else ["run"]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, fake.api_base, fake.gateway_url, *extra,
            cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await fake.wait_connected(timeout=300)
            return await settled_rss(process.pid)
        finally:
            process.terminate()
            await process.wait()


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--guilds", type=int, default=10_000)
    args = parser.parse_args(argv)
    small = max(1, args.guilds // 10)
    with tempfile.TemporaryDirectory() as tmp:
        ours_small = asyncio.run(measure(small, False, Path(tmp)))
        ours = asyncio.run(measure(args.guilds, False, Path(tmp)))
        plain_small = asyncio.run(measure(small, True, Path(tmp)))
        plain = asyncio.run(measure(args.guilds, True, Path(tmp)))
    per_ours = (ours - ours_small) / (args.guilds - small)
    per_plain = (plain - plain_small) / (args.guilds - small)
    return report(
        f"Memory with {args.guilds:,} guilds (15 channels, 10 roles, 10 emoji each)",
        [
            ("Tearjerker", f"{ours / MIB:.1f} MiB RSS, {per_ours / 1024:.1f} KiB per guild"),
            (
                "plain commands.Bot, default intents and caches",
                f"{plain / MIB:.1f} MiB RSS, {per_plain / 1024:.1f} KiB per guild",
            ),
            ("Tearjerker / plain", f"{ours / plain:.2f}× the memory"),
        ],
        [Goal("Tearjerker RSS", ours / MIB, 130, "MiB")],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
