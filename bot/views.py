"""The persistent "Another one" button. Its state lives in the custom id, so it keeps working after
a restart without any stored view: `Tearjerker.setup_hook` registers the class once."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

import discord
from discord.utils import utcnow

from bot.i18n import t
from bot.tree import report_error, safe_reply

if TYPE_CHECKING:
    from bot.client import Tearjerker


class Rerolls(Protocol):
    async def again(self, interaction: discord.Interaction[Tearjerker], filters: str) -> None: ...


# An old pick's button cannot be used to flood a channel: it answers only for this long after the pick,
# and each member waits a few seconds between presses.
AGAIN_MAX_AGE = timedelta(hours=6)
AGAIN_COOLDOWN = 5.0  # seconds


class Cooldown:
    """Per-member spacing between presses, kept in memory (a restart forgets it, which is harmless)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def retry_after(self, member_id: int) -> float:
        """0 and the press is counted, or the seconds the member still has to wait."""
        now = time.monotonic()
        last = self._last.get(member_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        if len(self._last) > 10_000:  # forget presses long past
            self._last = {m: at for m, at in self._last.items() if now - at < self.seconds}
        self._last[member_id] = now
        return 0.0


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
        await press(interaction, self.kind, self.owner, self.kind, self.filters)


async def press(
    interaction: discord.Interaction[Tearjerker], kind: str, owner: int, handler: str, filters: str
) -> None:
    """A button under a pick: only for the member it was made for, only while the pick is recent, with
    a few seconds between presses; then the cog registered for `handler` answers."""
    interaction.client.track_current_task()
    command = "</cry>" if kind == "cry" else "</ost>"
    if interaction.user.id != owner:
        await safe_reply(interaction, t(interaction.locale, "pick.not_yours", command=command))
        return
    message = interaction.message
    if message is not None and utcnow() - message.created_at > AGAIN_MAX_AGE:
        await safe_reply(interaction, t(interaction.locale, "pick.expired", command=command))
        return
    wait = interaction.client.again_cooldown.retry_after(interaction.user.id)
    if wait:
        await safe_reply(interaction, t(interaction.locale, "error.cooldown", seconds=max(1, round(wait))))
        return
    cog: Rerolls | None = interaction.client.rerolls.get(handler)
    try:
        if cog is None:
            raise RuntimeError(f"cog for {handler!r} is not loaded")
        await cog.again(interaction, filters)
    except Exception as exc:
        await report_error(interaction, exc)


class HealButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tj:heal:(?P<owner>[0-9]{1,20})"):
    """ "Something to heal" under a /cry pick: a comforting drama, so nobody is left at the bottom of a
    sad one. Same rules as "Another one"."""

    def __init__(self, owner: int, label: str = "Something to heal") -> None:
        self.owner = owner
        super().__init__(
            discord.ui.Button(
                label=label, emoji="🌱", style=discord.ButtonStyle.success, custom_id=f"tj:heal:{owner}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> HealButton:
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Tearjerker]) -> None:  # type: ignore[override]
        await press(interaction, "cry", self.owner, "heal", "")


def pick_view(kind: str, owner: int, locale: Any, filters: str = "") -> discord.ui.View:
    """The buttons under a pick, labelled in the asker's language (custom ids carry no language)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AgainButton(kind, owner, filters, label=t(locale, "pick.again")))
    if kind == "cry":
        view.add_item(HealButton(owner, label=t(locale, "pick.heal")))
    return view
