"""Schedule arithmetic with an explicit clock: weekday wrap, DST in both directions, a zone without DST."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.catalog import Drama
from bot.polls import answers_for, choose_titles, ranking
from bot.schedule import (
    ScheduleError,
    backoff_seconds,
    next_occurrence,
    parse_local_time,
    poll_hours,
    suggest_timezones,
    zone,
)

NY, LONDON, SEOUL = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Seoul")
MON, FRI, SAT, SUN = 0, 4, 5, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_wraps_into_next_week():
    saturday_noon_seoul = utc(2026, 11, 21, 3, 0)  # Sat 12:00 KST
    due = next_occurrence(saturday_noon_seoul, FRI, time(21, 0), SEOUL)
    assert due.astimezone(SEOUL) == datetime(2026, 11, 27, 21, 0, tzinfo=SEOUL)


def test_same_day_before_and_after_the_time():
    friday_morning = utc(2026, 11, 27, 0, 0)  # Fri 09:00 KST
    assert next_occurrence(friday_morning, FRI, time(21, 0), SEOUL).astimezone(SEOUL).day == 27
    friday_late = utc(2026, 11, 27, 13, 0)  # Fri 22:00 KST
    assert next_occurrence(friday_late, FRI, time(21, 0), SEOUL).astimezone(SEOUL).day == 4  # December


def test_exactly_at_the_due_time_the_next_one_is_a_week_later():
    due = next_occurrence(utc(2026, 11, 1), FRI, time(21, 0), SEOUL)
    assert next_occurrence(due, FRI, time(21, 0), SEOUL) - due == timedelta(days=7)


def test_seoul_has_no_dst_so_the_utc_time_never_moves():
    due = next_occurrence(utc(2026, 1, 1), FRI, time(21, 0), SEOUL)
    for _ in range(60):
        following = next_occurrence(due, FRI, time(21, 0), SEOUL)
        assert following - due == timedelta(days=7) and following.hour == 12
        due = following


def test_new_york_spring_forward_moves_a_skipped_time_forward():
    # 2026-03-08: clocks jump from 02:00 to 03:00 EST->EDT; 02:30 does not exist that night.
    due = next_occurrence(utc(2026, 3, 2), SUN, time(2, 30), NY)
    local = due.astimezone(NY)
    assert (local.month, local.day, local.hour, local.minute) == (3, 8, 3, 30)
    # The week after is back at 02:30 EDT.
    assert next_occurrence(due, SUN, time(2, 30), NY).astimezone(NY).hour == 2


def test_new_york_fall_back_posts_a_repeated_time_once():
    # 2026-11-01: 01:00-02:00 happens twice (EDT then EST).
    due = next_occurrence(utc(2026, 10, 26), SUN, time(1, 30), NY)
    assert due == utc(2026, 11, 1, 5, 30)  # the first 01:30, in EDT
    following = next_occurrence(due, SUN, time(1, 30), NY)
    assert following.astimezone(NY).day == 8  # not again an hour later
    assert following == utc(2026, 11, 8, 6, 30)


def test_new_york_keeps_the_local_time_across_dst():
    before = next_occurrence(utc(2026, 3, 1), FRI, time(20, 0), NY)
    after = next_occurrence(before + timedelta(days=1), FRI, time(20, 0), NY)
    assert before.astimezone(NY).hour == after.astimezone(NY).hour == 20
    assert after - before == timedelta(days=7, hours=-1)  # the week that loses an hour


def test_london_spring_forward_and_fall_back():
    # 2026-03-29: 01:00 GMT -> 02:00 BST, so 01:30 is skipped.
    spring = next_occurrence(utc(2026, 3, 23), SUN, time(1, 30), LONDON)
    assert spring.astimezone(LONDON).hour == 2 and spring.astimezone(LONDON).minute == 30
    # 2026-10-25: 01:00-02:00 repeats; 01:30 is taken once, in BST.
    autumn = next_occurrence(utc(2026, 10, 19), SUN, time(1, 30), LONDON)
    assert autumn == utc(2026, 10, 25, 0, 30)
    assert next_occurrence(autumn, SUN, time(1, 30), LONDON) == utc(2026, 11, 1, 1, 30)


def test_catch_up_after_a_long_outage_is_one_post_then_the_next_future_slot():
    last_due = utc(2026, 9, 4, 12, 0)  # missed for many weeks
    now = utc(2026, 11, 22, 3, 0)
    assert now - last_due > timedelta(weeks=10)
    following = next_occurrence(now, FRI, time(21, 0), SEOUL)
    assert following > now and following - now < timedelta(days=7)


@pytest.mark.parametrize(
    ("posted", "following", "hours"),
    [
        (utc(2026, 11, 27, 12), utc(2026, 12, 4, 12), 167),  # a normal week ends an hour early
        (utc(2026, 11, 27, 12), utc(2026, 11, 27, 12, 30), 1),  # never less than an hour
        (utc(2026, 1, 1), utc(2026, 3, 1), 768),  # never more than Discord's 32 days
    ],
)
def test_poll_lasts_until_shortly_before_the_next(posted, following, hours):
    assert poll_hours(posted, following) == hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00", time(21)),
        ("9pm", time(21)),
        ("9:30 am", time(9, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("7", time(7)),
        ("오후 9시", time(21)),
        ("21시", time(21)),
        ("오전 9시 30분", time(9, 30)),
        ("밤 11시 반", time(23, 30)),
        ("밤 12시", time(0)),
        ("낮 12시", time(12)),
    ],
)
def test_local_time_accepts_common_spellings(text, expected):
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9:75", "13pm", "noonish", "", "오후 13시", "25시"])
def test_bad_local_time_is_explained(text):
    with pytest.raises(ScheduleError):
        parse_local_time(text)


def test_time_zone_names_are_checked_and_suggested():
    assert zone("Asia/Seoul").key == "Asia/Seoul"
    with pytest.raises(ScheduleError) as info:
        zone("Mars/Olympus_Mons")
    assert "not a time zone I know" in info.value.render("en-US")
    assert "시간대가 아니에요" in info.value.render("ko")
    assert "Asia/Seoul" in suggest_timezones("seoul")
    assert suggest_timezones("america/new")[0] == "America/New_York"
    assert len(suggest_timezones("a")) <= 25
    assert "Asia/Seoul" in suggest_timezones("")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("seoul", "Asia/Seoul"), ("SEOUL ", "Asia/Seoul"), ("서울", "Asia/Seoul"), ("new york", "America/New_York"),
        ("New-York", "America/New_York"), ("asia/seoul", "Asia/Seoul"), ("KST", "Asia/Seoul"), ("jst", "Asia/Tokyo"),
        ("EST", "America/New_York"), ("뉴욕", "America/New_York"), ("la", "America/Los_Angeles"),
    ],
)  # fmt: skip
def test_time_zones_are_taken_as_people_type_them(typed, key):
    assert zone(typed, typed=True).key == key
    assert key in suggest_timezones(typed)


def test_an_ambiguous_abbreviation_asks_which_zone():
    with pytest.raises(ScheduleError) as info:
        zone("IST", typed=True)
    message = info.value.render("en-US")
    assert "more than one time zone" in message and "Asia/Kolkata" in message and "Europe/Dublin" in message
    assert suggest_timezones("ist")[:3] == ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"]


def test_a_stored_zone_is_read_as_it_was_saved():
    assert zone("EST").key == "EST"  # a legacy zone saved before abbreviations were read: unchanged


def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [300, 600, 1200]
    assert backoff_seconds(20) == 6 * 3600


def test_titles_rotate_least_recently_used_first(catalog):
    rng = random.Random(3)
    last_used: dict[str, int] = {}
    weeks = []
    dramas = catalog.dramas[:15]
    for week in range(1, 5):
        chosen = choose_titles(dramas, last_used, 5, rng)
        weeks.append({d.id for d in chosen})
        last_used |= {d.id: week for d in chosen}
    # 15 dramas, 5 a week: three weeks without a repeat, then the oldest come back.
    assert len(weeks[0] | weeks[1] | weeks[2]) == 15
    assert weeks[3] == weeks[0]


def test_a_catalog_smaller_than_the_poll_offers_what_it_has(catalog):
    few: list[Drama] = list(catalog.dramas[:3])
    assert len(choose_titles(few, {}, 10)) == 3


def test_answers_are_numbered_from_one_with_an_emoji(catalog):
    answers = answers_for(catalog.dramas[:3], catalog)
    assert [a.answer_id for a in answers] == [1, 2, 3]
    assert all(a.emoji for a in answers)


def test_ranking_sorts_by_votes_and_keeps_poll_order_on_ties():
    rows = ranking({"b": 2, "c": 2, "a": 5}, ["a", "b", "c", "d"])
    assert [(r.title_id, r.votes) for r in rows] == [("a", 5), ("b", 2), ("c", 2), ("d", 0)]
