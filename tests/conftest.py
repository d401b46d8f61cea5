"""Shared fixtures: a valid token, the shipped catalog, and a real SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.config import DEFAULT_CATALOG_PATH
from bot.storage import Storage

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
