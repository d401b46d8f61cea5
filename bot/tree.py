"""The command tree with the bot's single app-command error handler and its safe reply helper."""

from __future__ import annotations

import logging
import time
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.i18n import messages, t

log = logging.getLogger(__name__)


def _permission_names(locale: Any, perms: list[str]) -> str:
    names = []
    for perm in perms:
        key = f"perm.{perm}"
        names.append(t(locale, key) if key in messages("en") else perm.replace("_", " ").title())
    return ", ".join(names)


def explain(error: Exception, locale: Any = None) -> tuple[str, bool]:
    """Plain words for the member in their language, and whether the detail deserves an error log."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return error.render(locale), False
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(locale, "error.dm"), False
    if isinstance(error, app_commands.MissingPermissions):
        return t(
            locale,
            "error.missing_permissions",
            permissions=_permission_names(locale, error.missing_permissions),
        ), False
    if isinstance(error, app_commands.BotMissingPermissions):
        names = _permission_names(locale, error.missing_permissions)
        return t(locale, "error.bot_missing_permissions", permissions=names), False
    if isinstance(error, app_commands.CommandOnCooldown):
        return t(locale, "error.cooldown", seconds=f"{error.retry_after:.0f}"), False
    if isinstance(error, app_commands.TransformerError):
        return t(locale, "error.transformer", value=error.value), False
    if isinstance(error, app_commands.CheckFailure):
        return t(locale, "error.check"), False
    if isinstance(error, discord.Forbidden):
        return t(locale, "error.forbidden"), True
    return t(locale, "error.generic"), True


async def safe_reply(interaction: discord.Interaction, content: str) -> None:
    """Answer ephemerally whether or not the interaction was already answered; never raises."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.InteractionResponded:
        try:
            await interaction.followup.send(content, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not send a follow-up error reply for interaction %s", interaction.id)
    except discord.NotFound:
        log.info("interaction %s expired before the error reply could be sent", interaction.id)
    except discord.HTTPException as exc:
        log.warning("error reply for interaction %s failed: %s", interaction.id, exc)


async def report_error(interaction: discord.Interaction, error: Exception) -> None:
    """Shared by the tree and by component callbacks, so every failure is answered the same way."""
    message, is_bug = explain(error, interaction.locale)
    command = interaction.command.qualified_name if interaction.command else interaction.data
    metrics = getattr(interaction.client, "metrics", None)
    if metrics is not None and interaction.command is not None:  # slash commands; not buttons or forms
        metrics.command_done(command, "error" if is_bug else "refused", interaction.extras.get("started"))
    if is_bug:
        log.error("error in %s (interaction %s)", command, interaction.id, exc_info=error)
    else:
        log.debug("refused %s for user %s: %s", command, interaction.user.id, message)
    await safe_reply(interaction, message)


class TearjerkerTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        interaction.extras["started"] = time.perf_counter()  # for the latency metric
        track = getattr(interaction.client, "track_current_task", None)
        if track is not None:
            track()
        if interaction.guild_id is None:
            # Every command is server-only, and Discord does not offer them in DMs; a stale client or a
            # forged request can still send one. Say so, instead of failing deeper down.
            if interaction.type is discord.InteractionType.application_command:
                await safe_reply(interaction, t(interaction.locale, "error.dm"))
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
