from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time

import aiosqlite
import pytest

from bot.config import PROJECT_ROOT
from bot.db import Migration, Storage, StorageError, VoteChange, bundled_migrations
from bot.db.sqlite import migrate, sql_statements


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
    await store.close()
    async with aiosqlite.connect(path) as conn:
        assert await migrate(conn, path, bundled_migrations()) == 0


async def test_failed_migration_rolls_back_whole(tmp_path):
    path = tmp_path / "t.db"
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(StorageError, match="no such table: nowhere"):
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
    before = path.read_bytes()
    with pytest.raises(StorageError, match="newer than this bot knows"):
        await Storage.open(path)
    assert path.read_bytes() == before  # not switched to WAL, not touched at all
    assert not path.with_name("t.db-wal").exists()


async def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"these are not the tables you are looking for\n" * 100)
    before = path.read_bytes()
    with pytest.raises(StorageError, match=r"cannot be read as a database.*file is not a database"):
        await Storage.open(path)
    assert path.read_bytes() == before


async def test_a_database_path_that_is_a_folder_or_inside_a_file_is_one_clear_error(tmp_path):
    with pytest.raises(StorageError, match="is a folder"):
        await Storage.open(tmp_path)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(StorageError, match="plain is a file, not a folder"):
        await Storage.open(tmp_path / "plain" / "sub" / "t.db")


def test_migration_statements_keep_triggers_whole_and_skip_comments():
    script = """-- a comment; with a semicolon
CREATE TABLE t (x TEXT DEFAULT ';');
CREATE TRIGGER tr AFTER INSERT ON t BEGIN
    INSERT INTO t VALUES ('a;b');
    DELETE FROM t WHERE x = ';';
END;
-- trailing comment
"""
    statements = sql_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    for migration in bundled_migrations():  # every shipped migration splits into complete statements
        assert all(sqlite3.complete_statement(s) for s in sql_statements(migration.sql))


async def test_presented_message_is_recorded_once(storage):
    for _ in range(2):
        await storage.record_presented(
            message_id=10, guild_id=1, channel_id=2, title_id="mr-sunshine", kind="drama", requested_by=3
        )
    found = await storage.presented(10)
    assert found is not None and found.title_id == "mr-sunshine" and found.requested_by == 3
    assert await storage.presented(11) is None


async def test_pick_history_is_when_each_title_was_last_shown_and_what_was_cried_to(storage):
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
    storage.change_votes(VoteChange("add", 101, 7, "r:😭"))  # member 7 cried to "b", on its pick
    await storage.flush()
    shown, cried = await storage.pick_history(7, "drama")
    assert shown == {"a": 102, "b": 101, "c": 103}  # the last message that showed each
    assert cried == {"b"}


async def test_meta_round_trips_and_overwrites(storage):
    assert await storage.get_meta("k") is None
    await storage.set_meta("k", "1")
    await storage.set_meta("k", "2")
    assert await storage.get_meta("k") == "2"


OPEN_AT = """
import asyncio, sys, time
from pathlib import Path
from bot.db import Storage

async def main() -> None:
    await asyncio.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all processes start at once
    store = await Storage.open(Path(sys.argv[1]))
    await store.close()

asyncio.run(main())
"""


def test_processes_starting_together_on_a_new_file_all_start_and_migrate_once(tmp_path):
    for attempt in range(6):
        path = tmp_path / f"fresh{attempt}" / "t.db"
        start_at = f"{time.time() + 1.0:.3f}"
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT, str(path), start_at],
                cwd=PROJECT_ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        errors = [p.communicate(timeout=60)[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], errors
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(bundled_migrations())


async def test_votes_received_during_a_postgresql_outage_are_written_once_it_is_back(
    postgres_server, postgres_dsn
):
    store = await Storage.open(postgres_dsn)
    try:
        await store.record_presented(
            message_id=1, guild_id=10, channel_id=2, title_id="goblin", kind="drama", requested_by=3
        )
        postgres_server.stop("fast")  # an operator restarts the server, or the network drops
        for user in range(100, 160):
            store.change_votes(VoteChange("add", 1, user, "r:😭"))
        await asyncio.sleep(1.0)
        assert not store.writer.reachable and store.writer.queued >= 60  # held, not dropped
        postgres_server.restart()
        await asyncio.wait_for(store.flush(), 60)
        assert store.writer.reachable
        assert await store.tally(10, "goblin") == 60  # every vote, once
        assert await store.tally(None, "goblin") == 60
    finally:
        await store.close()


async def test_processes_starting_together_on_a_new_postgresql_database_migrate_it_once(postgres_dsn):
    stores = await asyncio.gather(*(Storage.open(postgres_dsn) for _ in range(4)))  # four connections at once
    try:
        assert {await s.schema_version() for s in stores} == {len(bundled_migrations("postgres"))}
    finally:
        for store in stores:
            await store.close()


async def test_a_postgresql_database_newer_than_the_bot_is_refused_and_left_alone(postgres_dsn):
    import asyncpg

    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await conn.execute("INSERT INTO schema_version VALUES (99)")
        with pytest.raises(StorageError, match="schema version 99, newer than this bot knows"):
            await Storage.open(postgres_dsn)
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [r["tablename"] for r in tables] == ["schema_version"]  # nothing was created or changed
    finally:
        await conn.close()
