"""Settings: read once at start from the environment and `.env`, validated, immutable.

Fail fast: a missing or malformed value raises `SettingsError` with one line that names the setting and
how to fix it; `python -m bot` prints that line and exits with status 2.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/tearjerker.db"
DEFAULT_CATALOG_PATH = PROJECT_ROOT / "data" / "catalog"
DEFAULT_ENV_FILE = PROJECT_ROOT / ".env"

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class OperatorError(Exception):
    """Something the operator can fix (settings, catalog, database, Discord access): `python -m bot`
    prints `label: message`, never a traceback, and exits with status 2."""

    label = "Error"


class SettingsError(OperatorError):
    """A setting is missing or malformed; the message is one line meant for the operator."""

    label = "Settings error"


# Every setting the bot reads, so tests can clear a developer's own values from their environment.
SETTING_NAMES = (
    "DISCORD_TOKEN", "DISCORD_APPLICATION_ID", "DATABASE_URL", "CATALOG_PATH", "LOG_LEVEL", "DEV_GUILD_ID",
    "VOTE_EMOJIS", "CATCHUP_DAYS", "SHARD_COUNT", "SHARD_IDS", "DB_POOL_SIZE", "LOG_FORMAT",
    "CATCHUP_RATE", "CATCHUP_QUIET_DAYS", "METRICS_PORT", "METRICS_HOST",
)  # fmt: skip
_LOG_FORMATS = ("text", "json")
# Names another settings file instead of the project's .env, or `none` for no file at all.
ENV_FILE_VARIABLE = "TEARJERKER_ENV_FILE"


def shown(value: str) -> str:
    """A value quoted back in an error message, unless it could be a secret pasted into the wrong
    setting: a token (three dot-separated parts) or anything long is never echoed."""
    if _TOKEN_SHAPE.match(value) or len(value) > 32:
        return "(a long value, not shown in case it is a token)"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment. The token is kept out of `repr`."""

    token: str = field(repr=False)
    database_path: Path
    catalog_path: Path
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line, for log collectors
    dev_guild_id: int | None = None
    application_id: int | None = None
    vote_emojis: tuple[str, ...] = ("😭",)
    catchup_days: int = 14
    catchup_quiet_days: int = 3  # picks without a vote older than this are not re-read
    catchup_rate: float = 10.0  # catch-up requests a second per process; 0: no limit
    metrics_port: int | None = None  # None: no metrics or health endpoint
    metrics_host: str = "127.0.0.1"
    shard_count: int | None = None  # None: as many as Discord recommends
    shard_ids: tuple[int, ...] | None = None  # None: all of them in this process
    database_dsn: str | None = field(default=None, repr=False)  # postgresql://…; None: SQLite
    db_pool_size: int = 10

    @property
    def database(self) -> Path | str:
        """What Storage.open takes: the PostgreSQL DSN, or the SQLite file."""
        return self.database_dsn or self.database_path

    @property
    def database_shown(self) -> str:
        """The database as logs, errors and `check` may show it: never with its password."""
        return redact_dsn(self.database_dsn) if self.database_dsn else str(self.database_path)

    @property
    def secrets(self) -> tuple[str, ...]:
        password = urlsplit(self.database_dsn).password if self.database_dsn else None
        return tuple(s for s in (self.token, password) if s)


