"""What an operator sees of a running bot: Prometheus metrics, the health endpoint, `python -m bot health`."""

from __future__ import annotations

import re
import socket

import aiohttp
import pytest

from bot.health import STALE
from tests.e2e.conftest import completed_pick, eventually
from tests.e2e.test_cli_errors import FAKE_TOKEN, bot_cli
from tests.fakediscord import P


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def scrape(port: int, path: str = "/metrics") -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


def value(metrics: str, name: str, **labels: str) -> float:
    """One sample's value from the text format (0 when the series is absent)."""
    inside = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{inside}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    found = re.search(pattern, metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_metrics_are_served_on_localhost_and_move_as_the_bot_works(fake, start_bot, guild, member):
    port = free_port()
    running = await start_bot(metrics_port=port)
    assert running.bot.metrics._runner.addresses == [("127.0.0.1", port)]
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    status, before = await scrape(port)
    assert status == 200
    assert value(before, "tearjerker_guilds", shard="0") == 1
    assert value(before, "tearjerker_shard_connected", shard="0") == 1
    assert value(before, "tearjerker_catchup_running", shard="0") == 0
    assert "tearjerker_catchup_requests" in before and "tearjerker_gateway_latency_seconds" in before

    message = await completed_pick(fake, await fake.run_command(member, fake.general(guild), "cry"))
    await fake.add_reaction(member, message)
    await eventually(lambda: running.storage.source_counts([message.id]), {message.id: {"r:😭": 1}})
    _status, after = await scrape(port)
    assert value(after, "tearjerker_interactions_total", command="cry", outcome="ok") == 1
    assert value(after, "tearjerker_interaction_seconds_count", command="cry") == 1
    assert value(after, "tearjerker_vote_changes_received_total", change="add") == 1
    assert value(after, "tearjerker_vote_changes_written_total") >= 1
    assert value(after, "tearjerker_writer_batch_seconds_count") > value(
        before, "tearjerker_writer_batch_seconds_count"
    )
    assert value(after, "tearjerker_database_errors_total", kind="write_failed") == 0
    assert value(after, "tearjerker_weekly_polls_total", event="posted") == 0


async def test_a_refused_command_counts_as_refused(fake, start_bot, guild):
    port = free_port()
    await start_bot(metrics_port=port)
    admin = fake.create_member(guild, "admin", roles=[fake.create_role(guild, "Mods", P.MANAGE_GUILD)])
    answer = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    assert answer.ephemeral  # no poll set up yet: told so, in plain words
    _status, metrics = await scrape(port)
    assert value(metrics, "tearjerker_interactions_total", command="poll now", outcome="refused") == 1


async def test_the_health_endpoint_answers_503_when_the_database_does_not(fake, start_bot, monkeypatch):
    port = free_port()
    running = await start_bot(metrics_port=port)
    status, body = await scrape(port, "/health")
    assert status == 200 and '"status": "ok"' in body and '"0": "connected"' in body

    async def down() -> None:
        raise ConnectionRefusedError(f"the database is down (token {fake.token} rejected)")

    monkeypatch.setattr(running.storage, "ping", down)
    status, body = await scrape(port, "/health")
    assert status == 503 and "the database is down" in body
    assert fake.token not in body and "[redacted]" in body


async def test_the_health_command_follows_the_shards_reports(fake, start_bot, db_target):
    url = db_target if isinstance(db_target, str) else f"sqlite:///{db_target}"
    env = {"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": url, "TEARJERKER_ENV_FILE": "none"}
    code, output = await bot_cli("health", env=env)
    assert code == 1 and output.startswith("UNHEALTHY")  # no bot has run on this database yet
    running = await start_bot()
    await running.storage.flush()  # the shard's report at connect is queued, not awaited
    code, output = await bot_cli("health", env=env)
    assert code == 0, output
    assert output.splitlines()[:2] == [
        "healthy: 1/1 shards connected, database answers",
        "  shard 0: connected",
    ]
    code, output = await bot_cli("health", env={**env, "SHARD_COUNT": "2"})
    assert code == 1 and "shard 1 has never reported" in output
    await running.stop()  # a bot that stops says so, instead of going stale 90 s later
    code, output = await bot_cli("health", env=env)
    assert code == 1 and "  shard 0: NOT connected" in output.splitlines()


@pytest.mark.parametrize("age, healthy", [(10, True), (STALE + 5, False)])
def test_a_shard_whose_process_went_quiet_is_unhealthy(age, healthy):
    from bot.db import ShardStatus
    from bot.health import judge_reports

    now = 1_800_000_000
    shards, notes = judge_reports([ShardStatus(0, 1, True, "box", now - age)], None, None, now)
    assert shards == {0: healthy}
    assert bool(notes) is not healthy


async def test_a_metrics_port_in_use_is_one_line(fake, tmp_path):
    from tests.e2e.test_cli_errors import assert_one_clear_line, db_env

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = await bot_cli(
            "run", env={**db_env(tmp_path / "t.db"), "METRICS_PORT": str(port)}, fake=fake
        )
    assert_one_clear_line(code, output, "METRICS_PORT", str(port))


async def test_the_health_command_with_the_database_unreachable_is_unhealthy_and_keeps_the_password():
    env = {
        "DISCORD_TOKEN": FAKE_TOKEN, "TEARJERKER_ENV_FILE": "none",
        "DATABASE_URL": "postgresql://tj:s3cret-pw@127.0.0.1:9/tearjerker",  # the discard port: refused
    }  # fmt: skip
    code, output = await bot_cli("health", env=env)
    assert code == 1 and output.startswith("UNHEALTHY"), output
    assert "s3cret-pw" not in output and "Traceback" not in output
