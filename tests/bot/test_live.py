"""Live tear counts keep little in memory however many messages are reacted to."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bot import live
from bot.live import LiveCounts


def test_edit_marks_older_than_an_interval_are_forgotten(monkeypatch):
    monkeypatch.setattr(live, "REMEMBERED", 10)
    counts = LiveCounts(None, interval=0.0)  # type: ignore[arg-type]  # no marks stay recent
    for message_id in range(1000):
        counts._note_edit(message_id)
    assert len(counts._last_edit) <= 2 * live.REMEMBERED + 1


async def test_stopping_cancels_an_edit_already_under_way():
    """Closing the bot drops an edit that is past its wait (reading the counts), not only the waiting
    ones: it would otherwise reach for the HTTP session after it closed and log a traceback."""
    reading = asyncio.Event()

    async def presented(message_id: int) -> None:
        reading.set()
        await asyncio.sleep(3600)  # the database is slow to answer

    counts = LiveCounts(SimpleNamespace(storage=SimpleNamespace(presented=presented)), interval=0.0)  # type: ignore[arg-type]
    counts.touched(1)
    task = counts._pending[1]
    await asyncio.wait_for(reading.wait(), 5)
    counts.stop()
    await asyncio.wait([task], timeout=5)
    assert task.cancelled()
