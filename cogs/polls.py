"""/poll: the weekly "which of these have you cried to?" poll, on each server's own clock.

One loop wakes every minute and asks the database for the servers that are due (an indexed range),
so the work grows with the due servers, not with all of them. A post is claimed before it is made
and recorded after, so a restart finishes it instead of posting twice; a server whose post fails is
logged, keeps its error for /poll status, and is retried with back-off without holding up any other.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.embeds import recap_embed
from bot.errors import UserFacingError
from bot.i18n import _, language_of, t
from bot.polls import answers_for, choose_titles, ranking
from bot.schedule import (
    WEEKDAYS,
    backoff_seconds,
    from_ts,
    next_occurrence,
    parse_local_time,
    poll_hours,
    suggest_timezones,
    to_ts,
    zone,
)

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import PollSchedule, WeeklyPoll

log = logging.getLogger(__name__)

TICK_SECONDS = 60
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

# What the bot needs in the poll channel (names as Discord's settings show them, in bot/locales).
NEEDED = (
    "view_channel",
    "send_messages",
    "send_polls",
    "embed_links",
    "add_reactions",
    "read_message_history",
)


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


class PollChannel(app_commands.Transformer):
    """A text or announcement channel, as Discord resolves it in the interaction (channels are not
    cached, see bot/lean.py); `missing_permissions` fetches the full channel when it needs one."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction, value: Any, /
    ) -> discord.app_commands.AppCommandChannel:
        return value


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Polls(
    commands.GroupCog, group_name=_("poll"), group_description=_("The weekly “which did you cry to?” poll")
):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._jobs: dict[int, asyncio.Task[None]] = {}  # each server's weekly work under way
        self._posting = asyncio.Semaphore(POSTS_AT_ONCE)
        self.post_deadline = POST_DEADLINE
        self.tick_wait = TICK_WAIT
        self.ticks = 0
        super().__init__()

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()
        for job in self._jobs.values():
            job.cancel()

    async def interaction_check(self, interaction: discord.Interaction[Tearjerker]) -> bool:  # type: ignore[override]
        # Server settings can override the default permission; check what the member really has.
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    # --- shards --------------------------------------------------------------------------------

    def my_shards(self) -> tuple[int, list[int]]:
        count = self.bot.shard_count or 1
        return count, sorted(self.bot.shards) or list(range(count))

    # --- commands --------------------------------------------------------------------------------

    @app_commands.command(
        name=_("setup"), description=_("Post the weekly poll in a channel, on your server's clock")
    )
    @app_commands.rename(
        channel=_("channel"),
        weekday=_("weekday"),
        time=_("time"),
        timezone=_("timezone"),
        size=_("size"),
        language=_("language"),
    )
    @app_commands.describe(
        channel=_("Where the poll goes"),
        weekday=_("Which day of the week"),
        time=_("Local time of day, e.g. 21:00 or 9pm"),
        timezone=_("Your time zone, e.g. Asia/Seoul or America/New_York"),
        size=_("How many dramas each poll offers (2-10)"),
        language=_("The poll's language (default: the server's)"),
    )
    @app_commands.choices(
        weekday=[app_commands.Choice(name=_(d), value=i) for i, d in enumerate(WEEKDAYS)],
        language=[
            app_commands.Choice(name=_("The server's language"), value="server"),
            app_commands.Choice(name=_("English"), value="en"),
            app_commands.Choice(name=_("Korean"), value="ko"),
        ],
    )
    async def setup_poll(
        self,
        interaction: discord.Interaction[Tearjerker],
        channel: app_commands.Transform[app_commands.AppCommandChannel, PollChannel],
        weekday: int,
        time: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        size: app_commands.Range[int, 2, 10] = 5,
        language: str = "server",
    ) -> None:
        at = parse_local_time(time)
        tz = zone(timezone)
        now = datetime.now(UTC)
        due = next_occurrence(now, weekday, at, tz)
        assert interaction.guild_id is not None
        await self.bot.storage.save_schedule(
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            weekday=weekday,
            local_time=at.strftime("%H:%M"),
            timezone=tz.key,
            size=size,
            locale=None if language == "server" else language,
            next_due=to_ts(due),
            now=to_ts(now),
        )
        locale = interaction.locale
        text = t(
            locale,
            "poll.set",
            weekday=t(locale, f"weekday.{weekday}"),
            time=at.strftime("%H:%M"),
            zone=tz.key,
            size=size,
            channel=channel.mention,
            due=to_ts(due),
        )
        missing = await self.missing_permissions(interaction.guild, channel.id)
        if missing:
            names = ", ".join(t(locale, f"perm.{p}") for p in missing)
            text += "\n" + t(locale, "poll.missing", permissions=names, channel=channel.mention)
        await interaction.response.send_message(text, ephemeral=True)

    @setup_poll.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Tearjerker], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_timezones(current)]

    async def missing_permissions(self, guild: discord.Guild | None, channel_id: int) -> list[str]:
        """What the bot lacks in a channel: the channel's overwrites, fetched, against its cached roles.

        A channel the bot cannot even see answers 403 to the fetch: then every permission is missing.
        """
        if guild is None:
            return []
        try:
            channel = await self.bot.fetch_channel(channel_id)
        except discord.Forbidden:
            return list(NEEDED)
        if not isinstance(channel, discord.abc.GuildChannel):
            return []
        perms = channel.permissions_for(guild.me)
        return [name for name in NEEDED if not getattr(perms, name)]

    @app_commands.command(name=_("status"), description=_("When the next poll goes out, and anything wrong"))
    async def status(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None and interaction.guild is not None
        locale = interaction.locale
        schedule = await self.bot.storage.schedule(interaction.guild_id)
        if schedule is None:
            await interaction.response.send_message(t(locale, "poll.none"), ephemeral=True)
            return
        tz = zone(schedule.timezone)
        channel = f"<#{schedule.channel_id}>"
        weekday = t(locale, f"weekday.{schedule.weekday}")
        lines = [
            t(locale, "poll.status_channel", channel=channel),
            t(
                locale,
                "poll.status_when",
                weekday=weekday,
                time=schedule.local_time,
                zone=schedule.timezone,
                size=schedule.size,
            ),
        ]
        if schedule.enabled and schedule.next_due:
            local = from_ts(schedule.next_due).astimezone(tz)
            day = t(locale, f"weekday.{local.weekday()}")
            lines.append(
                t(locale, "poll.status_next", local=f"{day} {local:%Y-%m-%d %H:%M %Z}", due=schedule.next_due)
            )
        else:
            lines.append(t(locale, "poll.status_off"))
        if schedule.last_posted_at:
            lines.append(t(locale, "poll.status_last", at=schedule.last_posted_at))
        else:
            lines.append(t(locale, "poll.status_last_none"))
        if schedule.last_error:
            lines.append(
                t(
                    locale,
                    "poll.status_error",
                    at=schedule.last_error_at,
                    failures=schedule.failures,
                    error=render_failure(schedule.last_error, locale),
                )
            )
        try:
            missing = await self.missing_permissions(interaction.guild, schedule.channel_id)
        except discord.NotFound:
            lines.append(t(locale, "poll.status_gone"))
        else:
            if missing:
                names = ", ".join(t(locale, f"perm.{p}") for p in missing)
                lines.append(t(locale, "poll.status_missing", channel=channel, permissions=names))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name=_("now"), description=_("Post a poll right now, outside the schedule"))
    async def now(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        schedule = await self.bot.storage.schedule(interaction.guild_id)
        if schedule is None:
            raise UserFacingError("poll.setup_first")
        if self._locks[schedule.guild_id].locked():
            raise UserFacingError("poll.busy")
        await interaction.response.defer(ephemeral=True)
        message = await self.post(schedule, scheduled=False)
        if message is None:
            raise UserFacingError("poll.busy")
        await interaction.followup.send(
            t(interaction.locale, "poll.posted", url=message.jump_url), ephemeral=True
        )

    @app_commands.command(name=_("off"), description=_("Stop the weekly poll (votes and charts stay)"))
    async def off(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        stopped = await self.bot.storage.disable_schedule(interaction.guild_id, int(time.time()))
        await interaction.response.send_message(
            t(interaction.locale, "poll.off" if stopped else "poll.was_off"), ephemeral=True
        )

    # --- the scheduler -----------------------------------------------------------------------------

    @tasks.loop(seconds=TICK_SECONDS)
    async def scheduler(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("weekly poll tick failed; the next one runs as usual")

    @scheduler.before_loop
    async def _before_scheduler(self) -> None:
        await self.bot.wait_until_ready()

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
            log.exception("weekly poll work for server %s failed", guild_id)

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
            next_due = self._next_slot(schedule, now) if scheduled or schedule.enabled else None
            try:
                async with asyncio.timeout(self.post_deadline):
                    message, answers, closes_at = await self._send_poll(schedule, now, next_due)
            except TimeoutError as exc:
                # Discord may have the poll or not. The claim stays, so nothing else posts for this
                # server; the next tick looks for the post in the channel and records it, or posts.
                error = describe_failure(exc)
                await storage.note_post_error(schedule.guild_id, error=error, now=now)
                log.warning("weekly poll for server %s: Discord did not answer in time", schedule.guild_id)
                if not scheduled:
                    raise PollFailed(error) from exc
                return None
            except Exception as exc:
                error = describe_failure(exc)
                retry = now + backoff_seconds(schedule.failures + 1)
                if scheduled and next_due is not None:
                    retry = min(retry, next_due)
                await storage.release_post(
                    schedule.guild_id,
                    error=error,
                    retry_at=retry if scheduled else schedule.next_due,
                    now=now,
                )
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
            log.info("posted the weekly poll in server %s (%d titles)", schedule.guild_id, len(answers))
            return message

    @staticmethod
    def _next_slot(schedule: PollSchedule, after: int) -> int:
        at = parse_local_time(schedule.local_time)
        return to_ts(next_occurrence(from_ts(after), schedule.weekday, at, zone(schedule.timezone)))

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
            await self.close_poll(old, now)
        storage = self.bot.storage
        titles = choose_titles(
            self.bot.catalog.dramas, await storage.last_used_titles(guild.id), schedule.size
        )
        answers = answers_for(titles, self.bot.catalog)
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
                retry_at=self._next_slot(schedule, int(time.time())), now=int(time.time()),
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
        # The answers are titles in English or Hangul, whichever language the poll was posted in.
        by_title = {name: d.id for d in self.bot.catalog.dramas for name in (d.title, d.hangul)}
        answers = [(a.id, by_title[a.text]) for a in found.poll.answers if a.text in by_title]  # type: ignore[union-attr]
        posted = to_ts(found.created_at)
        expires = found.poll.expires_at  # type: ignore[union-attr]
        next_due = self._next_slot(schedule, posted)
        await storage.record_poll(
            guild_id=schedule.guild_id,
            channel_id=found.channel.id,
            message_id=found.id,
            posted_at=posted,
            closes_at=to_ts(expires) if expires else posted + 167 * 3600,
            answers=answers,
            next_due=next_due if schedule.enabled else None,
        )
        log.info("recorded interrupted poll post %s for server %s", found.id, schedule.guild_id)

    async def close_poll(self, poll: WeeklyPoll, now: int) -> None:
        """The recap, made once: claim it, read the final votes, post it."""
        storage = self.bot.storage
        if not await storage.claim_close(poll.message_id, now):
            return
        votes_cog = self.bot.get_cog("Votes")
        if votes_cog is not None:
            await votes_cog.reconcile_poll(poll)  # type: ignore[attr-defined]
        await storage.writer.flush()
        counts = await storage.poll_counts(poll.message_id)
        order = [title_id for _, title_id in await storage.poll_answers(poll.message_id)]
        catalog = self.bot.catalog
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
        )
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        try:
            recap = await channel.send(embed=embed)
        except discord.HTTPException as exc:
            log.warning("the recap of poll %s could not be posted: %s", poll.message_id, exc)
            return
        await storage.record_recap(poll.message_id, recap.id)


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Polls(bot))
