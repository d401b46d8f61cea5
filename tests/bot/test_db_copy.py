"""Moving up: `python -m bot db copy --to postgresql://…` and `python -m bot db status`."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.config import ENV_FILE_VARIABLE, PROJECT_ROOT
from bot.db import ShardStatus, Storage, VoteChange
from bot.db.backend import bundled_migrations
from bot.db.copy import TABLES, TRANSIENT
from bot.suggestions import new_suggestion
from tests.conftest import FAKE_TOKEN


async def filled_sqlite(path) -> None:
    """A SQLite database with something in every table, including a withdrawn vote."""
    store = await Storage.open(path)
    try:
        for i, title in enumerate(["goblin", "my-mister", "goblin"]):
            await store.record_presented(
                message_id=100 + i,
                guild_id=1 + i % 2,
                channel_id=5,
                title_id=title,
                kind="drama",
                requested_by=9,
            )
        for user in range(20, 30):
            store.change_votes(VoteChange("add", 100, user, "r:😭"))
            store.change_votes(VoteChange("add", 101, user, "r:😭"))
        store.change_votes(VoteChange("remove", 100, 20, "r:😭"))
        store.change_votes(VoteChange("add", 999, 21, "r:😭"))  # an orphan, waiting for its pick
        await store.save_schedule(
            guild_id=1, channel_id=5, weekday=4, local_time="21:00", timezone="Asia/Seoul", size=3, locale="ko",
            next_due=2_000_000_000, now=1_700_000_000,
        )  # fmt: skip
        assert await store.claim_post(1, 2_000_000_000)
        await store.record_poll(
            guild_id=1, channel_id=5, message_id=500, posted_at=1_700_000_000, closes_at=1_700_500_000,
            answers=[(1, "goblin"), (2, "signal")], next_due=2_000_600_000,
        )  # fmt: skip
        store.change_votes(VoteChange("poll-add", 500, 40, "p:2"))
        await store.forget(77, 1)
        await store.set_meta("synced_commands:global", "abc")
        form = {"title": "Move to Heaven", "hangul": "무브 투 헤븐", "aired": "2021, Netflix", "pitch": "…"}
        suggestion = new_suggestion(600, 1, "drama", form, 9, "Mina")
        assert await store.add_suggestion(suggestion, per_member_per_day=3, max_pending=25)
        store.report_shards([ShardStatus(0, 1, True, "box", 1_700_000_000)])
        await store.flush()
    finally:
        await store.close()


def cli(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": database, ENV_FILE_VARIABLE: "none"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


async def test_db_copy_moves_every_row_into_postgresql_and_checks_both_sides(tmp_path, postgres_dsn):
    db = tmp_path / "t.db"
    await filled_sqlite(db)
    result = cli("db", "copy", "--to", postgres_dsn, database=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert "row counts and every tally match on both sides" in result.stdout
    source, target = await Storage.open(db), await Storage.open(postgres_dsn)
    try:
        assert await target.row_counts() == await source.row_counts()
        assert all(count > 0 for count in (await target.row_counts()).values())
        assert await target.all_tallies() == await source.all_tallies()
        assert await target.top(None) == await source.top(None)
        assert await target.schedule(1) == await source.schedule(1)
        assert await target.poll_answers(500) == [(1, "goblin"), (2, "signal")]
        # The copy is a working database: its triggers count new votes again.
        target.change_votes(VoteChange("add", 102, 20, "r:😭"))
        await target.flush()
        assert await target.tally(1, "goblin") == await source.tally(1, "goblin") + 1
    finally:
        await source.close()
        await target.close()
    status = cli("db", "status", database=postgres_dsn)
    assert (
        status.returncode == 0
        and "Backend: postgresql" in status.stdout
        and f"Schema version: {len(bundled_migrations('postgres'))}" in status.stdout
    )
    assert all(table in status.stdout for table in TABLES)


async def test_db_copy_refuses_a_database_that_already_holds_data(tmp_path, postgres_dsn):
    db = tmp_path / "t.db"
    await filled_sqlite(db)
    assert cli("db", "copy", "--to", postgres_dsn, database=f"sqlite:///{db}").returncode == 0
    again = cli("db", "copy", "--to", postgres_dsn, database=f"sqlite:///{db}")
    assert again.returncode == 2 and "already holds data" in again.stderr and "Traceback" not in again.stderr


def test_db_copy_never_prints_the_password(tmp_path):
    dsn = "postgresql://tj:s3cret-pw@127.0.0.1:9/tearjerker"  # nothing listens there
    result = cli("db", "copy", "--to", dsn, database=f"sqlite:///{tmp_path}/t.db")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr and "tj:***@127.0.0.1" in result.stderr


def test_every_table_is_copied():
    import sqlite3

    from bot.db import bundled_migrations
    from bot.db.sqlite import sql_statements

    conn = sqlite3.connect(":memory:")
    for migration in bundled_migrations():
        for statement in sql_statements(migration.sql):
            conn.execute(statement)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(TABLES) | set(TRANSIENT)
