"""The suggestion protocol: a member's form in, a pending suggestion stored (or one plain reason why
not), and an admin's review moving it to approved (into the server's catalog), rejected or retired.
Cogs turn Discord events into these calls; `Refused` carries the message key they answer with."""

from __future__ import annotations

import json
from typing import Any

from bot.db import Storage, Suggestion
from bot.errors import UnknownTitle
from bot.suggestions import (
    MAX_PENDING,
    PER_MEMBER_PER_DAY,
    REASON_MAX,
    ServerCatalogs,
    clean,
    clean_form,
    find_duplicate,
    missing,
    new_suggestion,
)


class Refused(Exception):
    """Why a suggestion or a review step did not go through, as a message key and its values."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class SuggestionBox:
    def __init__(self, storage: Storage, catalogs: ServerCatalogs) -> None:
        self.storage = storage
        self.catalogs = catalogs

    async def _checked_form(self, guild_id: int, kind: str, raw: dict[str, str]) -> dict[str, str]:
        form = clean_form(kind, raw)
        gaps = missing(kind, form)
        if gaps:
            raise Refused("suggest.missing", fields=gaps)
        if kind == "ost":
            try:
                drama = self.catalogs.for_guild(guild_id).find_drama(form["drama"])
            except UnknownTitle:
                raise Refused("suggest.no_drama", drama=form["drama"]) from None
            form["drama"], form["drama_id"] = drama.title, drama.id
        return form

    async def submit(
        self,
        *,
        submission_id: int,
        guild_id: int,
        kind: str,
        raw: dict[str, str],
        member_id: int,
        member_name: str,
    ) -> Suggestion:
        """A member's form: cleaned, checked for what the server already has or awaits, then queued
        within the member's daily limit and the server's queue cap."""
        form = await self._checked_form(guild_id, kind, raw)
        pending = await self.storage.suggestions(guild_id, ("pending",))
        duplicate = find_duplicate(kind, form, self.catalogs.for_guild(guild_id), pending)
        if duplicate is not None:
            key = "suggest.duplicate_pending" if duplicate.pending else "suggest.duplicate"
            raise Refused(key, title=duplicate.display)
        suggestion = new_suggestion(submission_id, guild_id, kind, form, member_id, member_name)
        if not await self.storage.add_suggestion(
            suggestion, per_member_per_day=PER_MEMBER_PER_DAY, max_pending=MAX_PENDING
        ):
            today = await self.storage.suggestions_today(guild_id, member_id, suggestion.created_at)
            if today >= PER_MEMBER_PER_DAY:
                raise Refused("suggest.rate_limit", count=PER_MEMBER_PER_DAY)
            raise Refused("suggest.queue_full", count=MAX_PENDING)
        return suggestion

    async def _get(self, guild_id: int, suggestion_id: int, state: str) -> Suggestion:
        suggestion = await self.storage.suggestion(guild_id, suggestion_id)
        if suggestion is None:
            raise Refused("review.gone")
        if suggestion.state != state:
            raise Refused(f"review.already_{suggestion.state}")
        return suggestion

    async def edit(self, guild_id: int, suggestion_id: int, raw: dict[str, str]) -> Suggestion:
        """An admin's correction of a pending suggestion (same cleaning and checks as the member's)."""
        suggestion = await self._get(guild_id, suggestion_id, "pending")
        form = await self._checked_form(guild_id, suggestion.kind, raw)
        fields = json.dumps(form, ensure_ascii=False)
        if not await self.storage.edit_suggestion(guild_id, suggestion_id, fields):
            raise Refused("review.gone")
        return await self._get(guild_id, suggestion_id, "pending")

    async def approve(self, guild_id: int, suggestion_id: int, reviewer: int) -> Suggestion:
        suggestion = await self._get(guild_id, suggestion_id, "pending")
        form = json.loads(suggestion.fields)
        if (
            suggestion.kind == "ost"
            and self.catalogs.for_guild(guild_id).get(form.get("drama_id", "")) is None
        ):
            raise Refused("review.no_drama", drama=form.get("drama", ""))
        if not await self.storage.review_suggestion(
            guild_id, suggestion_id, state="approved", reviewer=reviewer
        ):
            raise Refused("review.gone")
        self.catalogs.add(suggestion, form)
        return suggestion

    async def reject(self, guild_id: int, suggestion_id: int, reviewer: int, reason: str) -> Suggestion:
        suggestion = await self._get(guild_id, suggestion_id, "pending")
        reason = clean(reason, REASON_MAX, multiline=True)
        if not await self.storage.review_suggestion(
            guild_id, suggestion_id, state="rejected", reviewer=reviewer, reason=reason
        ):
            raise Refused("review.gone")
        return suggestion

    async def retire(self, guild_id: int, suggestion_id: int, reviewer: int) -> Suggestion:
        """An approved entry leaves the server's picks, polls and charts; its votes stay stored."""
        suggestion = await self._get(guild_id, suggestion_id, "approved")
        if not await self.storage.review_suggestion(
            guild_id, suggestion_id, state="retired", reviewer=reviewer, expected="approved"
        ):
            raise Refused("review.gone")
        self.catalogs.remove(guild_id, suggestion_id)
        return suggestion
