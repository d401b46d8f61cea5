"""/poll: the weekly "which of these have you cried to?" poll, on each server's own clock.

The admins' commands (setup, status, now, off) and the loop that wakes every minute. What a tick does —
claim, post, record or release, recover, recap — is the weekly poll service's (bot/weekly/service.py).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.errors import UserFacingError
from bot.i18n import _, t
from bot.options import TextChannelOption
from bot.schedule import (
    WEEKDAYS,
    from_ts,
    next_occurrence,
    parse_local_time,
    suggest_timezones,
    to_ts,
    zone,
)
from bot.tree import report_error, safe_reply
from bot.weekly.service import render_failure

if TYPE_CHECKING:
    from bot.client import Tearjerker

log = logging.getLogger(__name__)

TICK_SECONDS = 60
# What the bot needs in the poll channel (names as Discord's settings show them, in bot/locales):
# without the first three no poll can be posted; without the others it goes out, but less well.
BLOCKING = ("view_channel", "send_messages", "send_polls")
DEGRADING = ("embed_links", "add_reactions", "read_message_history")
NEEDED = BLOCKING + DEGRADING


def describe_missing(locale: Any, missing: list[str], channel: str) -> list[str]:
    """One line for what stops the poll, one for what only weakens it, each saying what happens."""
    lines = []
    blocking = [p for p in missing if p in BLOCKING]
    degrading = [p for p in missing if p in DEGRADING]
    if blocking:
        names = ", ".join(t(locale, f"perm.{p}") for p in blocking)
        lines.append(t(locale, "poll.missing_blocking", permissions=names, channel=channel))
    if degrading:
        names = ", ".join(t(locale, f"perm.{p}") for p in degrading)
        effects = "; ".join(t(locale, f"poll.effect_{p}") for p in degrading)
        lines.append(t(locale, "poll.missing_degrading", permissions=names, channel=channel, effects=effects))
    return lines


class PollNowButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tj:pollnow:(?P<action>yes|no):(?P<owner>[0-9]{1,20})",
):
    """Confirm or cancel `/poll now` while a poll is still open (posting ends it early)."""

    def __init__(self, action: str, owner: int, label: str = "") -> None:
        self.action, self.owner = action, owner
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=discord.ButtonStyle.danger if action == "yes" else discord.ButtonStyle.secondary,
                custom_id=f"tj:pollnow:{action}:{owner}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PollNowButton:
        return cls(match["action"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Tearjerker]) -> None:  # type: ignore[override]
        interaction.client.track_current_task()
        locale = interaction.locale
        if interaction.user.id != self.owner or not interaction.permissions.manage_guild:
            await safe_reply(interaction, t(locale, "poll.confirm_not_yours"))
            return
        if self.action == "no":
            await interaction.response.edit_message(content=t(locale, "poll.confirm_kept"), view=None)
            return
        await interaction.response.edit_message(content=t(locale, "poll.posting"), view=None)
        try:
            await post_now(interaction)
        except Exception as exc:
            await report_error(interaction, exc)


async def post_now(interaction: discord.Interaction[Tearjerker]) -> None:
    """Post a poll now (ending one still open, with its recap) and tell the admin where it went."""
    assert interaction.guild_id is not None
    weekly = interaction.client.weekly
    schedule = await interaction.client.storage.schedule(interaction.guild_id)
    if schedule is None:
        raise UserFacingError("poll.setup_first")
    if weekly.busy(schedule.guild_id):
        raise UserFacingError("poll.busy")
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True)
    message = await weekly.post(schedule, scheduled=False)
    if message is None:
        raise UserFacingError("poll.busy")
    await interaction.followup.send(
        t(interaction.locale, "poll.posted", url=message.jump_url, channel=f"<#{message.channel.id}>"),
        ephemeral=True,
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Polls(
    commands.GroupCog, group_name=_("poll"), group_description=_("The weekly “which did you cry to?” poll")
):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.weekly = bot.weekly
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PollNowButton)
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PollNowButton)
        self.scheduler.cancel()
        self.weekly.stop()

    # --- Discord ends a poll -----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A poll's results are finalized in a message update when it ends, early or on time."""
        results = (payload.data.get("poll") or {}).get("results") or {}
        if results.get("is_finalized"):
            final = {int(c["id"]): int(c["count"]) for c in results.get("answer_counts") or []}
            await self.weekly.poll_ended(payload.message_id, final)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Discord also posts a "poll ended" message pointing at the poll."""
        reference = message.reference
        if message.type is discord.MessageType.poll_result and reference and reference.message_id:
            await self.weekly.poll_ended(reference.message_id)

    async def interaction_check(self, interaction: discord.Interaction[Tearjerker]) -> bool:  # type: ignore[override]
        # Server settings can override the default permission; check what the member really has.
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

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
        time=_("Local time of day, e.g. 21:00, 9pm or 오후 9시"),
        timezone=_("Your time zone or city, e.g. Seoul, KST or America/New_York"),
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
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption],
        weekday: int,
        time: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        size: app_commands.Range[int, 2, 10] = 5,
        language: str = "server",
    ) -> None:
        at = parse_local_time(time)
        tz = zone(timezone, typed=True)
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
        text = "\n".join([text, *describe_missing(locale, missing, channel.mention)])
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
            lines += describe_missing(locale, missing, channel)
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name=_("now"), description=_("Post a poll right now, outside the schedule"))
    async def now(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        locale = interaction.locale
        still_open = await self.bot.storage.open_polls(guild_ids=[interaction.guild_id])
        if still_open and await self.bot.storage.schedule(interaction.guild_id) is not None:
            # Posting ends the open poll early: ask first.
            poll = still_open[-1]
            url = f"https://discord.com/channels/{poll.guild_id}/{poll.channel_id}/{poll.message_id}"
            view = discord.ui.View(timeout=None)
            owner = interaction.user.id
            view.add_item(PollNowButton("yes", owner, t(locale, "poll.confirm_yes")))
            view.add_item(PollNowButton("no", owner, t(locale, "poll.confirm_no")))
            await interaction.response.send_message(
                t(locale, "poll.confirm_now", url=url, closes=poll.closes_at), view=view, ephemeral=True
            )
            return
        await post_now(interaction)

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
            await self.weekly.tick()
        except Exception:
            log.exception("weekly poll tick failed; the next one runs as usual")

    @scheduler.before_loop
    async def _before_scheduler(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Polls(bot))
