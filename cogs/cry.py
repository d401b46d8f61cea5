"""/cry: a sad K-drama worth your tissues."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import ERAS, MAX_CHOICES, MAX_TEARS
from bot.errors import NothingMatches
from bot.i18n import _, language_of, t
from bot.picks import choose
from bot.presenting import present
from bot.views import AgainButton, HealButton, pick_view

if TYPE_CHECKING:
    from bot.client import Tearjerker


def encode_filters(mood: str | None, era: str | None, tears: int | None) -> str:
    return f"{mood or ''}:{era or ''}:{tears or ''}"


def decode_filters(filters: str) -> tuple[str | None, str | None, int | None]:
    mood, era, tears = [*filters.split(":"), "", "", ""][:3]
    return mood or None, era or None, int(tears) if tears.isdigit() else None


HEALING_MOOD = "healing"


class Comfort:
    """Answers "Something to heal": a drama the catalog marks as healing, not one the member just saw."""

    def __init__(self, cry: Cry) -> None:
        self.cry = cry

    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None:
        await self.cry._random_pick(interaction, HEALING_MOOD, None, None)


class Cry(commands.Cog):
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        # Mood choices come from the loaded catalog, so an operator's own catalog shows its own moods.
        # discord.py fixes choices at class definition; the cog's own copy of the command is updated.
        # Each carries its mood id, which the translator uses to find the Korean label in the catalog.
        param = self.cry._params["mood"]
        self.cry._params["mood"] = replace(
            param,
            choices=[
                app_commands.Choice(name=_(f"{m.emoji} {m.label}".strip(), mood=m.id), value=m.id)
                for m in list(bot.catalog.moods.values())[:MAX_CHOICES]
            ],
        )

    async def cog_load(self) -> None:
        self.bot.rerolls["cry"] = self
        self.bot.rerolls["heal"] = Comfort(self)
        # "Another one" and "Something to heal" keep working after a restart.
        self.bot.add_dynamic_items(AgainButton, HealButton)

    @app_commands.command(name=_("cry"), description=_("Get a sad K-drama worth your tissues"))
    @app_commands.guild_only()
    @app_commands.rename(mood=_("mood"), era=_("era"), tears=_("tears"), title=_("title"))
    @app_commands.describe(
        mood=_("The kind of sad you're in the mood for"),
        era=_("Historical (sageuk and period pieces) or modern"),
        tears=_(f"Only dramas at least this sad (1-{MAX_TEARS})"),
        title=_("Show one drama by name instead of a random pick"),
    )
    @app_commands.choices(era=[app_commands.Choice(name=_(e.capitalize()), value=e) for e in ERAS])
    async def cry(
        self,
        interaction: discord.Interaction[Tearjerker],
        mood: str | None = None,
        era: str | None = None,
        tears: app_commands.Range[int, 1, MAX_TEARS] | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        if title is not None:
            drama = self.bot.catalog_for(interaction.guild_id).find_drama(title)
            await present(interaction, drama, pick_view("cry", interaction.user.id, interaction.locale))
            return
        await self._random_pick(interaction, mood, era, tears)

    @cry.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[Tearjerker], current: str
    ) -> list[app_commands.Choice[str]]:
        korean = language_of(interaction.locale) == "ko"
        return [
            app_commands.Choice(
                name=(
                    f"{d.hangul} · {d.title} ({d.year})" if korean else f"{d.title} · {d.hangul} ({d.year})"
                )[:100],
                value=d.id,
            )
            for d in self.bot.catalog_for(interaction.guild_id).suggest_dramas(current)
        ]

    async def _random_pick(
        self,
        interaction: discord.Interaction[Tearjerker],
        mood: str | None,
        era: str | None,
        tears: int | None,
    ) -> None:
        catalog = self.bot.catalog_for(interaction.guild_id)
        candidates = catalog.filter_dramas(mood=mood, era=era, min_tears=tears)
        if not candidates:
            filters: list[tuple[str, dict]] = []
            if mood:
                known = catalog.moods.get(mood)
                filters.append(("error.filter_mood", {"mood": known.label_for if known else mood}))
            if era:
                filters.append(("error.filter_era", {"era": t(interaction.locale, f"era.{era}")}))
            if tears:
                filters.append(("error.filter_tears", {"tears": tears}))
            raise NothingMatches(filters)
        history = await self.bot.history.get(interaction.user.id, "drama")
        drama = choose(candidates, history)
        view = pick_view("cry", interaction.user.id, interaction.locale, encode_filters(mood, era, tears))
        await present(interaction, drama, view)

    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None:
        """'Another one': the same filters as the original pick, a title the member hasn't just seen."""
        await self._random_pick(interaction, *decode_filters(filters))


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Cry(bot))
