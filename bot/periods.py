"""Chart periods: this week (from Monday), this month, this year, in UTC — the same buckets the
database counts in (migrations 0009)."""

from __future__ import annotations

from datetime import UTC, datetime

PERIODS = {"week": "w", "month": "m", "year": "y"}  # /tears top period: -> the stored period code


def bucket(code: str, at: int) -> int:
    """The start (a UNIX time) of the week, month or year `at` falls in."""
    if code == "w":
        return at - ((at // 86400 + 3) % 7) * 86400 - at % 86400
    moment = datetime.fromtimestamp(at, UTC)
    start = moment.replace(
        month=1 if code == "y" else moment.month, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return int(start.timestamp())
