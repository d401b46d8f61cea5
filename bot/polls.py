"""The weekly poll's content: which titles, in what words, and the recap's ranking. No Discord here."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.catalog import Catalog, Drama

# The poll's question (bot/locales, poll.question) echoes the article's closing prompt in our words.
DEFAULT_SIZE = 5


@dataclass(frozen=True, slots=True)
class Answer:
    answer_id: int
    drama: Drama
    emoji: str


def choose_titles(
    dramas: Sequence[Drama], last_used: Mapping[str, int], size: int, rng: random.Random | None = None
) -> list[Drama]:
    """Least recently used first (never-used before all), random among equals.

    So no title repeats within the last `len(dramas) // size` weeks, and when the catalog is too small
    for that, the titles used longest ago come back first.
    """
    rng = rng or random.Random()
    shuffled = list(dramas)
    rng.shuffle(shuffled)
    shuffled.sort(key=lambda d: last_used.get(d.id, 0))
    return shuffled[: min(size, len(shuffled))]


def answers_for(titles: Sequence[Drama], catalog: Catalog) -> list[Answer]:
    """Answer ids are 1-based in order, as Discord numbers them; each carries its first mood's emoji."""
    answers = []
    for i, drama in enumerate(titles, 1):
        mood = catalog.moods.get(drama.moods[0]) if drama.moods else None
        answers.append(Answer(i, drama, (mood.emoji if mood and mood.emoji else "😭")))
    return answers


@dataclass(frozen=True, slots=True)
class RecapRow:
    title_id: str
    votes: int


def ranking(counts: Mapping[str, int], order: Sequence[str]) -> list[RecapRow]:
    """Most votes first; ties keep the poll's own order."""
    position = {title_id: i for i, title_id in enumerate(order)}
    rows = [RecapRow(t, counts.get(t, 0)) for t in order]
    rows.sort(key=lambda r: (-r.votes, position[r.title_id]))
    return rows
