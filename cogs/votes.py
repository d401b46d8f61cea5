"""Votes from reactions: every raw gateway event in, one queued change out; catch-up after downtime.

Raw events only, so messages that are not cached — and those from before a restart — count. When the
bot leaves a server its votes are kept: they are that server's memory, and re-inviting the bot brings
the chart back. Members can delete theirs at any time with /tears forget.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.votes import emoji_key, poll_source, reaction_source

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.lean import RawGuildChannelDelete

log = logging.getLogger(__name__)

PAGE = 100  # reaction users per request, Discord's maximum


class Votes(commands.Cog):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.emojis = frozenset(bot.settings.vote_emojis)

    async def cog_load(self) -> None:
        self.prune_orphans.start()

    async def cog_unload(self) -> None:
        self.prune_orphans.cancel()
        self.bot.ballot.stop()

    # --- live events -----------------------------------------------------------------------------

    def _source(self, emoji: discord.PartialEmoji, burst: bool) -> str | None:
        key = emoji_key(emoji.name, emoji.id)
        return reaction_source(key, burst) if key in self.emojis else None

    def _change(self, op: str, message_id: int, user_id: int = 0, source: str = "") -> None:
        self.bot.ballot.change(op, message_id, user_id, source)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        self.bot.ballot.start_catch_up(shard_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        me = self.bot.user
        # Cheap filters first: a popular server reacts to many messages that are not ours.
        if payload.guild_id is None or me is None or payload.message_author_id != me.id:
            return
        if payload.user_id == me.id or (payload.member is not None and payload.member.bot):
            return
        source = self._source(payload.emoji, payload.burst)
        if source is not None:
            self._change("add", payload.message_id, payload.user_id, source)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        # Removal events carry no author; removing a source that was never stored changes nothing.
        if payload.guild_id is None or (self.bot.user is not None and payload.user_id == self.bot.user.id):
            return
        source = self._source(payload.emoji, payload.burst)
        if source is not None:
            self._change("remove", payload.message_id, payload.user_id, source)

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        if payload.guild_id is not None:
            self._change("poll-add", payload.message_id, payload.user_id, poll_source(payload.answer_id))

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        if payload.guild_id is not None:
            self._change("remove", payload.message_id, payload.user_id, poll_source(payload.answer_id))

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        self._change("clear", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        source = self._source(payload.emoji, burst=False)
        if source is not None:
            self._change("clear-emoji", payload.message_id, source=source)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self._change("message-gone", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            self._change("message-gone", message_id)

    @commands.Cog.listener()
    async def on_raw_guild_channel_delete(self, payload: RawGuildChannelDelete) -> None:
        # Dispatched by bot/lean.py: channels are not cached, so discord.py's own event never fires.
        self._change("channel-gone", payload.channel_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        self._change("channel-gone", payload.thread_id)

    @tasks.loop(minutes=10)
    async def prune_orphans(self) -> None:
        try:
            await self.bot.storage.prune_orphans()
        except Exception:
            log.exception("pruning stale orphan reactions failed; trying again later")


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Votes(bot))
