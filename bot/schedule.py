"""Weekly schedule arithmetic in a server's own time zone. Pure functions over an explicit clock.

Local times go through `zoneinfo`: a time skipped by a spring-forward change moves forward by the
gap; a time repeated by an autumn change is taken once, at its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot import zones
from bot.errors import UserFacingError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_POLL_HOURS = 768  # Discord's limit: 32 days
CLOSE_BEFORE_NEXT_HOURS = 1  # a poll ends this long before the next one is posted

_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)
# Korean: 오후 9시, 21시, 오전 9시 30분, 밤 11시 반.
_KO_TIME = re.compile(
    r"^\s*(오전|오후|아침|새벽|낮|저녁|밤)?\s*(\d{1,2})\s*시\s*(?:(\d{1,2})\s*분|(반))?\s*$"
)
_KO_PM = {"오후", "낮", "저녁", "밤"}


class ScheduleError(UserFacingError):
    """A time or time zone a member typed that we cannot use; the message says why."""


def parse_local_time(text: str) -> time:
    """'21:00', '9:30', '9pm', '9:30 am', '오후 9시', '21시' -> a time of day."""
    korean = _KO_TIME.match(text)
    if korean:
        return _korean_time(text, korean)
    match = _TIME.match(text)
    if not match:
        raise ScheduleError("schedule.bad_time", text=text[:20])
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise ScheduleError("schedule.bad_ampm", text=text[:20])
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError("schedule.bad_range", text=text[:20])
    return time(hour, minute)


def _korean_time(text: str, match: re.Match[str]) -> time:
    part, hour, minute = match[1], int(match[2]), 30 if match[4] else int(match[3] or 0)
    if part:
        if not 1 <= hour <= 12:
            raise ScheduleError("schedule.bad_ampm", text=text[:20])
        midnight = part == "밤" and hour == 12  # 밤 12시
        hour = 0 if midnight else hour % 12 + (12 if part in _KO_PM else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError("schedule.bad_range", text=text[:20])
    return time(hour, minute)


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone(name: str, *, typed: bool = False) -> ZoneInfo:
    """A stored IANA name; or, `typed` by a member, any case, a city (`seoul`, `new york`, `서울`) or an
    abbreviation that names one zone (`KST`, and `EST` as New York rather than the fixed legacy zone of
    that name); one that names several asks which."""
    stored = (name,) if name in all_timezones() else ()
    found = zones.candidates(name) if typed else stored
    if len(found) > 1:
        raise ScheduleError("schedule.ambiguous_zone", name=name[:40], zones=", ".join(found))
    try:
        if not found:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(found[0])
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("schedule.bad_zone", name=name[:40]) from None


def suggest_timezones(current: str, limit: int = 25) -> list[str]:
    """Autocomplete: what the member typed resolved (a city, an abbreviation), then IANA names starting
    with it, then containing it ('seoul' finds Asia/Seoul)."""
    if current.strip():
        return zones.suggestions(current, limit)
    popular = ["Asia/Seoul", "America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Manila"]
    return popular + [
        z for z in ("UTC", "Asia/Tokyo", "Europe/Paris", "Australia/Sydney") if z not in popular
    ]


def next_occurrence(after: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The first moment strictly after `after` that is `weekday` at `at` local time, in UTC."""
    local = after.astimezone(tz)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        # fold=0: a repeated autumn time is its first occurrence; a skipped spring time lands after the gap.
        candidate = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a weekday comes round within 15 days")


def poll_hours(posted_at: datetime, next_post: datetime) -> int:
    """Whole hours a poll may last so it ends shortly before the next one (Discord allows 1..768)."""
    hours = int((next_post - posted_at).total_seconds() // 3600) - CLOSE_BEFORE_NEXT_HOURS
    return max(1, min(MAX_POLL_HOURS, hours))


def backoff_seconds(failures: int) -> int:
    """Retry a failing server after 5 minutes, doubling each time, at most 6 hours."""
    return min(5 * 60 * 2 ** max(0, failures - 1), 6 * 3600)


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def to_ts(dt: datetime) -> int:
    return int(dt.timestamp())
