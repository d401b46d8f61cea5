"""End-to-end harness: the project's own bot, built as `python -m bot` builds it, against the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.client import Tearjerker
from bot.config import DEFAULT_CATALOG_PATH, Settings
from bot.db import Storage
from tests.fakediscord import FakeDiscord, Guild, Member, running_fake


@dataclass
class Running:
    bot: Tearjerker
    storage: Storage
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)
        await self.storage.close()


StartBot = Callable[..., Awaitable[Running]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as fake:
        yield fake
        # Every test also proves the bot broke no Discord rule and used no route the fake lacks.
        assert fake.unknown_routes == [], f"routes the fake does not know: {fake.unknown_routes}"
        assert fake.violations == [], f"Discord rules broken: {fake.violations}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tearjerker.db"


@pytest.fixture
def db_target(backend: str, db_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """The bot's database for one test, on each backend in turn: a SQLite file or a new PostgreSQL
    database on the session's server."""
    return db_path if backend == "sqlite" else request.getfixturevalue("postgres_dsn")


def settings_for(fake: FakeDiscord, target: Path | str, **extra: Any) -> Settings:
    """Settings as an operator's .env would give them, for the fake Discord and this database."""
    database = {"database_dsn": target} if isinstance(target, str) else {"database_path": target}
    values: dict[str, Any] = {"catalog_path": DEFAULT_CATALOG_PATH, "database_path": Path("unused.db")}
    return Settings(token=fake.token, **{**values, **database, **extra})


@pytest.fixture
async def start_bot(start_bot_on: Callable[..., Awaitable[Running]], db_target: Path | str) -> StartBot:
    """Start the bot on this test's database (each backend in turn)."""

    async def start(**kwargs: Any) -> Running:
        return await start_bot_on(db_target, **kwargs)

    return start


@pytest.fixture
async def start_bot_on(fake: FakeDiscord) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    running: list[Running] = []

    async def start(
        db_target: Path | str,
        *,
        dev_guild_id: int | None = None,
        shards: int = 1,
        catalog_path: Path | None = None,
        **extra: Any,
    ) -> Running:
        settings = settings_for(
            fake, db_target, catalog_path=catalog_path or DEFAULT_CATALOG_PATH, log_level="DEBUG",
            dev_guild_id=dev_guild_id, **extra,
        )  # fmt: skip
        catalog = load_catalog(settings.catalog_path)
        storage = await Storage.open(settings.database)
        bot = Tearjerker(settings=settings, storage=storage, catalog=catalog)
        # discord.py waits this long after the last GUILD_CREATE before `on_ready` (a public client
        # option, 2 s by default); a handful of fake guilds all arrive at once, so a short wait is enough.
        bot._connection.guild_ready_timeout = 0.2
        before = len(fake.identifies)
        await bot.login(settings.token)
        task = asyncio.create_task(bot.connect(reconnect=True))
        await fake.wait_for(lambda: len(fake.identifies) >= before + shards, what="the bot to IDENTIFY")
        await fake.wait_connected(shards)
        handle = Running(bot, storage, task)
        running.append(handle)
        return handle

    yield start
    for handle in running:
        if not handle.bot.is_closed():
            await handle.stop()


@pytest.fixture
def guild(fake: FakeDiscord) -> Guild:
    return fake.create_guild("Tissue Box")


@pytest.fixture
def member(fake: FakeDiscord, guild: Guild) -> Member:
    return fake.create_member(guild, "mina")


@pytest.fixture
def other_member(fake: FakeDiscord, guild: Guild) -> Member:
    return fake.create_member(guild, "joon")


async def completed_pick(fake: FakeDiscord, record) -> object:
    """A pick is complete when the bot has recorded it and added its 😭, the last step it takes."""
    message = await record.wait_answer()
    await fake.wait_for(
        lambda: fake.bot_user.id in getattr(message.reactions.get("😭"), "users", []), what="the pick"
    )
    return message


async def eventually(read, expected, timeout: float = 5.0, what: str = "") -> None:
    """Poll an async read until it returns `expected` (votes commit with the writer's next batch)."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = None
    while asyncio.get_running_loop().time() < deadline:
        value = await read()
        if value == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what or read}: expected {expected!r}, last saw {value!r}")
