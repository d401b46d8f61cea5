"""Errors that carry a message for the member. The tree's error handler shows them as they are."""

from __future__ import annotations

from collections.abc import Sequence


class UserFacingError(Exception):
    """Raised by core or cogs when the member did something we can explain in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownTitle(UserFacingError):
    def __init__(self, query: str, closest: Sequence[str]) -> None:
        shown = query if len(query) <= 60 else query[:57] + "…"
        text = f"I couldn't find anything called “{shown}”."
        if closest:
            text += " Closest in the catalog: " + ", ".join(f"**{c}**" for c in closest) + "."
        super().__init__(text)
        self.query = query
        self.closest = list(closest)


class NothingMatches(UserFacingError):
    """The filters a member chose leave no title; say which filters so they can loosen one."""
