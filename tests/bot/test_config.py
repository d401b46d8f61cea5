from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_CATALOG_PATH,
    ENV_FILE_VARIABLE,
    PROJECT_ROOT,
    SETTING_NAMES,
    RedactFilter,
    SettingsError,
    load_settings,
    parse_database_url,
    setup_logging,
)
from tests.conftest import FAKE_TOKEN


def settings_from(env: dict[str, str], env_file: Path | None = None):
    return load_settings(environ=env, env_file=env_file)


def test_defaults_resolve_inside_the_project_whatever_the_cwd(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = settings_from({"DISCORD_TOKEN": FAKE_TOKEN})
    assert s.database_path == PROJECT_ROOT / "data" / "tearjerker.db"
    assert s.catalog_path == DEFAULT_CATALOG_PATH
    assert s.log_level == "INFO" and s.dev_guild_id is None


def test_missing_token_names_the_setting_and_the_fix():
    with pytest.raises(SettingsError, match=r"DISCORD_TOKEN is not set.*\.env"):
        settings_from({})


@pytest.mark.parametrize("token", ["not-a-token", "Bot " + FAKE_TOKEN, "a.b"])
def test_malformed_token_is_refused(token):
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        settings_from({"DISCORD_TOKEN": token})


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nLOG_LEVEL=debug\nDEV_GUILD_ID=123456789012345678\n")
    s = settings_from({"LOG_LEVEL": "warning"}, env_file)
    assert s.token == FAKE_TOKEN
    assert s.log_level == "WARNING"
    assert s.dev_guild_id == 123456789012345678


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("DATABASE_URL", "mysql://x/y", "unsupported scheme 'mysql'"),
        ("DATABASE_URL", "postgresql://user:pw@host", "needs a host and a database name"),
        ("DB_POOL_SIZE", "0", "DB_POOL_SIZE"),
        ("DATABASE_URL", "sqlite:///", "no file name"),
        ("DATABASE_URL", "sqlite:///:memory:", "in-memory"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DEV_GUILD_ID", "abc", "DEV_GUILD_ID"),
        ("DISCORD_APPLICATION_ID", "42", "DISCORD_APPLICATION_ID"),
        ("CATALOG_PATH", "/nowhere/catalog.toml", "CATALOG_PATH: nothing at"),
        ("CATCHUP_DAYS", "a week", "CATCHUP_DAYS"),
        ("CATCHUP_DAYS", "400", "CATCHUP_DAYS"),
        ("VOTE_EMOJIS", " , ", "VOTE_EMOJIS"),
        ("CATCHUP_RATE", "fast", "CATCHUP_RATE"),
        ("CATCHUP_RATE", "80", "CATCHUP_RATE"),
        ("CATCHUP_QUIET_DAYS", "-1", "CATCHUP_QUIET_DAYS"),
        ("METRICS_PORT", "70000", "METRICS_PORT"),
        ("METRICS_PORT", "nine", "METRICS_PORT"),
    ],
)
def test_malformed_setting_names_itself(name, value, match):
    with pytest.raises(SettingsError, match=match):
        settings_from({"DISCORD_TOKEN": FAKE_TOKEN, name: value})


def test_vote_emojis_and_catch_up_window_are_read():
    s = settings_from({"DISCORD_TOKEN": FAKE_TOKEN, "VOTE_EMOJIS": "😭, 😢", "CATCHUP_DAYS": "3"})
    assert s.vote_emojis == ("😭", "😢") and s.catchup_days == 3
    assert settings_from({"DISCORD_TOKEN": FAKE_TOKEN}).vote_emojis == ("😭",)


def test_catch_up_pace_and_metrics_are_off_localhost_by_default_and_read():
    default = settings_from({"DISCORD_TOKEN": FAKE_TOKEN})
    assert (default.catchup_rate, default.catchup_quiet_days, default.metrics_port) == (10.0, 3, None)
    assert default.metrics_host == "127.0.0.1"
    s = settings_from({
        "DISCORD_TOKEN": FAKE_TOKEN, "CATCHUP_RATE": "2.5", "CATCHUP_QUIET_DAYS": "7",
        "METRICS_PORT": "9464", "METRICS_HOST": "0.0.0.0",
    })  # fmt: skip
    assert (s.catchup_rate, s.catchup_quiet_days, s.metrics_port, s.metrics_host) == (2.5, 7, 9464, "0.0.0.0")


def test_shards_split_over_processes():
    s = settings_from({"DISCORD_TOKEN": FAKE_TOKEN, "SHARD_COUNT": "8", "SHARD_IDS": "0-2, 5"})
    assert s.shard_count == 8 and s.shard_ids == (0, 1, 2, 5)
    whole = settings_from({"DISCORD_TOKEN": FAKE_TOKEN})
    assert whole.shard_count is None and whole.shard_ids is None


@pytest.mark.parametrize(
    ("count", "ids", "match"),
    [("", "0", "SHARD_IDS needs SHARD_COUNT"), ("two", "", "SHARD_COUNT"), ("2", "2", "below SHARD_COUNT"),
     ("4", "1,1", "appear once"), ("4", "a-b", "SHARD_IDS")],
)  # fmt: skip
def test_bad_shard_settings_are_named(count, ids, match):
    with pytest.raises(SettingsError, match=match):
        settings_from({"DISCORD_TOKEN": FAKE_TOKEN, "SHARD_COUNT": count, "SHARD_IDS": ids})


def test_database_url_relative_and_absolute(tmp_path):
    assert parse_database_url("sqlite:///data/x.db") == PROJECT_ROOT / "data" / "x.db"
    assert parse_database_url(f"sqlite:///{tmp_path}/x.db") == tmp_path / "x.db"


