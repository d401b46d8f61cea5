"""Live tear counts keep little in memory however many messages are reacted to."""

from __future__ import annotations

from bot import live
from bot.live import LiveCounts


def test_edit_marks_older_than_an_interval_are_forgotten(monkeypatch):
    monkeypatch.setattr(live, "REMEMBERED", 10)
    counts = LiveCounts(None, interval=0.0)  # type: ignore[arg-type]  # no marks stay recent
    for message_id in range(1000):
        counts._note_edit(message_id)
    assert len(counts._last_edit) <= 2 * live.REMEMBERED + 1
