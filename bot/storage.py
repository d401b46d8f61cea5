"""The one module that owns the database: connection, pragmas, migrations and every query.

SQLite through aiosqlite in autocommit mode, with explicit transactions where several statements
must land together. Migrations are numbered `.sql` files in `bot/migrations`, applied forward-only
under `PRAGMA user_version`, each in its own transaction.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with the bot, in order; gaps or duplicates are a packaging bug."""
    found = []
    for entry in resources.files("bot.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(
            f"migrations must be numbered 0001.. without gaps, found {[m.name for m in found]}"
        )
    return found


@dataclass(frozen=True, slots=True)
class PresentedMessage:
    message_id: int
    guild_id: int
    channel_id: int
    title_id: str
    kind: str
    requested_by: int
    created_at: int


class Storage:
    """Owns one aiosqlite connection. Build it with `await Storage.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: Path, migrations: Sequence[Migration] | None = None) -> Storage:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA busy_timeout = 5000")
            storage = cls(conn, path)
            await storage.migrate(bundled_migrations() if migrations is None else migrations)
        except BaseException:
            await conn.close()
            raise
        return storage

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration]) -> int:
        """Apply every migration newer than the file's `user_version`; returns how many ran."""
        current = await self.schema_version()
        newest = migrations[-1].version if migrations else 0
        if current > newest:
            raise RuntimeError(
                f"{self.path} is at schema version {current}, newer than this bot knows ({newest}); "
                "upgrade the bot instead of pointing an old one at a newer database"
            )
        applied = 0
        for migration in migrations:
            if migration.version <= current:
                continue
            log.info("applying migration %s", migration.name)
            try:
                await self._conn.executescript(
                    f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
                )
            except Exception:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
            applied += 1
        return applied

    # --- presented messages ------------------------------------------------------------------

    async def record_presented(
        self,
        *,
        message_id: int,
        guild_id: int,
        channel_id: int,
        title_id: str,
        kind: str,
        requested_by: int,
        created_at: int | None = None,
    ) -> None:
        """Idempotent: the same message recorded twice stays one row."""
        await self._conn.execute(
            "INSERT INTO presented_message"
            " (message_id, guild_id, channel_id, title_id, kind, requested_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            (
                message_id,
                guild_id,
                channel_id,
                title_id,
                kind,
                requested_by,
                int(time.time()) if created_at is None else created_at,
            ),
        )

    async def presented(self, message_id: int) -> PresentedMessage | None:
        async with self._conn.execute(
            "SELECT message_id, guild_id, channel_id, title_id, kind, requested_by, created_at"
            " FROM presented_message WHERE message_id = ?",
            (message_id,),
        ) as cur:
            row = await cur.fetchone()
        return PresentedMessage(*row) if row else None

    async def recent_titles(self, member_id: int, kind: str, limit: int) -> list[str]:
        """The titles most recently shown to a member, newest first (repeats collapsed)."""
        async with self._conn.execute(
            "SELECT title_id FROM presented_message WHERE requested_by = ? AND kind = ?"
            " ORDER BY created_at DESC, message_id DESC LIMIT ?",
            (member_id, kind, limit * 3),
        ) as cur:
            rows = await cur.fetchall()
        seen: dict[str, None] = {}
        for (title_id,) in rows:
            seen.setdefault(title_id, None)
        return list(seen)[:limit]

    # --- meta ----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self._conn.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._conn.execute(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
