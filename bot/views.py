"""The persistent "Another one" button. Its state lives in the custom id, so it keeps working after
a restart without any stored view: `Tearjerker.setup_hook` registers the class once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.i18n import t
from bot.tree import report_error, safe_reply

if TYPE_CHECKING:
    from bot.client import Tearjerker


class Rerolls(Protocol):
    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None: ...


# Which cog answers a press, by the kind in the custom id.


class AgainButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tj:again:(?P<kind>cry|ost):(?P<owner>[0-9]{1,20})(?::(?P<filters>[a-z0-9:-]{0,60}))?",
):
    def __init__(self, kind: str, owner: int, filters: str = "", label: str = "Another one") -> None:
        self.kind = kind
        self.owner = owner
        self.filters = filters
        custom_id = f"tj:again:{kind}:{owner}" + (f":{filters}" if filters else "")
        super().__init__(
            discord.ui.Button(
                label=label, emoji="🔁", style=discord.ButtonStyle.secondary, custom_id=custom_id
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AgainButton:
        return cls(match["kind"], int(match["owner"]), match["filters"] or "")

    async def callback(self, interaction: discord.Interaction[Tearjerker]) -> None:  # type: ignore[override]
        interaction.client.track_current_task()
        if interaction.user.id != self.owner:
            command = "</cry>" if self.kind == "cry" else "</ost>"
            await safe_reply(interaction, t(interaction.locale, "pick.not_yours", command=command))
            return
        cog: Rerolls | None = interaction.client.rerolls.get(self.kind)
        try:
            if cog is None:
                raise RuntimeError(f"cog for {self.kind!r} is not loaded")
            await cog.again(interaction, self.filters)
        except Exception as exc:
            await report_error(interaction, exc)


def pick_view(kind: str, owner: int, locale: Any, filters: str = "") -> discord.ui.View:
    """The button under a pick, labelled in the asker's language (its custom id carries no language)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AgainButton(kind, owner, filters, label=t(locale, "pick.again")))
    return view
