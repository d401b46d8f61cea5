"""/cry: a sad K-drama worth your tissues."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import ERAS, MAX_CHOICES, MAX_TEARS
from bot.errors import NothingMatches
from bot.picks import choose
from bot.presenting import present
from bot.views import pick_view

if TYPE_CHECKING:
    from bot.client import Tearjerker


def encode_filters(mood: str | None, era: str | None, tears: int | None) -> str:
    return f"{mood or ''}:{era or ''}:{tears or ''}"


def decode_filters(filters: str) -> tuple[str | None, str | None, int | None]:
    mood, era, tears = [*filters.split(":"), "", "", ""][:3]
    return mood or None, era or None, int(tears) if tears.isdigit() else None


class Cry(commands.Cog):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        # Mood choices come from the loaded catalog, so an operator's own catalog shows its own moods.
        # discord.py fixes choices at class definition; the cog's own copy of the command is updated.
        param = self.cry._params["mood"]
        self.cry._params["mood"] = replace(
            param,
            choices=[
                app_commands.Choice(name=f"{m.emoji} {m.label}".strip(), value=m.id)
                for m in list(bot.catalog.moods.values())[:MAX_CHOICES]
            ],
        )

    @app_commands.command(name="cry", description="Get a sad K-drama worth your tissues")
    @app_commands.guild_only()
    @app_commands.describe(
        mood="The kind of sad you're in the mood for",
        era="Historical (sageuk and period pieces) or modern",
        tears=f"Only dramas at least this sad (1-{MAX_TEARS})",
        title="Show one drama by name instead of a random pick",
    )
    @app_commands.choices(era=[app_commands.Choice(name=e.capitalize(), value=e) for e in ERAS])
    async def cry(
        self,
        interaction: discord.Interaction[Tearjerker],
        mood: str | None = None,
        era: str | None = None,
        tears: app_commands.Range[int, 1, MAX_TEARS] | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        if title is not None:
            drama = self.bot.catalog.find_drama(title)
            await present(interaction, drama, pick_view("cry", interaction.user.id))
            return
        await self._random_pick(interaction, mood, era, tears)

    @cry.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[Tearjerker], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{d.title} · {d.hangul} ({d.year})"[:100], value=d.id)
            for d in self.bot.catalog.suggest_dramas(current)
        ]

    async def _random_pick(
        self,
        interaction: discord.Interaction[Tearjerker],
        mood: str | None,
        era: str | None,
        tears: int | None,
    ) -> None:
        catalog = self.bot.catalog
        candidates = catalog.filter_dramas(mood=mood, era=era, min_tears=tears)
        if not candidates:
            wanted = [
                catalog.moods[mood].label.lower() if mood in catalog.moods else mood,
                era,
                f"rated {tears}+ tears" if tears else None,
            ]
            raise NothingMatches(
                "No drama in the catalog is " + " and ".join(w for w in wanted if w) + ". Try fewer filters."
            )
        recent = await self.bot.recent.get(interaction.user.id, "drama")
        drama = choose(candidates, recent)
        await present(
            interaction, drama, pick_view("cry", interaction.user.id, encode_filters(mood, era, tears))
        )

    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None:
        """'Another one': the same filters as the original pick, a title the member hasn't just seen."""
        await self._random_pick(interaction, *decode_filters(filters))


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Cry(bot))
