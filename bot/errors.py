"""Errors that carry a message for the member, as a key of the message catalogue (bot/locales).

The core raises them without knowing who asked; the tree's error handler renders them in the
member's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.i18n import language_of, t


class UserFacingError(Exception):
    """Something the member can fix, explained in plain words."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, locale: Any) -> str:
        return t(locale, self.key, **self.params)


class UnknownTitle(UserFacingError):
    """Nothing matched; `closest` names the nearest titles in each language."""

    def __init__(self, query: str, closest: Sequence[Callable[[str], str]]) -> None:
        shown = query if len(query) <= 60 else query[:57] + "…"
        super().__init__("error.unknown_title", query=shown)
        self.query = query
        self.closest = list(closest)

    def render(self, locale: Any) -> str:
        text = t(locale, self.key, **self.params)
        if self.closest:
            language = language_of(locale)
            titles = ", ".join(f"**{name(language)}**" for name in self.closest)
            text += " " + t(locale, "error.closest", titles=titles)
        return text


class NothingMatches(UserFacingError):
    """The filters a member chose leave no title; say which, so they can loosen one."""

    def __init__(self, filters: Sequence[tuple[str, dict[str, Any]]]) -> None:
        super().__init__("error.nothing_matches")
        self.filters = list(filters)

    def render(self, locale: Any) -> str:
        parts = []
        for key, params in self.filters:
            values = {k: (v(language_of(locale)) if callable(v) else v) for k, v in params.items()}
            parts.append(t(locale, key, **values))
        return t(locale, self.key, filters=", ".join(parts))
