"""The weekly poll's protocol: tick -> claim -> post -> record or release -> recover -> recap.

Every step that can be lost to a crash is claimed in the database first, so a restart (or another
process) finishes it instead of doing it twice. Each server's work runs in its own task with its own
deadline: one server's hung request never holds up another's poll. The cog (cogs/polls.py) keeps the
commands and the loop; this service owns the protocol, and the ballot (bot/ballot.py) the votes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.embeds import recap_embed
from bot.errors import UserFacingError
from bot.i18n import language_of, t
from bot.polls import answers_for, choose_titles, ranking
from bot.schedule import from_ts, poll_hours, to_ts
from bot.weekly.plan import answer_titles, next_slot, retry_time

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import PollSchedule, WeeklyPoll

log = logging.getLogger(__name__)

POSTS_AT_ONCE = 10  # servers posted to concurrently
# One server's weekly work (ending the old poll, its recap, the new post) gets this long before the bot
# stops waiting on Discord: aiohttp alone would wait 300 s on a request that never answers.
POST_DEADLINE = 90.0
# A tick waits this long for the work it started, then lets it finish in the background, so the next
# tick starts on time and one stuck server never delays another's poll past its minute.
TICK_WAIT = 20.0
# Recovery reads the poll channel from the newest message back to the due time, at most this many
# messages (one request per 100).
RECOVERY_SCAN = 500


def describe_failure(exc: BaseException) -> str:
    """Why a post failed, as a catalogue key with its parameters (JSON), kept for /poll status so each
    admin reads it in their own language."""
    if isinstance(exc, TimeoutError):
        key, params = "poll.fail_timeout", {}
    elif isinstance(exc, discord.Forbidden):
        key, params = "poll.fail_forbidden", {}
    elif isinstance(exc, discord.NotFound):
        key, params = "poll.fail_gone", {}
    elif isinstance(exc, discord.RateLimited):
        key, params = "poll.fail_ratelimited", {}
    elif isinstance(exc, discord.DiscordServerError):
        key, params = "poll.fail_server", {}
    elif isinstance(exc, discord.HTTPException):
        key, params = "poll.fail_http", {"status": exc.status, "text": exc.text[:80]}
    elif isinstance(exc, UserFacingError):
        key, params = exc.key, exc.params
    else:
        key, params = "poll.fail_ours", {}
    return json.dumps({"key": key, "params": params}, ensure_ascii=False)


def render_failure(stored: str, locale: Any) -> str:
    try:
        data = json.loads(stored)
        return t(locale, data["key"], **data.get("params", {}))
    except (ValueError, KeyError, TypeError):
        return stored  # written by an older version: plain text


def poll_language(schedule: PollSchedule, guild: discord.Guild | None) -> str:
    """The language of a server's poll and recap: chosen in /poll setup, else the server's own."""
    if schedule.locale:
        return language_of(schedule.locale)
    return language_of(guild.preferred_locale if guild else None)


class ChannelGone(UserFacingError):
    """The bot is no longer in the server, so there is nowhere to post."""


class PollFailed(UserFacingError):
    """/poll now could not post; carries the stored failure, rendered for the admin who asked."""

    def __init__(self, stored: str) -> None:
        super().__init__("poll.failed")
        self.stored = stored

    def render(self, locale: Any) -> str:
        return t(locale, "poll.failed", error=render_failure(self.stored, locale))


class WeeklyPolls:
    """The protocol for every server this process owns; `tick()` once a minute does the rest."""

    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._jobs: dict[int, asyncio.Task[None]] = {}  # each server's weekly work under way
        self._posting = asyncio.Semaphore(POSTS_AT_ONCE)
        self.post_deadline = POST_DEADLINE
        self.tick_wait = TICK_WAIT
        self.ticks = 0
        # What happened to weekly polls in this process (posted, failed, recovered), for the metrics.
        self.events: Counter[str] = Counter()

    def stop(self) -> None:
        for job in self._jobs.values():
            job.cancel()

    def busy(self, guild_id: int) -> bool:
        """A post for this server is under way in this process."""
        return self._locks[guild_id].locked()

    def my_shards(self) -> tuple[int, list[int]]:
        count = self.bot.shard_count or 1
        return count, sorted(self.bot.shards) or list(range(count))

    async def tick(self, now: int | None = None) -> None:
        """Finish posts a stopped bot left half-done, recap the polls that closed, then post for the
        servers that are due. The first tick runs as soon as the bot is ready."""
        now = int(time.time()) if now is None else now
        try:
            await self._tick(now)
        finally:
            self.ticks += 1  # ticks completed

    async def _tick(self, now: int) -> None:
        count, ids = self.my_shards()
        storage = self.bot.storage
        started = [
            self._start(schedule.guild_id, lambda s=schedule: self._recover(s))
            for schedule in await storage.interrupted_posts(count, ids)
            if not self._locks[schedule.guild_id].locked()  # not a post under way in this process
        ]
        started += [
            self._start(poll.guild_id, lambda p=poll: self.close_poll(p, now))
            for poll in await storage.open_polls(closing_by=now, shards=(count, ids))
        ]
        await self._wait(started)
        due = await storage.due_schedules(now, count, ids)
        await self._wait([self._start(s.guild_id, lambda s=s: self._post_due(s, now)) for s in due])

    def _start(self, guild_id: int, work: Callable[[], Awaitable[object]]) -> asyncio.Task[None] | None:
        """Run one server's weekly work in its own task, unless its earlier work is still under way:
        never two at once for a server, and never a wait on one server for the others."""
        running = self._jobs.get(guild_id)
        if running is not None and not running.done():
            return None
        task = asyncio.create_task(self._guarded(work, guild_id), name=f"weekly-poll-{guild_id}")
        self._jobs[guild_id] = task
        task.add_done_callback(lambda t: self._jobs.pop(guild_id) if self._jobs.get(guild_id) is t else None)
        return task

    async def _wait(self, tasks: list[asyncio.Task[None] | None]) -> None:
        running = [t for t in tasks if t is not None]
        if running:
            await asyncio.wait(running, timeout=self.tick_wait)

    async def _guarded(self, work: Callable[[], Awaitable[object]], guild_id: int) -> None:
        """One server's failure is logged and never stops the others; a hang ends at its deadline."""
        try:
            # The post has its own, shorter deadline; this one bounds recovery and recaps too.
            async with asyncio.timeout(self.post_deadline * 2):
                await work()
        except TimeoutError:
            log.warning(
                "weekly poll work for server %s did not finish in time; the next tick goes on", guild_id
            )
        except Exception:
            log.exception("weekly poll work for server %s failed", guild_id, extra={"guild": guild_id})

    async def _post_due(self, schedule: PollSchedule, now: int) -> None:
        async with self._posting:
            await self.post(schedule, scheduled=True, now=now)

    async def post(
        self, schedule: PollSchedule, *, scheduled: bool, now: int | None = None
    ) -> discord.Message | None:
        now = int(time.time()) if now is None else now
        storage = self.bot.storage
        async with self._locks[schedule.guild_id]:
            slot = schedule.next_due if scheduled and schedule.next_due else now
            if not await storage.claim_post(
                schedule.guild_id, slot, due=schedule.next_due if scheduled else None
            ):
                return None
            # After any post, manual or scheduled, the schedule moves to the next weekly slot: a poll
            # posted by hand while a failed one waits for its retry stands in for it. After downtime
            # this makes one catch-up poll, not one per missed week.
            next_due = next_slot(schedule, now) if scheduled or schedule.enabled else None
            try:
                async with asyncio.timeout(self.post_deadline):
                    message, answers, closes_at = await self._send_poll(schedule, now, next_due)
            except TimeoutError as exc:
                # Discord may have the poll or not. The claim stays, so nothing else posts for this
                # server; the next tick looks for the post in the channel and records it, or posts.
                error = describe_failure(exc)
                await storage.note_post_error(schedule.guild_id, error=error, now=now)
                self.events["failed"] += 1
                log.warning("weekly poll for server %s: Discord did not answer in time", schedule.guild_id)
                if not scheduled:
                    raise PollFailed(error) from exc
                return None
            except Exception as exc:
                error = describe_failure(exc)
                retry = retry_time(schedule.failures + 1, now, next_due) if scheduled else schedule.next_due
                await storage.release_post(schedule.guild_id, error=error, retry_at=retry, now=now)
                self.events["failed"] += 1
                log.warning("weekly poll for server %s failed: %s", schedule.guild_id, error, exc_info=exc)
                if not scheduled:
                    raise PollFailed(error) from exc
                return None
            # Discord has the poll. If recording it fails, the claim stays: recovery records this message
            # later instead of posting another one.
            await storage.record_poll(
                guild_id=schedule.guild_id,
                channel_id=message.channel.id,
                message_id=message.id,
                posted_at=now,
                closes_at=closes_at,
                answers=answers,
                next_due=next_due,
            )
            self.events["posted"] += 1
            log.info(
                "posted the weekly poll in server %s (%d titles)",
                schedule.guild_id,
                len(answers),
                extra={"guild": schedule.guild_id},
            )
            return message

    async def _send_poll(
        self, schedule: PollSchedule, now: int, next_due: int | None
    ) -> tuple[discord.Message, list[tuple[int, str]], int]:
        """Only the Discord side: end a poll still open, then post the new one."""
        guild = self.bot.get_guild(schedule.guild_id)
        if guild is None:
            raise ChannelGone("poll.fail_not_in_server")
        channel = self.bot.get_partial_messageable(schedule.channel_id, guild_id=guild.id)
        # A poll still open from before ends now, with its recap, so only one runs at a time.
        for old in await self.bot.storage.open_polls(guild_ids=[guild.id]):
            try:
                await self.bot.http.end_poll(old.channel_id, old.message_id)
            except discord.HTTPException as exc:
                log.info("could not end poll %s early: %s", old.message_id, exc)
            await self.close_poll(old, now, followed=True)
        storage = self.bot.storage
        catalog = self.bot.catalog_for(guild.id)
        titles = choose_titles(catalog.dramas, await storage.last_used_titles(guild.id), schedule.size)
        answers = answers_for(titles, catalog)
        hours = poll_hours(from_ts(now), from_ts(next_due)) if next_due else 7 * 24 - 1
        language = poll_language(schedule, guild)
        poll = discord.Poll(
            question=t(language, "poll.question"), duration=timedelta(hours=hours), multiple=True
        )
        for answer in answers:
            poll.add_answer(text=answer.drama.display_for(language), emoji=answer.emoji)
        closes_at = now + hours * 3600
        message = await channel.send(
            content=t(language, "poll.intro", server=guild.name, closes=closes_at), poll=poll
        )
        return message, [(a.answer_id, a.drama.id) for a in answers], closes_at

    async def _recover(self, schedule: PollSchedule) -> None:
        """A post claimed but never recorded: find it in the channel and record it, or release the claim
        so it is posted (once) on this tick."""
        storage = self.bot.storage
        channel = self.bot.get_partial_messageable(schedule.channel_id, guild_id=schedule.guild_id)
        found: discord.Message | None = None
        complete = True
        if schedule.posting_slot:
            # Newest first, back to the slot: members may have chatted since, before and after the post.
            after = from_ts(schedule.posting_slot - 60)
            me = self.bot.user.id  # type: ignore[union-attr]
            seen = 0
            try:
                async for message in channel.history(limit=RECOVERY_SCAN, after=after, oldest_first=False):
                    seen += 1
                    if message.author.id == me and message.poll is not None:
                        found = message
                        break
            except discord.NotFound:
                pass  # the channel is gone: nothing was posted there that still counts
            complete = found is not None or seen < RECOVERY_SCAN
        if found is None and not complete:
            # Too much chat to be sure the poll is not there: skipping a week beats posting it twice.
            await storage.release_post(
                schedule.guild_id, error=json.dumps({"key": "poll.fail_unverified", "params": {}}),
                retry_at=next_slot(schedule, int(time.time())), now=int(time.time()),
            )  # fmt: skip
            log.warning(
                "could not tell whether the interrupted poll for server %s was posted (over %d messages "
                "since); skipping to next week's",
                schedule.guild_id,
                RECOVERY_SCAN,
            )
            return
        if found is None:
            await storage.release_post(schedule.guild_id, error=None, retry_at=None, now=int(time.time()))
            log.info(
                "an interrupted poll post for server %s never reached Discord; it will be posted",
                schedule.guild_id,
            )
            return
        answers = answer_titles(
            ((a.id, a.text) for a in found.poll.answers), self.bot.catalog_for(schedule.guild_id)
        )  # type: ignore[union-attr]
        posted = to_ts(found.created_at)
        expires = found.poll.expires_at  # type: ignore[union-attr]
        next_due = next_slot(schedule, posted)
        await storage.record_poll(
            guild_id=schedule.guild_id,
            channel_id=found.channel.id,
            message_id=found.id,
            posted_at=posted,
            closes_at=to_ts(expires) if expires else posted + 167 * 3600,
            answers=answers,
            next_due=next_due if schedule.enabled else None,
        )
        self.events["recovered"] += 1
        log.info("recorded interrupted poll post %s for server %s", found.id, schedule.guild_id)

    async def poll_ended(self, message_id: int, final: dict[int, int] | None = None) -> None:
        """Discord ended one of our polls (its time ran out, or someone ended it early): the recap now,
        from Discord's finalized counts when the event carried them, instead of at our closing time.
        Both signals Discord sends (the finalized poll, then its result message) lead here; the recap is
        still made once."""
        poll = await self.bot.storage.open_poll(message_id)
        if poll is None:
            return  # not ours, or already recapped
        self._start(poll.guild_id, lambda: self.close_poll(poll, int(time.time()), final=final))

    async def close_poll(
        self, poll: WeeklyPoll, now: int, *, final: dict[int, int] | None = None, followed: bool = False
    ) -> None:
        """The recap, made once: claim it, read the final votes, post it. `final`: Discord's finalized
        count per answer id. `followed`: a new poll goes out right after (no "next week" in the recap)."""
        storage = self.bot.storage
        if not await storage.claim_close(poll.message_id, now):
            return
        await self.bot.ballot.reconcile_poll(poll)
        await storage.flush()
        answers = await storage.poll_answers(poll.message_id)
        counts = await storage.poll_counts(poll.message_id)
        if final is not None:
            counts = {title_id: final.get(answer_id, 0) for answer_id, title_id in answers}
        order = [title_id for _, title_id in answers]
        catalog = self.bot.catalog_for(poll.guild_id)
        week = [(catalog.get(r.title_id), r.votes) for r in ranking(counts, order)]
        all_time = [(catalog.get(title_id), n) for title_id, n in await storage.top(poll.guild_id, 3)]
        schedule = await storage.schedule(poll.guild_id)
        guild = self.bot.get_guild(poll.guild_id)
        language = (
            poll_language(schedule, guild)
            if schedule
            else language_of(guild.preferred_locale if guild else None)
        )
        embed = recap_embed(
            [(x, n) for x, n in week if x is not None],
            [(x, n) for x, n in all_time if x is not None],
            language,
            followed=followed,
        )
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        try:
            recap = await channel.send(embed=embed)
        except discord.HTTPException as exc:
            log.warning(
                "the recap of poll %s could not be posted: %s",
                poll.message_id,
                exc,
                extra={"guild": poll.guild_id},
            )
            return
        await storage.record_recap(poll.message_id, recap.id)
