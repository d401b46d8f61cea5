"""Shared fixtures: a valid token, the shipped catalog, a real SQLite file per test; no developer settings."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.catalog import Catalog, load_catalog
from bot.config import DEFAULT_CATALOG_PATH, ENV_FILE_VARIABLE, SETTING_NAMES
from bot.db import Storage
from tests.postgres import PostgresServer, start_server

# Hermetic: a developer's own settings (their .env, or values exported in their shell) change nothing
# the suite tests, in this process or in the bot processes it starts. Tests pass what they need.
for _name in SETTING_NAMES:
    os.environ.pop(_name, None)
os.environ[ENV_FILE_VARIABLE] = "none"

# Shaped like a bot token (three dot-separated parts) but not one.
FAKE_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GfakeX.fake-token-for-tests_only"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG_PATH)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture
async def postgres_dsn(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A new, empty database on the session's server for one test."""
    name = f"tj_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(postgres_server.admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield postgres_server.dsn(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a database runs once per backend: the same behaviour on both."""
    return request.param


@pytest.fixture
def db_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where the test's database is: a SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        return tmp_path / "db" / "tearjerker.db"
    return request.getfixturevalue("postgres_dsn")


@pytest.fixture
async def storage(db_target: Path | str) -> AsyncIterator[Storage]:
    store = await Storage.open(db_target)
    try:
        yield store
    finally:
        await store.close()