def test_settings_are_immutable_and_hide_the_token():
    s = settings_from({"DISCORD_TOKEN": FAKE_TOKEN})
    assert FAKE_TOKEN not in repr(s)
    with pytest.raises(AttributeError):
        s.log_level = "DEBUG"  # type: ignore[misc]


def test_log_filter_redacts_the_token_from_any_logger(caplog):
    logger = logging.getLogger("some.library")
    redact = RedactFilter(FAKE_TOKEN)
    logger.addFilter(redact)
    try:
        with caplog.at_level(logging.DEBUG):
            logger.debug("sending IDENTIFY with %s", FAKE_TOKEN)
    finally:
        logger.removeFilter(redact)
    assert FAKE_TOKEN not in caplog.text
    assert "[token redacted]" in caplog.text


def test_json_logs_are_one_object_per_line_with_shard_guild_and_every_secret_redacted(capsys):
    password = "s3cret-pa55word"
    settings = settings_from(
        {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "LOG_FORMAT": " JSON ",
            "DATABASE_URL": f"postgresql://bot:{password}@db.example:5432/tears",
        }
    )
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(settings)
        log = logging.getLogger("bot.weekly.service")
        log.info("posted in server %s with %s", 42, FAKE_TOKEN, extra={"guild": 42})
        try:
            raise RuntimeError(f"connect failed for bot:{password}@db.example")
        except RuntimeError:
            log.exception("catch-up for shard %s failed", 3, extra={"shard": 3})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    first, second = lines
    assert first["level"] == "INFO" and first["logger"] == "bot.weekly.service" and first["guild"] == 42
    assert first["message"] == "posted in server 42 with [token redacted]" and first["time"].endswith(
        "+00:00"
    )
    assert second["shard"] == 3 and "RuntimeError" in second["exception"]
    text = json.dumps(lines)
    assert FAKE_TOKEN not in text and password not in text and "[redacted]" in second["exception"]


def test_an_unknown_log_format_is_refused():
    with pytest.raises(SettingsError, match="LOG_FORMAT: 'xml' is not one of text, json"):
        settings_from({"DISCORD_TOKEN": FAKE_TOKEN, "LOG_FORMAT": "xml"})


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "PYTHONPATH": str(PROJECT_ROOT),
        ENV_FILE_VARIABLE: "none",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_without_token_prints_one_line_and_exits_2(tmp_path):
    result = run_cli("check", env={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DISCORD_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_cli_check_accepts_the_shipped_catalog_from_another_folder(tmp_path):
    result = run_cli("check", env={"DISCORD_TOKEN": FAKE_TOKEN}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"Catalog OK: \d\d dramas, \d\d OSTs", result.stdout)
    assert FAKE_TOKEN not in result.stdout + result.stderr


def test_cli_check_names_the_broken_catalog_entry(tmp_path):
    broken = tmp_path / "catalog.toml"
    broken.write_text(
        '[moods.sad]\nlabel = "Sad"\n[[drama]]\nid = "x"\ntitle = "X"\nhangul = "엑스"\nyear = "soon"\n'
    )
    result = run_cli("check", env={"DISCORD_TOKEN": FAKE_TOKEN, "CATALOG_PATH": str(broken)}, cwd=tmp_path)
    assert result.returncode == 2
    assert str(broken) in result.stderr
    assert "drama #1 (x): field 'year': expected a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_help_lists_every_command(tmp_path):
    result = run_cli("--help", env={}, cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "sync", "invite", "check", "health"):
        assert command in result.stdout


def test_a_settings_file_can_be_named_or_switched_off(tmp_path):
    other = tmp_path / "shard1.env"
    other.write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nSHARD_COUNT=2\nSHARD_IDS=1\n")
    s = load_settings(environ={ENV_FILE_VARIABLE: str(other)})
    assert (s.shard_count, s.shard_ids) == (2, (1,))
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        load_settings(environ={ENV_FILE_VARIABLE: "none"})
    with pytest.raises(SettingsError, match=f"{ENV_FILE_VARIABLE}: no file at"):
        load_settings(environ={ENV_FILE_VARIABLE: str(tmp_path / "missing.env")})


def test_the_suite_runs_without_any_developer_setting():
    import os

    assert os.environ[ENV_FILE_VARIABLE] == "none"
    assert not [name for name in SETTING_NAMES if name in os.environ]


@pytest.mark.parametrize("setting", ["DEV_GUILD_ID", "DISCORD_APPLICATION_ID", "CATCHUP_DAYS", "SHARD_IDS"])
def test_a_settings_error_never_echoes_a_token_shaped_value(setting):
    env = {"DISCORD_TOKEN": FAKE_TOKEN, setting: FAKE_TOKEN}
    if setting == "SHARD_IDS":
        env["SHARD_COUNT"] = "2"
    with pytest.raises(SettingsError) as raised:
        settings_from(env)
    assert setting in str(raised.value) and FAKE_TOKEN not in str(raised.value)


def test_a_postgresql_url_is_taken_and_its_password_never_shown():
    dsn = "postgresql://tearjerker:s3cret-pw@db.example:5432/tearjerker"
    s = settings_from({"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": dsn, "DB_POOL_SIZE": "4"})
    assert s.database == dsn and s.db_pool_size == 4
    assert s.database_shown == "postgresql://tearjerker:***@db.example:5432/tearjerker"
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" in s.secrets


def test_cli_check_never_prints_the_database_password(tmp_path):
    dsn = "postgresql://tearjerker:s3cret-pw@db.example:5432/tearjerker"
    result = run_cli("check", env={"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": dsn}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "postgresql://tearjerker:***@db.example:5432/tearjerker" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr
