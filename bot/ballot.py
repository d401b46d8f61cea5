"""The ballot: every vote change goes through it, and it makes stored votes match Discord after downtime.

Live changes arrive from the gateway (cogs/votes.py); catch-up reads what Discord holds for the bot's
recent picks and open polls and applies the difference. While a message is being read, live changes
to it are remembered and keep their precedence over the read. The weekly poll service reconciles a
poll's votes through it before its recap. Owned by the bot: nothing looks it up by name.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import groupby
from typing import TYPE_CHECKING, Any

import discord

from bot.catchup import CatchUpRun, ChannelWalk, Pacer, answer_counts, differing, reaction_counts
from bot.db import VoteChange
from bot.votes import poll_source, reaction_source, reconcile

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import PresentedMessage, WeeklyPoll

log = logging.getLogger(__name__)

PAGE = 100  # reaction users per request, Discord's maximum
PROGRESS_EVERY = 30.0  # seconds between a long catch-up's progress lines


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
        self.pacer = Pacer(bot.settings.catchup_rate)
        self.runs: dict[int, CatchUpRun] = {}  # each shard's latest catch-up, for metrics
        self.received: Counter[str] = Counter()  # vote changes by kind (add, remove, …), for metrics

    def change(self, op: str, message_id: int, user_id: int = 0, source: str = "") -> None:
        """One vote change, queued for the writer; noted if that message is being read right now."""
        if user_id and message_id in self._reconciling:
            self._reconciling[message_id].add((user_id, source))
        self.received[op] += 1
        self.bot.storage.change_votes(VoteChange(op, message_id, user_id, source))
        if op in LIVE_OPS:
            self.bot.live.touched(message_id)

    def catching_up(self, shard_id: int) -> bool:
        task = self._catchups.get(shard_id)
        return task is not None and not task.done()

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
        """Read this shard's recent picks a history page at a time, newest first, and list members only
        where Discord's counts differ from the stored ones; then the open polls, likewise."""
        settings = self.bot.settings
        now = int(time.time())
        guild_ids = [g.id for g in self.bot.guilds if g.shard_id == shard_id]
        messages = await self.bot.storage.presented_since(
            guild_ids,
            now - settings.catchup_days * 86400,
            quiet_before=now - settings.catchup_quiet_days * 86400,
        )
        polls = await self.bot.storage.open_polls(shards=(self.bot.shard_count or 1, [shard_id]))
        run = CatchUpRun(shard_id, picks=len(messages), polls=len(polls))
        self.runs[shard_id] = run
        await self.bot.storage.flush()  # compare with every change that reached the bot so far
        walks: dict[int, ChannelWalk] = {}
        for channel_id, picks in groupby(
            sorted(messages, key=lambda m: m.channel_id), lambda m: m.channel_id
        ):
            walks[channel_id] = ChannelWalk(channel_id, picks)
        queue = [(-walk.newest, channel_id) for channel_id, walk in walks.items()]
        heapq.heapify(queue)
        logged = time.monotonic()
        while queue:
            _newest, channel_id = heapq.heappop(queue)
            walk = walks[channel_id]
            await self._check_page(walk, run)
            if walk.picks:
                heapq.heappush(queue, (-walk.newest, channel_id))
            if time.monotonic() - logged >= PROGRESS_EVERY:
                logged = time.monotonic()
                log.info(run.line(), extra={"shard": shard_id})
        for poll in polls:
            await self._check_poll(poll, run)
        await self.bot.storage.flush()
        self.catchup_runs += 1
        log.info(run.line(done=True), extra={"shard": shard_id})

    async def _ask(self, run: CatchUpRun | None, call: Callable[[], Awaitable[Any]]) -> Any:
        """One request to Discord; during catch-up, paced and counted."""
        if run is not None:
            await self.pacer.wait()
            run.requests += 1
        return await call()

    async def _check_page(self, walk: ChannelWalk, run: CatchUpRun) -> None:
        """One history read for a channel's newest unchecked pick, and the picks it covers compared."""
        limit = walk.next_limit()
        candidates = [p.message_id for p in walk.picks[:limit]]
        for message_id in candidates:
            self._reconciling[message_id] = set()
        try:
            page = await self._ask(
                run, lambda: self.bot.http.logs_from(walk.channel_id, limit, before=walk.newest + 1)
            )
        except discord.HTTPException as exc:
            for message_id in candidates:
                self._reconciling.pop(message_id, None)
            if isinstance(exc, discord.NotFound) and exc.code == 10003:
                run.checked += len(walk.picks)
                self.change("channel-gone", walk.channel_id)
                run.changed += 1
            else:
                run.unread += len(walk.picks)
                log.warning("catch-up could not read channel %s: %s", walk.channel_id, exc)
            walk.picks = []
            return
        covered = walk.covered(page, limit)
        await self.bot.storage.flush()
        stored = await self.bot.storage.source_counts([p.message_id for p, _m in covered], "r:")
        touched = {message_id: bool(self._reconciling.pop(message_id, ())) for message_id in candidates}
        for pick, message in covered:
            run.checked += 1
            if message is None:  # inside the page's range, yet not in it: deleted
                self.change("message-gone", pick.message_id)
                run.changed += 1
                continue
            observed = reaction_counts(message, self.emojis)
            # A live event during the read, or counts Discord did not give: list every source.
            wanted = (
                None
                if observed is None or touched.get(pick.message_id, True)
                else differing(observed, stored[pick.message_id])
            )
            if wanted is None or wanted:
                self._count(run, await self.reconcile_message(pick, sources=wanted, run=run))

    async def _check_poll(self, poll: WeeklyPoll, run: CatchUpRun) -> None:
        """An open poll's answer counts compared; voters listed only for the answers that differ."""
        self._reconciling[poll.message_id] = set()
        try:
            message = await self._ask(
                run, lambda: self.bot.http.get_message(poll.channel_id, poll.message_id)
            )
        except discord.NotFound as exc:
            self._reconciling.pop(poll.message_id, None)
            run.checked += 1
            self._count(run, self._gone(exc, poll.message_id, poll.channel_id))
            return
        except discord.HTTPException as exc:
            self._reconciling.pop(poll.message_id, None)
            run.checked += 1
            log.warning("catch-up could not read poll %s: %s", poll.message_id, exc)
            return
        await self.bot.storage.flush()
        stored = (await self.bot.storage.source_counts([poll.message_id], "p:"))[poll.message_id]
        touched = bool(self._reconciling.pop(poll.message_id, ()))
        observed = answer_counts(message)
        wanted = None if observed is None or touched else differing(observed, stored)
        run.checked += 1
        if wanted is None or wanted:
            self._count(run, await self.reconcile_poll(poll, answers=wanted, run=run))

    @staticmethod
    def _count(run: CatchUpRun, sources: int) -> None:
        if sources:
            run.changed += 1
            run.sources += sources

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

    async def _reaction_users(
        self, message: PresentedMessage, emoji: str, burst: bool, run: CatchUpRun | None = None
    ) -> set[int]:
        async def fetch(after: int | None) -> list[dict]:
            return await self._ask(
                run,
                lambda: self.bot.http.get_reaction_users(
                    message.channel_id, message.message_id, emoji, PAGE, after=after, type=1 if burst else 0
                ),
            )

        return await self._every_user(fetch)

    async def reconcile_message(
        self,
        message: PresentedMessage,
        *,
        sources: frozenset[str] | None = None,
        run: CatchUpRun | None = None,
    ) -> int:
        """Make the stored reaction sources of one message (all, or only `sources`) match Discord. A
        failed read changes nothing."""
        pairs = [
            (emoji, burst)
            for emoji in self.emojis
            for burst in (False, True)
            if sources is None or reaction_source(emoji, burst) in sources
        ]

        async def read() -> set[tuple[int, str]]:
            observed: set[tuple[int, str]] = set()
            for emoji, burst in pairs:
                users = await self._reaction_users(message, emoji, burst, run)
                observed |= {(u, reaction_source(emoji, burst)) for u in users}
            return observed

        async def rules(observed: set[tuple[int, str]]) -> dict[str, Any]:
            forgotten = await self.bot.storage.forgotten_at(message.guild_id, {u for u, _ in observed})
            return {"forgotten_at": forgotten, "presented_at": message.created_at}

        return await self._make_match(
            message.message_id, message.channel_id, f"reactions of message {message.message_id}", read, "r:", "add",
            rules, sources,
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
        only: frozenset[str] | None = None,
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
        if only is not None:  # the sources that were read; the others are left as they are
            stored = {(user, source) for user, source in stored if source in only}
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

    async def _answer_voters(
        self, poll: WeeklyPoll, answer_id: int, run: CatchUpRun | None = None
    ) -> set[int]:
        async def fetch(after: int | None) -> list[dict]:
            data = await self._ask(
                run,
                lambda: self.bot.http.get_poll_answer_voters(
                    poll.channel_id, poll.message_id, answer_id, limit=PAGE, after=after
                ),
            )
            return data.get("users", [])

        return await self._every_user(fetch)

    async def reconcile_poll(
        self, poll: WeeklyPoll, *, answers: frozenset[str] | None = None, run: CatchUpRun | None = None
    ) -> int:
        """Make the stored votes of a weekly poll (all answers, or only `answers`) match its voters on
        Discord."""
        chosen = [
            answer_id
            for answer_id, _title in await self.bot.storage.poll_answers(poll.message_id)
            if answers is None or poll_source(answer_id) in answers
        ]

        async def read() -> set[tuple[int, str]]:
            observed: set[tuple[int, str]] = set()
            for answer_id in chosen:
                voters = await self._answer_voters(poll, answer_id, run)
                observed |= {(u, poll_source(answer_id)) for u in voters}
            return observed

        return await self._make_match(
            poll.message_id,
            poll.channel_id,
            f"voters of poll {poll.message_id}",
            read,
            "p:",
            "poll-add",
            only=answers,
        )
