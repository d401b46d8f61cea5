"""The command tree with the bot's single app-command error handler and its safe reply helper."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Something went wrong on my side — it has been logged. Please try again in a moment."


def _permission_names(perms: list[str]) -> str:
    return ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in perms)


def explain(error: Exception) -> tuple[str, bool]:
    """Plain words for the member, and whether the detail deserves an error log (our fault)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return error.message, False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "Tearjerker works inside servers — run this command in a server channel.", False
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the **{_permission_names(error.missing_permissions)}** permission for that.", False
    if isinstance(error, app_commands.BotMissingPermissions):
        return (
            f"I'm missing the **{_permission_names(error.missing_permissions)}** permission in this channel. "
            "Ask a server admin to grant it.",
            False,
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Easy there — try again in {error.retry_after:.0f} seconds.", False
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand “{error.value}” for that option.", False
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here.", False
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused me the permission for that in this channel. A server admin can check my role.",
            True,
        )
    return GENERIC_FAILURE, True


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
    message, is_bug = explain(error)
    command = interaction.command.qualified_name if interaction.command else interaction.data
    if is_bug:
        log.error("error in %s (interaction %s)", command, interaction.id, exc_info=error)
    else:
        log.debug("refused %s for user %s: %s", command, interaction.user.id, message)
    await safe_reply(interaction, message)


class TearjerkerTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        track = getattr(interaction.client, "track_current_task", None)
        if track is not None:
            track()
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
