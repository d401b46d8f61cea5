"""Typo-tolerant search over short names in English, Hangul and romanisation variants.

Keys and queries are folded the same way: NFKD (which also splits Hangul syllables into jamo, so a
one-jamo typo or a half-typed syllable still matches), case-folded, and stripped of everything but
letters and digits ("Lee Seun hee" and "Lee Sun-hee" become near neighbours).

Autocomplete has to answer in well under a millisecond at 10,000 titles (bench/autocomplete.py), so
nothing here scans every key:
- keys sit in one sorted array: exact and prefix hits are a bisection away;
- each name is also indexed from each of its later words ("Hotel Del Luna" -> "delluna", "luna");
- a typo is found by scoring, with rapidfuzz, only the narrow blocks of keys that share the query's
  longest matching prefix or longest matching suffix (one typo leaves one of them long) — for the
  whole query and for the query without its first words.

Autocomplete may be generous: the member sees the list and picks. A lookup by free text (`/cry title:`,
`/ost query:` typed without picking) must not be: `find` answers only when one title is close enough
to what was typed, and otherwise nothing, so the bot never presents a different title as the one asked
for (tests/data/search_corpus.toml measures it).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

T = TypeVar("T")

FUZZY_CUTOFF = 72.0
ACCEPT = 80.0  # a free-text lookup's best match must score this (0-100) to be taken as meant
CLOSEST_FLOOR = 70.0  # "closest titles" below this similarity (0-100) are not close: none are named
MAX_QUERY_LEN = 100
SUFFIX_WEIGHT = 0.97  # a match on a later word ranks just below one on the whole name
PREFIX_SCAN = 64  # keys scored for a prefix shared by many
BLOCK_MAX = 256  # keys a typo block may hold before it is too vague to score
_END = "\U0010ffff"


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum())


class SearchIndex(Generic[T]):
    """Holds folded keys for each item; `search` returns items best first, each item once."""

    def __init__(self, entries: Sequence[tuple[T, Sequence[tuple[str, float]]]]) -> None:
        self._items: list[T] = []
        postings: dict[str, dict[int, float]] = {}
        names: dict[str, dict[int, float]] = {}
        for position, (item, keys) in enumerate(entries):
            self._items.append(item)
            for text, weight in keys:
                words = text.split()
                for start in range(len(words)):
                    key = fold(" ".join(words[start:]))
                    if not key:
                        continue
                    w = weight if start == 0 else weight * SUFFIX_WEIGHT
                    owners = postings.setdefault(key, {})
                    owners[position] = max(owners.get(position, 0.0), w)
                    if start == 0:
                        whole = names.setdefault(key, {})
                        whole[position] = max(whole.get(position, 0.0), w)
        self._keys: list[str] = sorted(postings)
        self._postings: list[tuple[tuple[int, float], ...]] = [tuple(postings[k].items()) for k in self._keys]
        # Whole names only (not their later words), by key index: what a free-text lookup may match.
        self._names: list[tuple[tuple[int, float], ...]] = [
            tuple(names.get(k, {}).items()) for k in self._keys
        ]
        # The same keys reversed, for the block that shares a query's ending.
        reversed_keys = sorted((key[::-1], i) for i, key in enumerate(self._keys))
        self._rkeys: list[str] = [r for r, _ in reversed_keys]
        self._rindex: list[int] = [i for _, i in reversed_keys]

    @staticmethod
    def _span(keys: list[str], prefix: str) -> tuple[int, int]:
        return bisect_left(keys, prefix), bisect_left(keys, prefix + _END)

    def _range(self, prefix: str) -> tuple[int, int]:
        return self._span(self._keys, prefix)

    def _longest_block(self, keys: list[str], q: str) -> tuple[int, int]:
        """The span of `keys` sharing the longest prefix of `q` that any key has (binary search on length)."""
        low, high = 0, len(q)
        while low < high:
            mid = (low + high + 1) // 2
            lo, hi = self._span(keys, q[:mid])
            if lo < hi:
                low = mid
            else:
                high = mid - 1
        return self._span(keys, q[:low]) if low >= 2 else (0, 0)

    def _typo_candidates(self, q: str) -> list[int]:
        """Key indexes sharing q's longest matching prefix or suffix, where that block is narrow."""
        found: list[int] = []
        lo, hi = self._longest_block(self._keys, q)
        if 0 < hi - lo <= BLOCK_MAX:
            found += range(lo, hi)
        lo, hi = self._longest_block(self._rkeys, q[::-1])
        if 0 < hi - lo <= BLOCK_MAX:
            found += self._rindex[lo:hi]
        return found

    def search(self, query: str, limit: int) -> list[T]:
        query = query[:MAX_QUERY_LEN]
        q = fold(query)
        if not q:
            return []
        best: dict[int, float] = {}

        def offer(key_index: int, score: float) -> None:
            for owner, weight in self._postings[key_index]:
                value = score * weight
                if value > best.get(owner, 0.0):
                    best[owner] = value

        lo, hi = self._range(q)
        for i in range(lo, min(hi, lo + PREFIX_SCAN)):
            key = self._keys[i]
            offer(i, 200.0 if key == q else 150.0 + 50.0 * len(q) / len(key))
        if len(best) < limit and len(q) >= 3:
            self._fuzzy(query, q, offer)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [self._items[owner] for owner, _ in ranked[:limit]]

    def _fuzzy(self, query: str, q: str, offer: object) -> None:
        """Score the typo blocks: the whole query's, and each of its later words' (a typo early on)."""
        words = query.split()
        tails = [q] + [t for t in (fold(" ".join(words[i:])) for i in range(1, len(words))) if len(t) >= 3]
        for tail in tails:
            candidates = self._typo_candidates(tail)
            if not candidates:
                continue
            block = [self._keys[i] for i in candidates]
            for _key, score, j in process.extract(
                tail, block, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=None
            ):
                offer(candidates[j], score * (1.0 if tail is q else SUFFIX_WEIGHT))  # type: ignore[operator]

    def find(self, query: str) -> list[T]:
        """The titles a free-text lookup means, best first: one title, or several that the query names
        equally (all the songs of a drama or an artist typed in full). Empty when no title is close
        enough, or when two different names match equally well (e.g. the start of two titles)."""
        q = fold(query[:MAX_QUERY_LEN])
        if not q:
            return []
        lo, hi = self._range(q)
        prefixed = range(lo, min(hi, lo + PREFIX_SCAN))  # keys are unique and sorted: q itself is first
        candidates = set(prefixed) | set(self._typo_candidates(q))
        best: dict[int, tuple[float, int]] = {}  # item -> (score, key index)
        for i in candidates:
            if not self._names[i]:
                continue  # only the later words of some name ("Friends" of "Dear My Friends"): too loose
            score = _strict_score(q, self._keys[i])
            for owner, weight in self._names[i]:
                value = score * weight
                if value > best.get(owner, (0.0, -1))[0]:
                    best[owner] = (value, i)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if not ranked or ranked[0][1][0] < ACCEPT:
            return []
        begun = {owner for i in prefixed if self._keys[i] != q for owner, _ in self._names[i]}
        named = lo < hi and self._keys[lo] == q and bool(self._names[lo])  # q is a whole name itself
        if len(begun) > 1 and not named:
            return []  # the beginning of several titles ("Reply", "It's Okay"): which one is not ours to guess
        top_score, top_key = ranked[0][1]
        tied = [(owner, key) for owner, (score, key) in ranked if score >= top_score - 2.0]
        if any(key != top_key for _owner, key in tied):
            return []  # different names fit equally well: asking back beats guessing
        return [self._items[owner] for owner, _key in tied]

    def closest(self, query: str, limit: int) -> list[T]:
        """The nearest items, for "did you mean" when `find` found nothing: names that begin with what
        was typed, then the most similar names, but none that are not similar at all.

        This one scores every key; it only runs for a lookup that already failed, never while typing.
        """
        q = fold(query[:MAX_QUERY_LEN])
        if not q or not self._keys:
            return []
        lo, hi = self._range(q)
        scored = [(200.0, i) for i in range(lo, min(hi, lo + PREFIX_SCAN))] if len(q) >= 3 else []
        # Names that share a good part of the beginning ("Hotel King" -> "Hotel Del Luna").
        lo, hi = self._longest_block(self._keys, q)
        if 0 < hi - lo <= 8 and _shared_prefix(q, self._keys[lo]) >= max(4, len(q) // 2):
            scored += [(150.0, i) for i in range(lo, hi)]
        scored += [
            (score, i)
            for key, score, i in process.extract(
                q, self._keys, scorer=fuzz.ratio, score_cutoff=CLOSEST_FLOOR, limit=limit * 8
            )
            if len(key) >= 4
        ]
        owners: dict[int, None] = {}
        for _score, i in sorted(scored, key=lambda si: -si[0]):
            for owner, _weight in self._postings[i]:
                owners.setdefault(owner, None)
        return [self._items[o] for o in list(owners)[:limit]]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _strict_score(q: str, key: str) -> float:
    """How surely `q` (folded) means `key`: 100 for the name itself, high for a typo or two in it or
    for most of its beginning typed (perhaps with a typo), low for anything looser. Numbers are never
    a typo ("Reply 1997" is not "Reply 1994", though "Reply 88" is "Reply 1988"), and a name with more
    typed after it is another name ("Beautiful Life" is not "Beautiful")."""
    if key == q:
        return 100.0
    typed = _digits(q)
    if typed and typed not in _digits(key):
        return 0.0
    if q.startswith(key) and len(q) - len(key) >= 3:
        return 0.0
    score = fuzz.ratio(q, key)
    if len(key) > len(q) >= 4:
        coverage = len(q) / len(key)
        if coverage >= 0.5:
            score = max(score, fuzz.ratio(q, key[: len(q)]) * (0.84 + 0.16 * coverage))
    return score


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
