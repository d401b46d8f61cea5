"""Operator mistakes through the real `python -m bot`: one line, exit status 2, never a traceback or the token."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ENV_FILE_VARIABLE, PROJECT_ROOT
from tests.conftest import FAKE_TOKEN

CLOSED_PORT_API = "http://127.0.0.1:9/api/v10"  # the discard port: nothing listens, the connection is refused
CLOSED_PORT_GATEWAY = "ws://127.0.0.1:9/gateway"


async def bot_cli(*args: str, env: dict[str, str], fake=None, cwd: Path = PROJECT_ROOT) -> tuple[int, str]:
    """Run `python -m bot ARGS` (through the launcher that points it at the fake, or at a closed port)."""
    api, gateway = (fake.api_base, fake.gateway_url) if fake else (CLOSED_PORT_API, CLOSED_PORT_GATEWAY)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakediscord.launch", api, gateway, *args,
        cwd=cwd, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO) ")


def assert_one_clear_line(code: int, output: str, *needles: str) -> None:
    """Exit 2 and one line saying what to fix; the start-up's INFO log may come before it."""
    assert code == 2, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, output
    for needle in needles:
        assert needle in lines[0], output
    assert FAKE_TOKEN not in output


def db_env(path: Path) -> dict[str, str]:
    return {"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": f"sqlite:///{path}"}


async def test_a_corrupt_database_file_is_one_line_and_left_untouched(tmp_path):
    db = tmp_path / "t.db"
    db.write_bytes(b"not a database at all\n" * 500)
    code, output = await bot_cli("run", env=db_env(db))
    assert_one_clear_line(code, output, "Database error", "file is not a database")
    assert db.read_bytes() == b"not a database at all\n" * 500


async def test_a_database_newer_than_the_bot_is_one_line_and_left_untouched(tmp_path):
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version = 999")
    before = db.read_bytes()
    code, output = await bot_cli("run", env=db_env(db))
    assert_one_clear_line(code, output, "Database error", "schema version 999")
    assert db.read_bytes() == before and not (tmp_path / "t.db-wal").exists()


@pytest.mark.parametrize("command", ["run", "check"])
async def test_a_database_url_naming_a_folder_or_a_path_inside_a_file_is_one_line(tmp_path, command):
    code, output = await bot_cli(command, env=db_env(tmp_path))
    assert_one_clear_line(code, output, "Settings error", "DATABASE_URL", "is a folder")
    (tmp_path / "afile").write_text("x")
    code, output = await bot_cli(command, env=db_env(tmp_path / "afile" / "t.db"))
    assert_one_clear_line(code, output, "Settings error", "is a file, not a folder")


async def test_a_catalog_nested_too_deeply_is_a_catalog_error_not_a_crash(tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("moods = " + "[" * 4000 + "]" * 4000 + "\n")
    code, output = await bot_cli("check", env={"DISCORD_TOKEN": FAKE_TOKEN, "CATALOG_PATH": str(catalog)})
    assert code == 2 and "Traceback" not in output
    assert "Catalog error" in output and "nested too deeply" in output


@pytest.mark.parametrize("command", ["run", "sync", "invite"])
async def test_discord_unreachable_is_one_line(tmp_path, command):
    code, output = await bot_cli(command, env=db_env(tmp_path / "t.db"))
    assert_one_clear_line(code, output, "Could not reach Discord")


async def test_an_application_id_that_is_not_the_tokens_is_one_line(fake, tmp_path):
    env = {**db_env(tmp_path / "t.db"), "DISCORD_APPLICATION_ID": "123456789012345678"}
    code, output = await bot_cli("run", env=env, fake=fake)
    assert_one_clear_line(
        code, output, "DISCORD_APPLICATION_ID is 123456789012345678", str(fake.application_id)
    )
    assert fake.command_syncs == []


@pytest.mark.parametrize("setting", ["DEV_GUILD_ID", "DISCORD_APPLICATION_ID", "SHARD_COUNT", "LOG_LEVEL"])
async def test_a_token_pasted_into_the_wrong_setting_is_never_printed(tmp_path, setting):
    for token in (FAKE_TOKEN, "x" * 70):
        code, output = await bot_cli("check", env={"DISCORD_TOKEN": FAKE_TOKEN, setting: token})
        assert_one_clear_line(code, output, setting)
        assert token not in output


async def test_a_clean_start_and_stop_prints_no_warning(fake, tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakediscord.launch", fake.api_base, fake.gateway_url, "run",
        cwd=PROJECT_ROOT, env={**os.environ, **db_env(tmp_path / "t.db")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await fake.wait_connected(timeout=30)
        await fake.wait_for(lambda: fake.command_syncs, timeout=30, what="the first start's command sync")
    finally:
        process.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
    assert process.returncode == 0, output
    assert "PyNaCl" not in output and "davey" not in output
    assert [line for line in output.splitlines() if " WARNING " in line or " ERROR " in line] == []


async def test_the_suite_ignores_a_developers_env_file(tmp_path):
    """A copy of the bot with a hostile .env beside it, run with the suite's environment: the .env is not
    read. Run without the suite's override, the same copy does read it (so the test can fail)."""
    shutil.copytree(PROJECT_ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("*.db*"))
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nDISCORD_APPLICATION_ID=111111111111111111\n")
    env = {"PYTHONPATH": str(tmp_path), "DISCORD_TOKEN": FAKE_TOKEN}
    run = ["-m", "bot", "check"]
    suite = await asyncio.create_subprocess_exec(
        sys.executable, *run, cwd=tmp_path, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE
    )
    developer = await asyncio.create_subprocess_exec(
        sys.executable, *run, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
        env={k: v for k, v in {**os.environ, **env}.items() if k != ENV_FILE_VARIABLE},
    )  # fmt: skip
    suite_out = (await suite.communicate())[0].decode()
    developer_out = (await developer.communicate())[0].decode()
    assert "application: looked up with the token" in suite_out
    assert "application: 111111111111111111" in developer_out


def test_the_installed_tearjerker_command_runs_the_same_cli_under_its_own_name():
    script = Path(sys.executable).with_name("tearjerker")
    if not script.exists():
        pytest.skip("the project is not installed in this environment (pip install -e .)")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.startswith("usage: tearjerker ")
    assert "catalog" in done.stdout and "python -m bot" not in done.stdout
