"""Operator CLI: `python -m bot [run|sync|invite|check|health|db status|db copy|catalog merge]`.

Settings, catalog and database are built here and passed into the bot (discord.py's
advanced_startup pattern). Configuration problems print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import discord

from bot.catalog import Catalog, load_catalog
from bot.catalog_file import merge
from bot.client import Tearjerker, invite_url
from bot.config import (
    OperatorError,
    Settings,
    SettingsError,
    load_settings,
    parse_postgres_url,
    redact_dsn,
    setup_logging,
)
from bot.db import Storage
from bot.db.copy import CopyError, copy_database
from bot.health import HealthReport, database_error, judge_reports

log = logging.getLogger("bot")


class ConfigurationError(SettingsError):
    """A command-line choice the operator can fix."""


EXIT_CONFIG = 2

# Anything shaped like a bot token, wherever it turns up in a line we print ourselves (the log
# filter only sees log records).
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}")


def _redacted(text: str, settings: Settings | None = None) -> str:
    for secret in settings.secrets if settings is not None else ():
        text = text.replace(secret, "[redacted]")
    return _TOKENISH.sub("[token redacted]", text)


def _say(text: str, settings: Settings | None = None) -> None:
    """One line for the operator on stderr, with any secret taken out."""
    print(_redacted(text, settings), file=sys.stderr)


def _load() -> tuple[Settings, Catalog]:
    settings = load_settings()
    setup_logging(settings)
    return settings, load_catalog(settings.catalog_path)


async def _run(settings: Settings, catalog: Catalog) -> None:
    storage = await Storage.open(settings.database, pool_size=settings.db_pool_size)
    try:
        async with Tearjerker(settings=settings, storage=storage, catalog=catalog) as bot:
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):  # not available on Windows
                loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(settings.token)
    finally:
        await storage.close()


async def _sync(settings: Settings, catalog: Catalog, guild_id: int | None) -> None:
    storage = await Storage.open(settings.database, pool_size=settings.db_pool_size)
    try:
        async with Tearjerker(
            settings=settings, storage=storage, catalog=catalog, sync_on_start=False
        ) as bot:
            await bot.login(settings.token)
            await bot.sync_commands(force=True, guild_id=guild_id)
    finally:
        await storage.close()


async def _application_id(settings: Settings) -> int:
    if settings.application_id is not None:
        return settings.application_id
    async with discord.Client(intents=discord.Intents(guilds=True)) as client:  # login only, no gateway
        await client.login(settings.token)
        assert client.application_id is not None
        return client.application_id


def _check(settings: Settings, catalog: Catalog) -> None:
    print("Settings OK.")
    print(f"  database: {settings.database_shown}")
    print(f"  catalog:  {settings.catalog_path}")
    print(f"  dev guild: {settings.dev_guild_id or 'none (commands are registered globally)'}")
    print(f"  application: {settings.application_id or 'looked up with the token'}")
    print(f"Catalog OK: {len(catalog.dramas)} dramas, {len(catalog.osts)} OSTs, {len(catalog.moods)} moods.")


async def _db_status(settings: Settings) -> None:
    storage = await Storage.open(settings.database, pool_size=1)
    try:
        print(f"Backend: {storage.kind} ({settings.database_shown})")
        print(f"Schema version: {await storage.schema_version()}")
        for table, count in (await storage.row_counts()).items():
            print(f"  {table:<20} {count:>10,} rows")
        tallies = await storage.all_tallies()
        print(f"Votes counted everywhere: {sum(c for g, _t, c in tallies if g == 0):,}")
    finally:
        await storage.close()


async def _health(settings: Settings) -> int:
    """Every shard of the deployment connected (as their processes last reported) and the database
    answering: exit 0, else 1. Reads the database only, so it works from any machine that reaches it."""
    if not settings.database_dsn and not settings.database_path.exists():
        report = HealthReport({}, f"no database file at {settings.database_path} (has the bot run here?)")
    else:
        try:
            storage = await Storage.open(settings.database, pool_size=1)
        except OperatorError as exc:
            report = HealthReport({}, str(exc))
        else:
            try:
                problem = await database_error(storage.ping)
                reports = await storage.shard_reports() if problem is None else []
            finally:
                await storage.close()
            shards, notes = judge_reports(reports, settings.shard_ids, settings.shard_count, int(time.time()))
            report = HealthReport(shards, problem, notes)
    for line in report.lines():
        print(_redacted(line, settings))  # a driver's error could quote the DSN it was given
    return 0 if report.ok else 1


async def _db_copy(settings: Settings, target_url: str) -> None:
    target_url = parse_postgres_url(target_url)  # refuses anything that is not postgresql://…
    source = await Storage.open(settings.database, pool_size=1)
    try:
        if source.kind != "sqlite":
            raise ConfigurationError("db copy: DATABASE_URL must be the SQLite database to copy from")
        target = await Storage.open(target_url, pool_size=2)
        try:
            report = await copy_database(source, target)
        except CopyError as exc:
            raise ConfigurationError(f"db copy: {exc}") from None
        finally:
            await target.close()
    finally:
        await source.close()
    for table, rows in report.rows.items():
        print(f"  {table:<20} {rows:>10,} rows copied")
    print(f"Copied into {redact_dsn(target_url)}: row counts and every tally match on both sides.")
    print("Point DATABASE_URL at it to run the bot on PostgreSQL.")


def build_parser() -> argparse.ArgumentParser:
    # Installed with pip, the same CLI is the `tearjerker` command: its usage lines say so.
    prog = "tearjerker" if Path(sys.argv[0]).name == "tearjerker" else "python -m bot"
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Tearjerker, a Discord bot for a good cry. Without a command, runs the bot.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run", help="run the bot (the default)", description="Connect to Discord and serve members."
    )
    sync = sub.add_parser(
        "sync",
        help="register the slash commands with Discord now",
        description="Register the slash commands now, even if unchanged. Global commands can take a while "
        "to appear in clients; a guild sync shows at once.",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="sync to this server only (for development)")
    sub.add_parser(
        "invite",
        help="print the URL that invites the bot to a server",
        description="Print the OAuth2 invite URL with exactly the permissions the bot needs. Uses "
        "DISCORD_APPLICATION_ID, or looks the application up with the token.",
    )
    sub.add_parser(
        "check",
        help="validate settings and catalog without connecting",
        description="Validate settings and the catalog file, then exit 0 (or 2 with the problem).",
    )
    sub.add_parser(
        "health",
        help="exit 0 if every shard is connected and the database answers, else 1",
        description="Ask the database how each shard's process last reported it (they report every "
        "20 s), and whether the database answers. Exit 0 when all is well, 1 when not: for systemd, "
        "Docker or any supervisor. Shards: SHARD_IDS, else all of SHARD_COUNT, else as reported.",
    )
    db = sub.add_parser(
        "db", help="the database: status, or copy SQLite into PostgreSQL", description="Database tools."
    )
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_sub.add_parser(
        "status",
        help="backend, schema version and row counts",
        description="Show the backend, schema version and row counts of the database in DATABASE_URL.",
    )
    copy = db_sub.add_parser(
        "copy",
        help="copy the SQLite database into an empty PostgreSQL one",
        description="Copy every row of the SQLite database in DATABASE_URL into an empty PostgreSQL "
        "database, then check row counts and tallies on both sides. Stop the bot first.",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user:password@host:port/db")
    catalog = sub.add_parser(
        "catalog", help="the catalog: merge a server's exported suggestions", description="Catalog tools."
    )
    catalog_sub = catalog.add_subparsers(dest="catalog_command", metavar="CATALOG_COMMAND", required=True)
    merge_parser = catalog_sub.add_parser(
        "merge",
        help="validate a file of entries (e.g. from /suggestions export) and add them to the catalog",
        description="Validate FILE together with the catalog, exactly as the bot loads it, refuse titles "
        "the catalog already has, then append its entries to the catalog's files. Nothing is written "
        "unless every entry passes.",
    )
    merge_parser.add_argument(
        "file", type=Path, metavar="FILE", help="a .toml file of [[drama]] and [[ost]] entries"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    settings: Settings | None = None
    try:
        settings, catalog = _load()
        if command == "check":
            _check(settings, catalog)
        elif command == "health":
            return asyncio.run(_health(settings))
        elif command == "invite":
            print(invite_url(asyncio.run(_application_id(settings))))
        elif command == "sync":
            asyncio.run(_sync(settings, catalog, args.guild))
        elif command == "db" and args.db_command == "status":
            asyncio.run(_db_status(settings))
        elif command == "db":
            asyncio.run(_db_copy(settings, args.to))
        elif command == "catalog":
            merged = merge(settings.catalog_path, args.file)
            names = ", ".join(str(p) for p in merged.files) or "nothing"
            dramas = f"{merged.dramas} drama{'' if merged.dramas == 1 else 's'}"
            osts = f"{merged.osts} OST{'' if merged.osts == 1 else 's'}"
            print(f"Merged {dramas} and {osts} into {names}.")
        else:
            asyncio.run(_run(settings, catalog))
    except OperatorError as exc:
        _say(f"{exc.label}: {exc}", settings)
        return EXIT_CONFIG
    except discord.LoginFailure:
        _say(
            "Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal (Bot -> Reset Token) "
            "and paste the new one into .env"
        )
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        _say(
            "Discord refused the connection over privileged intents; Tearjerker asks for none (is this copy modified?)"
        )
        return EXIT_CONFIG
    except (aiohttp.ClientError, TimeoutError, discord.GatewayNotFound, discord.DiscordServerError) as exc:
        reason = str(exc) or type(exc).__name__
        _say(
            f"Could not reach Discord ({reason}); check the network, DNS and firewall, then start again",
            settings,
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
