"""/ost: the soundtrack that breaks you."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Ost
from bot.i18n import language_of
from bot.picks import choose
from bot.presenting import present
from bot.views import pick_view

if TYPE_CHECKING:
    from bot.client import Tearjerker


def choice_name(ost: Ost, drama_title: str) -> str:
    return f"{ost.song} — {ost.artist} ({drama_title})"[:100]


def choice_name_ko(ost: Ost, drama_hangul: str) -> str:
    return f"{ost.display_for('ko')} ({drama_hangul})"[:100]


class Soundtrack(commands.Cog, name="Ost"):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.rerolls["ost"] = self

    @app_commands.command(name="ost", description="Get a K-drama soundtrack that will make you cry")
    @app_commands.guild_only()
    @app_commands.describe(
        query="A song, artist or drama (English, Hangul or romanised); empty for a surprise"
    )
    async def ost(
        self,
        interaction: discord.Interaction[Tearjerker],
        query: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        if query is None:
            await self.again(interaction, "")
            return
        await self._present(interaction, self.bot.catalog_for(interaction.guild_id).find_ost(query))

    @ost.autocomplete("query")
    async def query_autocomplete(
        self, interaction: discord.Interaction[Tearjerker], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.catalog_for(interaction.guild_id)
        korean = language_of(interaction.locale) == "ko"
        return [
            app_commands.Choice(
                name=choice_name_ko(o, catalog.drama(o.drama_id).hangul)
                if korean
                else choice_name(o, catalog.drama(o.drama_id).title),
                value=o.id,
            )
            for o in catalog.suggest_osts(current)
        ]

    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None:
        history = await self.bot.history.get(interaction.user.id, "ost")
        await self._present(interaction, choose(self.bot.catalog_for(interaction.guild_id).osts, history))

    async def _present(self, interaction: discord.Interaction[Tearjerker], ost: Ost) -> None:
        await present(interaction, ost, pick_view("ost", interaction.user.id, interaction.locale))


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Soundtrack(bot))
