"""The ballot: every vote change goes through it, and it makes stored votes match Discord after downtime.

Live changes arrive from the gateway (cogs/votes.py); catch-up reads what Discord holds for the bot's
recent picks and open polls and applies the difference. While a message is being read, live changes
to it are remembered and keep their precedence over the read. The weekly poll service reconciles a
poll's votes through it before its recap. Owned by the bot: nothing looks it up by name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.db import VoteChange
from bot.votes import poll_source, reaction_source, reconcile

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import PresentedMessage, WeeklyPoll

log = logging.getLogger(__name__)

PAGE = 100  # reaction users per request, Discord's maximum


# Changes that move a pick's count (a deleted pick or channel has no count left to show).
LIVE_OPS = frozenset({"add", "remove", "clear", "clear-emoji"})


class Ballot:
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.emojis = frozenset(bot.settings.vote_emojis)
        # Messages being reconciled -> the (member, source) pairs live events touched meanwhile.
        self._reconciling: dict[int, set[tuple[int, str]]] = {}
        self._catchups: dict[int, asyncio.Task[None]] = {}
        self._catchup_again: set[int] = set()
        self.catchup_runs = 0

    def change(self, op: str, message_id: int, user_id: int = 0, source: str = "") -> None:
        """One vote change, queued for the writer; noted if that message is being read right now."""
        if user_id and message_id in self._reconciling:
            self._reconciling[message_id].add((user_id, source))
        self.bot.storage.change_votes(VoteChange(op, message_id, user_id, source))
        if op in LIVE_OPS:
            self.bot.live.touched(message_id)

    def stop(self) -> None:
        for task in self._catchups.values():
            task.cancel()

    def start_catch_up(self, shard_id: int) -> None:
        """After every IDENTIFY (start, or a session that could not be resumed): votes may have changed
        while no events reached us."""
        running = self._catchups.get(shard_id)
        if running is not None and not running.done():
            self._catchup_again.add(shard_id)
            return
        self._catchups[shard_id] = asyncio.create_task(
            self._catch_up_loop(shard_id), name=f"catch-up-{shard_id}"
        )

    async def _catch_up_loop(self, shard_id: int) -> None:
        while True:
            try:
                await self.catch_up(shard_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "catch-up for shard %s failed; live votes keep counting",
                    shard_id,
                    extra={"shard": shard_id},
                )
            if shard_id not in self._catchup_again:
                return
            self._catchup_again.discard(shard_id)

    async def catch_up(self, shard_id: int) -> None:
        guild_ids = [g.id for g in self.bot.guilds if g.shard_id == shard_id]
        since = int(time.time()) - self.bot.settings.catchup_days * 86400
        messages = await self.bot.storage.presented_since(guild_ids, since)
        polls = await self.bot.storage.open_polls(shards=(self.bot.shard_count or 1, [shard_id]))
        started = time.perf_counter()
        changed = 0
        for message in messages:
            changed += await self.reconcile_message(message)
        for poll in polls:
            changed += await self.reconcile_poll(poll)
        await self.bot.storage.flush()
        self.catchup_runs += 1
        log.info(
            "catch-up for shard %s: %d messages and %d open polls checked, %d vote sources changed in %.1fs",
            shard_id,
            len(messages),
            len(polls),
            changed,
            time.perf_counter() - started,
            extra={"shard": shard_id},
        )

    @staticmethod
    async def _every_user(fetch: Callable[[int | None], Awaitable[list[dict]]]) -> set[int]:
        """Page through a user listing (100 at a time, Discord's maximum), leaving bots out."""
        users: set[int] = set()
        after: int | None = None
        while True:
            page = await fetch(after)
            users |= {int(u["id"]) for u in page if not u.get("bot")}
            if len(page) < PAGE:
                return users
            after = int(page[-1]["id"])

    async def _reaction_users(self, message: PresentedMessage, emoji: str, burst: bool) -> set[int]:
        async def fetch(after: int | None) -> list[dict]:
            return await self.bot.http.get_reaction_users(
                message.channel_id, message.message_id, emoji, PAGE, after=after, type=1 if burst else 0
            )

        return await self._every_user(fetch)

    async def reconcile_message(self, message: PresentedMessage) -> int:
        """Make the stored reaction sources of one message match Discord. A failed read changes nothing."""

        async def read() -> set[tuple[int, str]]:
            observed: set[tuple[int, str]] = set()
            for emoji in self.emojis:
                for burst in (False, True):
                    users = await self._reaction_users(message, emoji, burst)
                    observed |= {(u, reaction_source(emoji, burst)) for u in users}
            return observed

        async def rules(observed: set[tuple[int, str]]) -> dict[str, Any]:
            forgotten = await self.bot.storage.forgotten_at(message.guild_id, {u for u, _ in observed})
            return {"forgotten_at": forgotten, "presented_at": message.created_at}

        return await self._make_match(
            message.message_id, message.channel_id, f"reactions of message {message.message_id}", read, "r:", "add",
            rules,
        )  # fmt: skip

    async def _make_match(
        self,
        message_id: int,
        channel_id: int,
        what: str,
        read: Callable[[], Awaitable[set[tuple[int, str]]]],
        prefix: str,
        add_op: str,
        rules: Callable[[set[tuple[int, str]]], Awaitable[dict[str, Any]]] | None = None,
    ) -> int:
        """Read what Discord holds for a message, then apply the difference to what is stored — except
        where a live event touched the same member and source during the read. Returns how many sources
        changed. A message or channel that is gone takes its votes; any other failed read changes nothing."""
        self._reconciling[message_id] = set()
        try:
            observed = await read()
        except discord.NotFound as exc:
            self._reconciling.pop(message_id, None)
            return self._gone(exc, message_id, channel_id)
        except discord.HTTPException as exc:
            log.warning("catch-up could not read the %s: %s", what, exc)
            self._reconciling.pop(message_id, None)
            return 0
        stored = await self.bot.storage.sources_of(message_id, prefix)
        touched = self._reconciling.pop(message_id, set())
        extra = await rules(observed) if rules is not None else {}
        diff = reconcile(stored, observed, touched_live=touched, **extra)
        for user, source in diff.add:
            self.change(add_op, message_id, user, source)
        for user, source in diff.remove:
            self.change("remove", message_id, user, source)
        return len(diff.add) + len(diff.remove)

    def _gone(self, exc: discord.NotFound, message_id: int, channel_id: int) -> int:
        """The message (10008) or its channel (10003) is gone: so are its votes. Any other 404 changes
        nothing, like every other failed read."""
        if exc.code == 10003:
            self.change("channel-gone", channel_id)
        elif exc.code == 10008:
            self.change("message-gone", message_id)
        else:
            log.warning("catch-up could not read message %s: %s", message_id, exc)
            return 0
        return 1

    async def _answer_voters(self, poll: WeeklyPoll, answer_id: int) -> set[int]:
        async def fetch(after: int | None) -> list[dict]:
            data = await self.bot.http.get_poll_answer_voters(
                poll.channel_id, poll.message_id, answer_id, limit=PAGE, after=after
            )
            return data.get("users", [])

        return await self._every_user(fetch)

    async def reconcile_poll(self, poll: WeeklyPoll) -> int:
        """Make the stored votes of a weekly poll match its answer voters on Discord."""

        async def read() -> set[tuple[int, str]]:
            observed: set[tuple[int, str]] = set()
            for answer_id, _title in await self.bot.storage.poll_answers(poll.message_id):
                observed |= {(u, poll_source(answer_id)) for u in await self._answer_voters(poll, answer_id)}
            return observed

        return await self._make_match(
            poll.message_id, poll.channel_id, f"voters of poll {poll.message_id}", read, "p:", "poll-add"
        )
