from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from bot.picks import HISTORY_TTL, History, PickHistory, choose


@dataclass(frozen=True)
class Item:
    id: str


ITEMS = [Item(c) for c in "abcde"]


def test_never_repeats_while_a_title_that_fits_was_never_shown():
    rng = random.Random(7)
    history = History(shown={"a": 1, "b": 2, "c": 3, "d": 4})
    for _ in range(200):
        assert choose(ITEMS, history, rng).id == "e"


def test_when_everything_was_shown_the_one_shown_longest_ago_comes_back():
    assert choose(ITEMS, History(shown={"e": 5, "d": 4, "c": 3, "b": 2, "a": 1})).id == "a"


def test_titles_the_member_cried_to_come_after_the_others_they_have_not_been_shown():
    rng = random.Random(3)
    history = History(shown={"a": 1}, cried=frozenset({"c", "d"}))
    picks = []
    for at in range(2, 7):
        pick = choose(ITEMS, history, rng).id
        history.shown[pick] = at
        picks.append(pick)
    assert set(picks[:2]) == {"b", "e"} and set(picks[2:4]) == {"c", "d"} and picks[4] == "a"
    # The next round keeps that order: the titles cried to stay after the others, none is left out.
    again = []
    for at in range(7, 12):
        pick = choose(ITEMS, history, rng).id
        history.shown[pick] = at
        again.append(pick)
    assert again == picks


def test_a_run_of_picks_covers_the_whole_catalog_before_any_repeat():
    rng = random.Random(1)
    items = [Item(f"t{i}") for i in range(60)]
    history = History()
    seen = []
    for at in range(120):
        pick = choose(items, history, rng).id
        history.shown[pick] = at
        seen.append(pick)
    assert sorted(seen[:60]) == sorted(i.id for i in items)
    assert seen[60:] == seen[:60]  # then again, oldest first


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError):
        choose([], History())


async def test_history_loads_once_then_follows_what_is_shown():
    loads = []

    async def load(member: int, kind: str):
        loads.append((member, kind))
        return {"b": 5}, {"a"}

    histories = PickHistory(load)
    assert (await histories.get(1, "drama")).shown == {"b": 5}
    histories.shown(1, "drama", "c", 7)
    held = await histories.get(1, "drama")
    assert held.shown == {"b": 5, "c": 7} and held.cried == {"a"}
    assert loads == [(1, "drama")]


async def test_cried_to_titles_are_read_again_after_a_while_keeping_unrecorded_picks():
    now = [0.0]
    answers = [({"b": 5}, set()), ({"b": 5}, {"b"})]

    async def load(member: int, kind: str):
        return answers.pop(0)

    histories = PickHistory(load, clock=lambda: now[0])
    await histories.get(1, "drama")
    histories.shown(1, "drama", "c", 9)  # not committed yet when the history is read again
    now[0] = HISTORY_TTL + 1
    held = await histories.get(1, "drama")
    assert held.cried == {"b"} and held.shown == {"b": 5, "c": 9}


async def test_histories_hold_a_bounded_number_of_members(storage):
    histories = PickHistory(storage.pick_history, members=2)
    for member in (1, 2, 3):
        await histories.get(member, "drama")
    assert len(histories._held) == 2 and (1, "drama") not in histories._held


async def test_a_member_not_held_is_read_from_the_database(storage):
    await storage.record_presented(
        message_id=5, guild_id=1, channel_id=2, title_id="mr-sunshine", kind="drama", requested_by=9,
        created_at=100,
    )  # fmt: skip
    histories = PickHistory(storage.pick_history)
    histories.shown(9, "drama", "ignored-until-loaded", 6)
    assert (await histories.get(9, "drama")).shown == {"mr-sunshine": 5}


async def test_picks_go_on_without_history_while_the_database_is_unreachable():
    async def down(member: int, kind: str):
        raise ConnectionRefusedError("the database is unreachable")

    histories = PickHistory(down)
    history = await histories.get(1, "drama")
    assert history.shown == {} and choose(ITEMS, history).id in "abcde"
