"""Shared fixtures: a valid token, the shipped catalog, a real SQLite file per test; no developer settings."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.config import DEFAULT_CATALOG_PATH, ENV_FILE_VARIABLE, SETTING_NAMES
from bot.db import Storage

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


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "db" / "tearjerker.db")
    try:
        yield store
    finally:
        await store.close()
