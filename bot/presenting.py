"""Sending a pick: the embed goes out, the message is recorded as presenting that title, and the bot
adds its 😭 so members can vote with one click."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.catalog import Drama, Title
from bot.embeds import VOTE_EMOJI, drama_embed, ost_embed

if TYPE_CHECKING:
    from bot.client import Tearjerker

log = logging.getLogger(__name__)


async def present(interaction: discord.Interaction[Tearjerker], title: Title, view: discord.ui.View) -> None:
    bot = interaction.client
    name = interaction.user.display_name
    # Counts as of now; bot/live.py keeps them current as votes come in, a few seconds apart.
    assert interaction.guild_id is not None and interaction.channel_id is not None
    try:
        tears: tuple[int, int] | None = await bot.storage.tallies(interaction.guild_id, title.id)
    except Exception as exc:  # the database is unreachable: the pick still goes out, without counts
        if not bot.storage.is_outage(exc):
            raise
        tears = None
    render = drama_embed if isinstance(title, Drama) else ost_embed
    embed = render(
        title, bot.catalog_for(interaction.guild_id), interaction.locale, picked_for=name, tears=tears
    )  # type: ignore[arg-type]
    response = await interaction.response.send_message(embed=embed, view=view)
    message = response.resource
    if not isinstance(message, discord.InteractionMessage):
        message = await interaction.original_response()
    bot.history.shown(interaction.user.id, title.kind, title.id, message.id)
    bot.live.sent(message.id, embed, interaction.locale)
    await bot.storage.record_presented(
        message_id=message.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        title_id=title.id,
        kind=title.kind,
        requested_by=interaction.user.id,
    )
    try:
        await message.add_reaction(VOTE_EMOJI)
    except discord.HTTPException as exc:
        # The pick stands without the seed reaction; members can still add their own.
        log.warning("could not add %s to message %s: %s", VOTE_EMOJI, message.id, exc)
