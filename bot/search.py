"""Typo-tolerant search over short names in English, Hangul and romanisation variants.

Keys and queries are folded the same way: NFKD (which also splits Hangul syllables into jamo, so a
one-jamo typo or a half-typed syllable still matches), case-folded, and stripped of everything but
letters and digits ("Lee Seun hee" and "Lee Sun-hee" become near neighbours). Exact and prefix
hits rank first; rapidfuzz scores the rest.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

T = TypeVar("T")

FUZZY_CUTOFF = 72.0
MAX_QUERY_LEN = 100


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum())


class SearchIndex(Generic[T]):
    """Holds folded keys for each item; `search` returns items best first, each item once."""

    def __init__(self, entries: Sequence[tuple[T, Sequence[tuple[str, float]]]]) -> None:
        self._items: list[T] = []
        self._keys: list[str] = []
        self._owner: list[int] = []
        self._weight: list[float] = []
        for position, (item, keys) in enumerate(entries):
            self._items.append(item)
            for text, weight in keys:
                folded = fold(text)
                if folded:
                    self._keys.append(folded)
                    self._owner.append(position)
                    self._weight.append(weight)

    def search(self, query: str, limit: int) -> list[T]:
        q = fold(query[:MAX_QUERY_LEN])
        if not q:
            return []
        best: dict[int, float] = {}

        def offer(key_index: int, score: float) -> None:
            owner = self._owner[key_index]
            score *= self._weight[key_index]
            if score > best.get(owner, 0.0):
                best[owner] = score

        for i, key in enumerate(self._keys):
            if key == q:
                offer(i, 200.0)
            elif key.startswith(q):
                offer(i, 150.0 + 50.0 * len(q) / len(key))
            elif len(q) >= 2 and q in key:
                offer(i, 120.0 + 30.0 * len(q) / len(key))
        if len(q) >= 3:
            for _key, score, i in process.extract(
                q, self._keys, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=None
            ):
                offer(i, score)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [self._items[owner] for owner, _ in ranked[:limit]]

    def closest(self, query: str, limit: int) -> list[T]:
        """The nearest items however poor the match: for 'did you mean' when `search` found nothing."""
        q = fold(query[:MAX_QUERY_LEN])
        if not q or not self._keys:
            return []
        owners: dict[int, None] = {}
        for _key, _score, i in process.extract(q, self._keys, scorer=fuzz.WRatio, limit=len(self._keys)):
            owners.setdefault(self._owner[i], None)
            if len(owners) == limit:
                break
        return [self._items[o] for o in owners]