def _resolve(path: str) -> Path:
    """Relative paths are taken from the project folder, so the bot behaves the same from any cwd."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_ROOT / p)


def redact_dsn(dsn: str) -> str:
    """A DSN as it may be shown: its password replaced by ***."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_postgres_url(url: str) -> str:
    """`postgresql://user:password@host:port/database`: checked for its parts, never echoed with the
    password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SettingsError(f"DATABASE_URL: {redact_dsn(url)} is not a valid postgresql:// address") from None
    if not parts.hostname or not parts.path.strip("/"):
        raise SettingsError(
            "DATABASE_URL: a PostgreSQL address needs a host and a database name, "
            "e.g. postgresql://tearjerker:PASSWORD@db.example:5432/tearjerker"
        )
    del port
    return url


def parse_database_url(url: str) -> Path | str:
    """`sqlite:///relative/file.db` (relative to the project), `sqlite:////absolute/file.db`, or a
    `postgresql://…` address (returned as it is)."""
    if url.startswith(("postgresql://", "postgres://")):
        return parse_postgres_url(url)
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        scheme = url.split(":", 1)[0] if ":" in url else url
        raise SettingsError(
            f"DATABASE_URL: unsupported scheme {shown(scheme)}; use sqlite:///path/to/file.db "
            "(relative to the project), sqlite:////absolute/path.db or postgresql://user:password@host/db"
        )
    rest = url[len(prefix) :]
    if not rest or rest.endswith("/"):
        raise SettingsError("DATABASE_URL: no file name after sqlite:///, e.g. sqlite:///data/tearjerker.db")
    if rest == ":memory:":
        raise SettingsError("DATABASE_URL: an in-memory database would lose every vote; give a file path")
    return _resolve(rest)


def check_database_path(path: Path) -> None:
    """The database must be a file (or not exist yet) in a folder (or in no folder yet)."""
    if path.is_dir():
        raise SettingsError(
            f"DATABASE_URL: {path} is a folder; name a file in it, e.g. {path / 'tearjerker.db'}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SettingsError(
                    f"DATABASE_URL: {parent} is a file, not a folder; the database cannot go inside it"
                )
            return


def _snowflake(name: str, value: str) -> int:
    if not value.isdigit() or not 15 <= len(value) <= 20:
        raise SettingsError(
            f"{name}: {shown(value)} is not a Discord id; enable Developer Mode in Discord and use Copy ID"
        )
    return int(value)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = DEFAULT_ENV_FILE
) -> Settings:
    """Merge `.env` (lower priority) with the process environment and validate every value."""
    environment = os.environ if environ is None else environ
    chosen = environment.get(ENV_FILE_VARIABLE)
    if chosen is not None and env_file == DEFAULT_ENV_FILE:
        env_file = None if chosen.strip().lower() in ("", "none") else _resolve(chosen.strip())
        if env_file is not None and not env_file.is_file():
            raise SettingsError(
                f"{ENV_FILE_VARIABLE}: no file at {env_file}; name a settings file, or 'none'"
            )
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(environment)

    def get(name: str) -> str:
        return values.get(name, "").strip()

    token = get("DISCORD_TOKEN")
    if not token:
        raise SettingsError(
            "DISCORD_TOKEN is not set: copy .env.example to .env and paste the token from "
            "Discord Developer Portal -> your app -> Bot -> Reset Token"
        )
    if token.lower().startswith("bot "):
        raise SettingsError("DISCORD_TOKEN: remove the 'Bot ' prefix; paste the token alone")
    if not _TOKEN_SHAPE.match(token):
        raise SettingsError(
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); "
            "copy it again from Developer Portal -> Bot -> Reset Token"
        )

    database = parse_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if isinstance(database, Path):
        check_database_path(database)
    pool_raw = get("DB_POOL_SIZE") or "10"
    if not pool_raw.isdigit() or not 1 <= int(pool_raw) <= 100:
        raise SettingsError(f"DB_POOL_SIZE: {shown(pool_raw)} is not a number of connections from 1 to 100")

    catalog_raw = get("CATALOG_PATH")
    catalog_path = _resolve(catalog_raw) if catalog_raw else DEFAULT_CATALOG_PATH
    if not catalog_path.exists():
        raise SettingsError(
            f"CATALOG_PATH: nothing at {catalog_path}; point it at a catalog .toml file or a folder of them"
        )

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL: {shown(log_level)} is not one of {', '.join(_LOG_LEVELS)}")

    log_format = (get("LOG_FORMAT") or "text").strip().lower()
    if log_format not in _LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT: {shown(log_format)} is not one of {', '.join(_LOG_FORMATS)}")

    vote_emojis = tuple(e.strip() for e in (get("VOTE_EMOJIS") or "😭").split(",") if e.strip())
    if not vote_emojis or any(" " in e or len(e) > 32 for e in vote_emojis):
        raise SettingsError("VOTE_EMOJIS: give emoji separated by commas, e.g. 😭,😢 (custom emoji by id)")

    days_raw = get("CATCHUP_DAYS") or "14"
    if not days_raw.isdigit() or not 0 <= int(days_raw) <= 365:
        raise SettingsError(f"CATCHUP_DAYS: {shown(days_raw)} is not a number of days from 0 to 365")

    quiet_raw = get("CATCHUP_QUIET_DAYS") or "3"
    if not quiet_raw.isdigit() or not 0 <= int(quiet_raw) <= 365:
        raise SettingsError(f"CATCHUP_QUIET_DAYS: {shown(quiet_raw)} is not a number of days from 0 to 365")
    rate_raw = get("CATCHUP_RATE") or "10"
    try:
        rate = float(rate_raw)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 50:
        raise SettingsError(
            f"CATCHUP_RATE: {shown(rate_raw)} is not a number of requests a second from 0 (no limit) to 50"
        )
    metrics_raw = get("METRICS_PORT")
    if metrics_raw and (not metrics_raw.isdigit() or not 1 <= int(metrics_raw) <= 65535):
        raise SettingsError(f"METRICS_PORT: {shown(metrics_raw)} is not a port number from 1 to 65535")
    metrics_host = get("METRICS_HOST") or "127.0.0.1"
    if " " in metrics_host or len(metrics_host) > 255:
        raise SettingsError(f"METRICS_HOST: {shown(metrics_host)} is not a host name or address to listen on")

    shard_count, shard_ids = parse_shards(get("SHARD_COUNT"), get("SHARD_IDS"))

    dev_guild = get("DEV_GUILD_ID")
    app_id = get("DISCORD_APPLICATION_ID")
    return Settings(
        token=token,
        database_path=database if isinstance(database, Path) else _resolve(DEFAULT_DATABASE_URL[10:]),
        database_dsn=database if isinstance(database, str) else None,
        db_pool_size=int(pool_raw),
        catalog_path=catalog_path,
        log_level=log_level,
        log_format=log_format,
        dev_guild_id=_snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None,
        application_id=_snowflake("DISCORD_APPLICATION_ID", app_id) if app_id else None,
        vote_emojis=vote_emojis,
        catchup_days=int(days_raw),
        catchup_quiet_days=int(quiet_raw),
        catchup_rate=rate,
        metrics_port=int(metrics_raw) if metrics_raw else None,
        metrics_host=metrics_host,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )


def parse_shards(count_raw: str, ids_raw: str) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT=4 and SHARD_IDS=0,1 or 0-1: this process runs shards 0 and 1 of 4."""
    if not count_raw:
        if ids_raw:
            raise SettingsError("SHARD_IDS needs SHARD_COUNT too: every process must agree on the total")
        return None, None
    if not count_raw.isdigit() or not 1 <= int(count_raw) <= 10_000:
        raise SettingsError(f"SHARD_COUNT: {shown(count_raw)} is not a whole number of shards (1 or more)")
    count = int(count_raw)
    if not ids_raw:
        return count, None
    ids: list[int] = []
    for part in ids_raw.split(","):
        part = part.strip()
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise SettingsError(f"SHARD_IDS: {shown(part)} is not a shard number or range like 0-3")
        ids += range(int(low), int(high or low) + 1)
    if not ids or any(i >= count for i in ids) or len(set(ids)) != len(ids):
        raise SettingsError(f"SHARD_IDS: each id must be below SHARD_COUNT ({count}) and appear once")
    return count, tuple(sorted(ids))


class RedactFilter(logging.Filter):
    """Replaces the token (and the database password) wherever it would appear in a log line, whoever
    logs it."""

    def __init__(self, token: str, *others: str) -> None:
        super().__init__()
        pairs = [(token, "[token redacted]"), *((other, "[redacted]") for other in others)]
        self._secrets = [(secret, label) for secret, label in pairs if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret, _ in self._secrets):
            for secret, label in self._secrets:
                message = message.replace(secret, label)
            record.msg = message
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per line — time, level, logger, message, and the shard and
    server where the record knows them (`extra={"shard": …, "guild": …}`), plus the traceback as text.
    Secrets are replaced in every field, the traceback included."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._clean(record.getMessage()),
        }
        for key in ("shard", "guild"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self._clean(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: Settings) -> None:
    """One stderr handler whose filter redacts the token, even in discord.py's debug output."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(*settings.secrets))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(*settings.secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
