"""/tears: the server's tear chart, a member's own list, and forget-me."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import chart_embed, my_tears_embed
from bot.tree import report_error, safe_reply

if TYPE_CHECKING:
    from bot.client import Tearjerker

CHART_SIZE = 10


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tj:forget:(?P<action>yes|no):(?P<owner>[0-9]{1,20}):(?P<scope>here|all)",
):
    """Confirm or cancel /tears forget. Stateless, so it works after a restart too."""

    def __init__(self, action: str, owner: int, scope: str) -> None:
        self.action, self.owner, self.scope = action, owner, scope
        yes = action == "yes"
        super().__init__(
            discord.ui.Button(
                label="Yes, forget my tears" if yes else "Keep them",
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
        if interaction.user.id != self.owner:
            await safe_reply(interaction, "Only the member who asked can answer this.")
            return
        try:
            if self.action == "no":
                await interaction.response.edit_message(content="Nothing was deleted. 💧", view=None)
                return
            guild_id = None if self.scope == "all" else interaction.guild_id
            deleted = await interaction.client.storage.forget(interaction.user.id, guild_id)
            where = "in every server" if guild_id is None else "in this server"
            await interaction.response.edit_message(
                content=f"Done. I deleted {deleted} vote{'s' if deleted != 1 else ''} of yours {where}.",
                view=None,
            )
        except Exception as exc:
            await report_error(interaction, exc)


@app_commands.guild_only()
class Tears(
    commands.GroupCog, group_name="tears", group_description="Tear charts and your own cried-to list"
):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton)

    @app_commands.command(name="top", description="The most cried-to dramas and OSTs")
    @app_commands.describe(scope="This server's chart, or every server's together")
    @app_commands.choices(
        scope=[
            app_commands.Choice(name="This server", value="server"),
            app_commands.Choice(name="Every server", value="global"),
        ]
    )
    async def top(self, interaction: discord.Interaction[Tearjerker], scope: str = "server") -> None:
        guild_id = interaction.guild_id if scope == "server" else None
        rows = []
        for title_id, count in await self.bot.storage.top(guild_id, CHART_SIZE * 2):
            title = self.bot.catalog.get(title_id)
            if title is not None:  # a title an operator removed from the catalog drops off the chart
                rows.append((title, count))
        where = interaction.guild.name if guild_id and interaction.guild else "every server"
        embed = chart_embed(
            f"😭 Tear chart — {where}",
            rows[:CHART_SIZE],
            empty_hint="No tears yet. React 😭 on a /cry or /ost pick to start the chart.",
        )
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="me", description="What you cried to in this server (only you see it)")
    async def me(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        ids = await self.bot.storage.votes_of(interaction.guild_id, interaction.user.id)
        titles = [t for t in (self.bot.catalog.get(i) for i in ids) if t is not None]
        server = interaction.guild.name if interaction.guild else "this server"
        await interaction.response.send_message(embed=my_tears_embed(titles, server), ephemeral=True)

    @app_commands.command(name="forget", description="Delete your cried-to votes (asks first)")
    @app_commands.describe(everywhere="Also delete them in every other server with Tearjerker")
    async def forget(self, interaction: discord.Interaction[Tearjerker], everywhere: bool = False) -> None:
        guild_id = None if everywhere else interaction.guild_id
        count = await self.bot.storage.count_votes_of(interaction.user.id, guild_id)
        where = "in every server" if everywhere else "in this server"
        if count == 0:
            await interaction.response.send_message(
                f"You have no votes {where}; nothing to forget.", ephemeral=True
            )
            return
        scope = "all" if everywhere else "here"
        view = discord.ui.View(timeout=None)
        view.add_item(ForgetButton("yes", interaction.user.id, scope))
        view.add_item(ForgetButton("no", interaction.user.id, scope))
        await interaction.response.send_message(
            f"This deletes your {count} cried-to vote{'s' if count != 1 else ''} {where}. "
            "Your reactions stay on Discord but will not count again. Go ahead?",
            view=view,
            ephemeral=True,
        )


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Tears(bot))
