"""What every group of queries stands on: the backend to read from and the writer to write through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db.backend import Backend
    from bot.db.writer import Writer


class Queries:
    backend: Backend
    writer: Writer


CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def in_lists(ids: Sequence[int]) -> Iterator[tuple[tuple[int, ...], str]]:
    """Long id lists a chunk at a time, each with its `?,?,…` placeholders."""
    for i in range(0, len(ids), CHUNK):
        chunk = tuple(ids[i : i + CHUNK])
        yield chunk, ",".join("?" * len(chunk))
