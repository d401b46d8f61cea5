"""What every group of queries stands on: the backend to read from and the writer to write through."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db.backend import Backend
    from bot.db.writer import Writer


class Queries:
    backend: Backend
    writer: Writer
