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
from typing import TYPE_CHECKING

import discord

from bot.db import VoteChange
from bot.votes import poll_source, reaction_source, reconcile

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import PresentedMessage, WeeklyPoll

log = logging.getLogger(__name__)

PAGE = 100  # reaction users per request, Discord's maximum


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

    _change = change

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
                log.exception("catch-up for shard %s failed; live votes keep counting", shard_id)
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
        self._reconciling[message.message_id] = set()
        try:
            observed: set[tuple[int, str]] = set()
            for emoji in self.emojis:
                for burst in (False, True):
                    users = await self._reaction_users(message, emoji, burst)
                    observed |= {(u, reaction_source(emoji, burst)) for u in users}
        except discord.NotFound as exc:
            self._reconciling.pop(message.message_id, None)
            return self._gone(exc, message.message_id, message.channel_id)
        except discord.HTTPException as exc:
            log.warning("catch-up could not read reactions of message %s: %s", message.message_id, exc)
            self._reconciling.pop(message.message_id, None)
            return 0
        stored = await self.bot.storage.sources_of(message.message_id, "r:")
        touched = self._reconciling.pop(message.message_id, set())
        forgotten = await self.bot.storage.forgotten_at(message.guild_id, {u for u, _ in observed})
        diff = reconcile(
            stored, observed, touched_live=touched, forgotten_at=forgotten, presented_at=message.created_at
        )
        for user, source in diff.add:
            self._change("add", message.message_id, user, source)
        for user, source in diff.remove:
            self._change("remove", message.message_id, user, source)
        return len(diff.add) + len(diff.remove)

    def _gone(self, exc: discord.NotFound, message_id: int, channel_id: int) -> int:
        """The message (10008) or its channel (10003) is gone: so are its votes. Any other 404 changes
        nothing, like every other failed read."""
        if exc.code == 10003:
            self._change("channel-gone", channel_id)
        elif exc.code == 10008:
            self._change("message-gone", message_id)
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
        storage = self.bot.storage
        self._reconciling[poll.message_id] = set()
        try:
            observed: set[tuple[int, str]] = set()
            for answer_id, _title in await storage.poll_answers(poll.message_id):
                observed |= {(u, poll_source(answer_id)) for u in await self._answer_voters(poll, answer_id)}
        except discord.NotFound as exc:
            self._reconciling.pop(poll.message_id, None)
            return self._gone(exc, poll.message_id, poll.channel_id)
        except discord.HTTPException as exc:
            log.warning("catch-up could not read the voters of poll %s: %s", poll.message_id, exc)
            self._reconciling.pop(poll.message_id, None)
            return 0
        stored = await storage.sources_of(poll.message_id, "p:")
        touched = self._reconciling.pop(poll.message_id, set())
        diff = reconcile(stored, observed, touched_live=touched)
        for user, source in diff.add:
            self._change("poll-add", poll.message_id, user, source)
        for user, source in diff.remove:
            self._change("remove", poll.message_id, user, source)
        return len(diff.add) + len(diff.remove)
