from __future__ import annotations

import sqlite3

import pytest

from bot.storage import Migration, Storage, bundled_migrations, migrate


async def test_new_database_is_created_with_its_folder_and_migrated(tmp_path):
    path = tmp_path / "deep" / "folder" / "t.db"
    store = await Storage.open(path)
    try:
        assert path.exists()
        assert await store.schema_version() == len(bundled_migrations())
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_migrations_run_once_across_reopen(tmp_path):
    path = tmp_path / "t.db"
    store = await Storage.open(path)
    await store.close()
    store = await Storage.open(path)
    try:
        assert await migrate(store.writer._conn, path, bundled_migrations()) == 0
    finally:
        await store.close()


async def test_failed_migration_rolls_back_whole(tmp_path):
    path = tmp_path / "t.db"
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        await Storage.open(path, [good, bad])
    store = await Storage.open(path, [good])
    try:
        assert await store.schema_version() == 1
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "a" in tables and "b" not in tables


async def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await Storage.open(path)


async def test_presented_message_is_recorded_once(storage):
    for _ in range(2):
        await storage.record_presented(
            message_id=10, guild_id=1, channel_id=2, title_id="mr-sunshine", kind="drama", requested_by=3
        )
    found = await storage.presented(10)
    assert found is not None and found.title_id == "mr-sunshine" and found.requested_by == 3
    assert await storage.presented(11) is None


async def test_recent_titles_are_newest_first_per_member_and_kind(storage):
    for i, title in enumerate(["a", "b", "a", "c"]):
        await storage.record_presented(
            message_id=100 + i, guild_id=1, channel_id=2, title_id=title, kind="drama", requested_by=7,
            created_at=1000 + i,
        )  # fmt: skip
    await storage.record_presented(
        message_id=200, guild_id=1, channel_id=2, title_id="z", kind="ost", requested_by=7, created_at=2000
    )
    await storage.record_presented(
        message_id=201, guild_id=1, channel_id=2, title_id="y", kind="drama", requested_by=8, created_at=2000
    )
    assert await storage.recent_titles(7, "drama", 10) == ["c", "a", "b"]
    assert await storage.recent_titles(7, "drama", 2) == ["c", "a"]


async def test_meta_round_trips_and_overwrites(storage):
    assert await storage.get_meta("k") is None
    await storage.set_meta("k", "1")
    await storage.set_meta("k", "2")
    assert await storage.get_meta("k") == "2"
