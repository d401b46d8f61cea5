"""200 concurrent /cry through the fake Discord to the bot in its own process: bot-side latency from
the interaction sent to its callback received, next to a no-op command measured the same way.

    python -m bench.command_latency [--concurrent 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from bench.common import Goal, median, percentile, report
from bot.config import PROJECT_ROOT
from tests.fakediscord import FakeDiscord, running_fake


async def start(fake: FakeDiscord, module: str, extra: list[str], db: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, fake.api_base, fake.gateway_url, *extra,
        cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await fake.wait_connected(timeout=60)
    await asyncio.sleep(1.0)  # past on_ready and the start-up work
    return process


async def measure(command: str, concurrent: int, rounds: int, db: Path, spread: float) -> list[float]:
    async with running_fake() as fake:
        guild = fake.create_guild("Latency Box")
        members = [fake.create_member(guild, f"m{i}") for i in range(concurrent)]
        channel = fake.general(guild)
        module, extra = ("bench.noop_bot", []) if command == "noop" else ("tests.fakediscord.launch", ["run"])
        process = await start(fake, module, extra, db)
        samples: list[float] = []
        try:
            for _ in range(rounds):
                records = []
                for member in members:
                    records.append(await fake.send_command(member, channel, command))
                    if spread:
                        await asyncio.sleep(spread / concurrent)
                await fake.wait_for(
                    lambda r=records: all(x.acknowledged_at for x in r), timeout=60, what="answers"
                )
                samples += [r.acknowledged_at - r.created for r in records]  # type: ignore[operator]
                await asyncio.sleep(0.5)  # let the picks' follow-up work (record, 😭) settle
            assert not fake.violations, fake.violations
        finally:
            process.terminate()
            await process.wait()
    return samples


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, spread in (("spread", 1.0), ("burst", 0.0)):
            for command in ("cry", "noop"):
                db = Path(tmp) / f"{command}-{mode}.db"
                results[mode, command] = asyncio.run(
                    measure(command, args.concurrent, args.rounds, db, spread)
                )
    ms = 1e3

    def line(samples: list[float]) -> str:
        return f"median {median(samples) * ms:.1f} ms, p99 {percentile(samples, 99) * ms:.1f} ms"

    n = args.concurrent
    burst_ratio = percentile(results["burst", "cry"], 99) / percentile(results["burst", "noop"], 99)
    return report(
        f"Command latency: {n} members, {args.rounds} rounds (interaction sent -> callback received)",
        [
            (f"/cry, {n} members within one second", line(results["spread", "cry"])),
            (f"no-op, {n} members within one second", line(results["spread", "noop"])),
            (f"/cry, all {n} in the same instant", line(results["burst", "cry"])),
            (f"no-op, all {n} in the same instant", line(results["burst", "noop"])),
            ("/cry / no-op, same instant (p99)", f"{burst_ratio:.2f}×"),
        ],
        [
            Goal(
                f"/cry p99, {n} members within one second",
                percentile(results["spread", "cry"], 99) * ms,
                10,
                "ms",
            )
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
