"""/tears: the server's tear chart, a member's own list, and forget-me."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import chart_embed, my_tears_embed
from bot.i18n import _, t
from bot.tree import report_error, safe_reply

if TYPE_CHECKING:
    from bot.client import Tearjerker

CHART_SIZE = 10


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tj:forget:(?P<action>yes|no):(?P<owner>[0-9]{1,20}):(?P<scope>here|all)",
):
    """Confirm or cancel /tears forget. Stateless, so it works after a restart too."""

    def __init__(self, action: str, owner: int, scope: str, label: str = "") -> None:
        self.action, self.owner, self.scope = action, owner, scope
        yes = action == "yes"
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=f"tj:forget:{action}:{owner}:{scope}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ForgetButton:
        return cls(match["action"], int(match["owner"]), match["scope"])

    async def callback(self, interaction: discord.Interaction[Tearjerker]) -> None:  # type: ignore[override]
        interaction.client.track_current_task()
        locale = interaction.locale
        if interaction.user.id != self.owner:
            await safe_reply(interaction, t(locale, "forget.only_asker"))
            return
        try:
            if self.action == "no":
                await interaction.response.edit_message(content=t(locale, "forget.kept"), view=None)
                return
            guild_id = None if self.scope == "all" else interaction.guild_id
            deleted = await interaction.client.storage.forget(interaction.user.id, guild_id)
            where = t(locale, "forget.everywhere" if guild_id is None else "forget.here")
            key = "forget.done_one" if deleted == 1 else "forget.done_many"
            await interaction.response.edit_message(
                content=t(locale, key, count=deleted, where=where), view=None
            )
        except Exception as exc:
            await report_error(interaction, exc)


@app_commands.guild_only()
class Tears(
    commands.GroupCog, group_name=_("tears"), group_description=_("Tear charts and your own cried-to list")
):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton)

    @app_commands.command(name=_("top"), description=_("The most cried-to dramas and OSTs"))
    @app_commands.rename(scope=_("scope"), period=_("period"))
    @app_commands.describe(
        scope=_("This server's chart, or every server's together"),
        period=_("Votes cast this week, month or year (UTC), or all time"),
    )
    @app_commands.choices(
        scope=[
            app_commands.Choice(name=_("This server"), value="server"),
            app_commands.Choice(name=_("Every server"), value="global"),
        ],
        period=[
            app_commands.Choice(name=_("This week"), value="week"),
            app_commands.Choice(name=_("This month"), value="month"),
            app_commands.Choice(name=_("This year"), value="year"),
            app_commands.Choice(name=_("All time"), value="all"),
        ],
    )
    async def top(
        self, interaction: discord.Interaction[Tearjerker], scope: str = "server", period: str = "all"
    ) -> None:
        guild_id = interaction.guild_id if scope == "server" else None
        rows = []
        # Every server's chart holds the shipped catalog only: a server's own entries stay its own.
        catalog = self.bot.catalog_for(guild_id)
        chosen = None if period == "all" else period
        for title_id, count in await self.bot.storage.top(guild_id, CHART_SIZE * 2, period=chosen):
            title = catalog.get(title_id)
            if title is not None:  # a title an operator removed from the catalog drops off the chart
                rows.append((title, count))
        locale = interaction.locale
        where = interaction.guild.name if guild_id and interaction.guild else t(locale, "chart.everywhere")
        await interaction.response.send_message(embed=chart_embed(where, rows[:CHART_SIZE], locale, period))

    @app_commands.command(name=_("me"), description=_("What you cried to in this server (only you see it)"))
    async def me(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        votes = await self.bot.storage.votes_with_time(interaction.guild_id, interaction.user.id)
        catalog = self.bot.catalog_for(interaction.guild_id)
        titles = [(x, at) for x, at in ((catalog.get(i), at) for i, at in votes) if x is not None]
        server = interaction.guild.name if interaction.guild else t(interaction.locale, "chart.this_server")
        await interaction.response.send_message(
            embed=my_tears_embed(titles, server, interaction.locale), ephemeral=True
        )

    @app_commands.command(name=_("forget"), description=_("Delete your cried-to votes (asks first)"))
    @app_commands.rename(everywhere=_("everywhere"))
    @app_commands.describe(everywhere=_("Also delete them in every other server with Tearjerker"))
    async def forget(self, interaction: discord.Interaction[Tearjerker], everywhere: bool = False) -> None:
        locale = interaction.locale
        guild_id = None if everywhere else interaction.guild_id
        count = await self.bot.storage.count_votes_of(interaction.user.id, guild_id)
        where = t(locale, "forget.everywhere" if everywhere else "forget.here")
        if count == 0:
            await interaction.response.send_message(t(locale, "forget.nothing", where=where), ephemeral=True)
            return
        scope = "all" if everywhere else "here"
        view = discord.ui.View(timeout=None)
        view.add_item(ForgetButton("yes", interaction.user.id, scope, t(locale, "forget.yes")))
        view.add_item(ForgetButton("no", interaction.user.id, scope, t(locale, "forget.no")))
        key = "forget.ask_one" if count == 1 else "forget.ask_many"
        await interaction.response.send_message(
            t(locale, key, count=count, where=where), view=view, ephemeral=True
        )


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Tears(bot))
