"""What a vote is, in plain terms the cogs and catch-up share.

A vote: member M in server S cried to title T. It has sources — a reaction with a vote emoji on a
message that presented T (`r:<emoji>`, or `r:<emoji>:burst` for a super reaction), or a poll answer
(`p:<answer id>`). The database keeps one vote per member, title and server, and counts it once
however many sources it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def reaction_source(emoji: str, burst: bool) -> str:
    return f"r:{emoji}:burst" if burst else f"r:{emoji}"


def poll_source(answer_id: int) -> str:
    return f"p:{answer_id}"


def emoji_key(name: str | None, emoji_id: int | None) -> str:
    """Unicode emoji by their text, custom ones by id (their names can change)."""
    return str(emoji_id) if emoji_id else (name or "")


@dataclass(frozen=True, slots=True)
class Diff:
    add: frozenset[tuple[int, str]]
    remove: frozenset[tuple[int, str]]


def reconcile(
    stored: Iterable[tuple[int, str]],
    observed: Iterable[tuple[int, str]],
    *,
    touched_live: Iterable[tuple[int, str]] = (),
    forgotten_at: Mapping[int, int] | None = None,
    presented_at: int = 0,
) -> Diff:
    """What catch-up must change so the stored sources of one message match what Discord shows.

    Sources a live event touched while Discord was being read are left to that event (it is newer
    than the read). A member who asked to be forgotten after this message was presented is not
    voted back in from a reaction that was already there.
    """
    stored_set, observed_set, touched = set(stored), set(observed), set(touched_live)
    forgotten = forgotten_at or {}
    add = {
        (user, source)
        for user, source in observed_set - stored_set - touched
        if forgotten.get(user, -1) < presented_at
    }
    remove = stored_set - observed_set - touched
    return Diff(frozenset(add), frozenset(remove))


def bar(count: int, top: int, width: int = 12) -> str:
    """A chart bar: the top title fills the width, every title with a vote shows at least one block."""
    if top <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(width * count / top))
