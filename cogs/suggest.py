"""/suggest and /suggestions: members bring their own tears, admins review them into the server's own
catalog. The protocol lives in bot/suggestion_box.py; this cog turns forms and buttons into its calls."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog_file import export, slug
from bot.i18n import _, t
from bot.options import TextChannelOption
from bot.suggestion_box import Refused
from bot.suggestions import DRAMA_FIELDS, MULTILINE, OST_FIELDS, REASON_MAX, REQUIRED, display
from bot.tree import report_error

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.client import Tearjerker
    from bot.db import Suggestion

Submit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]
ICONS = {"drama": "🎬", "ost": "🎵"}
SERVERS_ONLY = app_commands.AppCommandContext(guild=True)  # as @app_commands.guild_only() gives commands


class Form(discord.ui.Modal):
    """One form for suggesting, editing (filled in) and rejecting (a reason). Inputs keep fixed
    custom ids, so a submission maps back to fields by name."""

    def __init__(
        self, title: str, fields: dict[str, int], locale: Any, submit: Submit, *, values: dict[str, str] | None = None,
        required: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        super().__init__(title=title[:45], timeout=15 * 60)
        self._submit = submit
        self._inputs: dict[str, discord.ui.TextInput] = {}
        for name, limit in fields.items():
            text: discord.ui.TextInput = discord.ui.TextInput(
                custom_id=name,
                style=discord.TextStyle.paragraph if name in MULTILINE else discord.TextStyle.short,
                max_length=limit,
                required=name in required,
                default=(values or {}).get(name) or None,
            )
            self._inputs[name] = text
            label = discord.ui.Label(
                text=t(locale, f"suggest.field_{name}")[:45],
                description=t(locale, f"suggest.hint_{name}")[:100],
                component=text,
            )
            self.add_item(label)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, {name: text.value for name, text in self._inputs.items()})

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        """A form that fails (the database unreachable…) still gets a plain answer, never silence."""
        await report_error(interaction, error)


def entry_form(kind: str, locale: Any, submit: Submit, values: dict[str, str] | None = None) -> Form:
    fields = DRAMA_FIELDS if kind == "drama" else OST_FIELDS
    return Form(
        t(locale, f"suggest.form_{kind}"), fields, locale, submit, values=values, required=REQUIRED[kind]
    )


async def say(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether or not the interaction was answered before."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def is_admin(interaction: discord.Interaction) -> bool:
    return interaction.guild_id is not None and interaction.permissions.manage_guild


def review_page(
    suggestion: Suggestion | None, position: int, total: int, locale: Any
) -> tuple[discord.Embed | None, discord.ui.View | None, str | None]:
    """The review message for one pending suggestion, or the message saying the queue is empty."""
    if suggestion is None:
        return None, None, t(locale, "review.empty")
    form = json.loads(suggestion.fields)
    embed = discord.Embed(
        title=t(locale, f"review.heading_{suggestion.kind}", position=position, total=total),
        colour=discord.Colour(0x5B8DEF),
    )
    fields = DRAMA_FIELDS if suggestion.kind == "drama" else OST_FIELDS
    for name in fields:
        value = form.get(name)
        if value:
            shown = f"||{value}||" if name in ("spoiler", "scene") else value
            embed.add_field(
                name=t(locale, f"suggest.field_{name}"), value=shown[:1024], inline=name not in MULTILINE
            )
    embed.add_field(name=t(locale, "review.by"), value=suggestion.suggested_name, inline=False)
    embed.timestamp = datetime.fromtimestamp(suggestion.created_at, UTC)
    view = discord.ui.View(timeout=None)
    for action in ("approve", "edit", "reject"):
        view.add_item(ReviewButton(action, suggestion.id, locale))
    return embed, view, None


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"sugg:(?P<action>approve|edit|reject):(?P<id>\d+)"
):
    """Approve, Edit or Reject on a review message; works after a restart (the id is in custom_id)."""

    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "approve": discord.ButtonStyle.success,
        "edit": discord.ButtonStyle.secondary,
        "reject": discord.ButtonStyle.danger,
    }

    def __init__(self, action: str, suggestion_id: int, locale: Any = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t(locale, f"review.{action}"),
                style=self.STYLES[action],
                custom_id=f"sugg:{action}:{suggestion_id}",
            )
        )
        self.action = action
        self.suggestion_id = suggestion_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReviewButton:
        return cls(match["action"], int(match["id"]), interaction.locale)

    async def callback(self, interaction: discord.Interaction[Tearjerker]) -> None:  # type: ignore[override]
        interaction.client.track_current_task()
        try:
            await interaction.client.suggestion_desk.on_review_button(
                interaction, self.action, self.suggestion_id
            )
        except Exception as exc:
            await report_error(interaction, exc)


class Suggestions(commands.Cog):
    suggest = app_commands.Group(
        name=_("suggest"),
        description=_("Suggest a sad K-drama or OST for this server"),
        guild_only=True,
        allowed_contexts=SERVERS_ONLY,
    )
    suggestions = app_commands.Group(
        name=_("suggestions"),
        description=_("Suggestions for this server's catalog"),
        guild_only=True,
        allowed_contexts=SERVERS_ONLY,
    )

    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.box = bot.suggestion_box

    async def cog_load(self) -> None:
        self.bot.suggestion_desk = self
        self.bot.add_dynamic_items(ReviewButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReviewButton)

    # --- members --------------------------------------------------------------------------------

    @suggest.command(name=_("drama"), description=_("Suggest a drama that made you cry (opens a form)"))
    async def suggest_drama(self, interaction: discord.Interaction[Tearjerker]) -> None:
        await interaction.response.send_modal(
            entry_form("drama", interaction.locale, self._submitter("drama"))
        )

    @suggest.command(name=_("ost"), description=_("Suggest an OST that made you cry (opens a form)"))
    async def suggest_ost(self, interaction: discord.Interaction[Tearjerker]) -> None:
        await interaction.response.send_modal(entry_form("ost", interaction.locale, self._submitter("ost")))

    def _submitter(self, kind: str) -> Submit:
        async def submit(interaction: discord.Interaction, values: dict[str, str]) -> None:
            assert interaction.guild_id is not None
            try:
                suggestion = await self.box.submit(
                    submission_id=interaction.id,
                    guild_id=interaction.guild_id,
                    kind=kind,
                    raw=values,
                    member_id=interaction.user.id,
                    member_name=interaction.user.display_name,
                )
            except Refused as refused:
                await say(interaction, self._refusal(interaction.locale, refused))
                return
            await say(interaction, t(interaction.locale, "suggest.thanks", title=display(suggestion)))
            await self._announce(interaction, suggestion)

        return submit

    async def _announce(self, interaction: discord.Interaction, suggestion: Suggestion) -> None:
        """Tell the moderators' channel, if the admins chose one. Its failure never undoes the suggestion."""
        assert interaction.guild_id is not None
        channel_id = await self.bot.storage.get_meta(f"suggestions_channel:{interaction.guild_id}")
        if not channel_id:
            return
        guild = interaction.guild
        text = t(
            guild.preferred_locale if guild else None,
            "suggest.announce",
            name=suggestion.suggested_name,
            title=display(suggestion),
        )
        channel = self.bot.get_partial_messageable(int(channel_id), guild_id=interaction.guild_id)
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.info("could not announce suggestion %s in channel %s: %s", suggestion.id, channel_id, exc)

    def _refusal(self, locale: Any, refused: Refused) -> str:
        params = dict(refused.params)
        if "fields" in params:
            params["fields"] = ", ".join(t(locale, f"suggest.field_{name}") for name in params["fields"])
        return t(locale, refused.key, **params)

    @suggestions.command(name=_("mine"), description=_("Your suggestions here and where they stand"))
    async def mine(self, interaction: discord.Interaction[Tearjerker]) -> None:
        assert interaction.guild_id is not None
        locale = interaction.locale
        rows = await self.bot.storage.suggestions(
            interaction.guild_id, ("pending", "approved", "rejected", "retired"), member=interaction.user.id
        )
        server = interaction.guild.name if interaction.guild else ""
        if not rows:
            await say(interaction, t(locale, "review.mine_none"))
            return
        lines = []
        for s in rows[-25:]:
            state = (
                t(locale, "review.state_rejected_reason", reason=s.reason)
                if s.state == "rejected" and s.reason
                else t(locale, f"review.state_{s.state}")
            )
            lines.append(t(locale, "review.mine_line", icon=ICONS[s.kind], title=display(s), state=state))
        embed = discord.Embed(
            title=t(locale, "review.mine_title", server=server), description="\n".join(lines)
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- admins ---------------------------------------------------------------------------------

    async def _admin(self, interaction: discord.Interaction) -> bool:
        if is_admin(interaction):
            return True
        await say(interaction, t(interaction.locale, "review.needs_admin"))
        return False

    @suggestions.command(
        name=_("review"), description=_("Review members' suggestions one at a time (Manage Server)")
    )
    async def review(self, interaction: discord.Interaction[Tearjerker]) -> None:
        if not await self._admin(interaction):
            return
        embed, view, text = await self._next_page(interaction)
        await interaction.response.send_message(content=text, embed=embed, view=view, ephemeral=True)  # type: ignore[arg-type]

    async def _next_page(self, interaction: discord.Interaction) -> tuple[Any, Any, Any]:
        assert interaction.guild_id is not None
        pending = await self.bot.storage.suggestions(interaction.guild_id, ("pending",))
        return review_page(pending[0] if pending else None, 1, len(pending), interaction.locale)

    async def on_review_button(
        self, interaction: discord.Interaction[Tearjerker], action: str, suggestion_id: int
    ) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, interaction.locale
        if action == "approve":
            await self._step(
                interaction,
                lambda: self.box.approve(guild_id, suggestion_id, interaction.user.id),
                "review.approved",
            )
            return
        current = await self.bot.storage.suggestion(guild_id, suggestion_id)
        if current is None or current.state != "pending":
            await say(interaction, t(locale, f"review.already_{current.state}" if current else "review.gone"))
            return
        if action == "edit":

            async def edited(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
                await self._step(
                    modal_interaction,
                    lambda: self.box.edit(guild_id, suggestion_id, values),
                    "review.edited",
                    advance=False,
                )

            await interaction.response.send_modal(
                entry_form(current.kind, locale, edited, json.loads(current.fields))
            )
            return

        async def rejected(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            reason = values.get("reason", "")
            await self._step(
                modal_interaction,
                lambda: self.box.reject(guild_id, suggestion_id, interaction.user.id, reason),
                "review.rejected",
            )

        await interaction.response.send_modal(
            Form(t(locale, "suggest.reject_title"), {"reason": REASON_MAX}, locale, rejected)
        )

    async def _step(
        self,
        interaction: discord.Interaction,
        call: Callable[[], Awaitable[Suggestion]],
        done: str,
        *,
        advance: bool = True,
    ) -> None:
        """Run one review step, then show the admin the next suggestion (or the edited one again)."""
        locale = interaction.locale
        try:
            suggestion = await call()
        except Refused as refused:
            await say(interaction, self._refusal(locale, refused))
            return
        note = t(locale, done, title=display(suggestion))
        if advance:
            embed, view, text = await self._next_page(interaction)
        else:
            assert interaction.guild_id is not None
            pending = await self.bot.storage.suggestions(interaction.guild_id, ("pending",))
            position = next((i for i, s in enumerate(pending, 1) if s.id == suggestion.id), 1)
            embed, view, text = review_page(suggestion, position, len(pending), locale)
        content = f"{note}\n\n{text}" if text else note
        if interaction.message is not None:
            await interaction.response.edit_message(content=content, embed=embed, view=view)
        else:
            await interaction.response.send_message(content=content, embed=embed, view=view, ephemeral=True)  # type: ignore[arg-type]

    @suggestions.command(
        name=_("list"), description=_("Pending and approved suggestions, with who sent them (Manage Server)")
    )
    async def list_(self, interaction: discord.Interaction[Tearjerker]) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        locale = interaction.locale
        rows = await self.bot.storage.suggestions(interaction.guild_id, ("pending", "approved"), limit=200)
        embed = discord.Embed(
            title=t(locale, "review.list_title", server=interaction.guild.name if interaction.guild else "")
        )
        for state, key in (("pending", "review.list_pending"), ("approved", "review.list_approved")):
            chosen = [s for s in rows if s.state == state]
            lines = [
                t(locale, "review.list_line", icon=ICONS[s.kind], title=display(s), name=s.suggested_name)
                for s in chosen
            ]
            value = "\n".join(lines)
            if len(value) > 1024:
                value = value[:1000].rsplit("\n", 1)[0] + "\n…"
            embed.add_field(
                name=t(locale, key, count=len(chosen)),
                value=value or t(locale, "review.list_none"),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @suggestions.command(
        name=_("export"), description=_("This server's approved entries as a catalog file (Manage Server)")
    )
    async def export_(self, interaction: discord.Interaction[Tearjerker]) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        locale = interaction.locale
        approved = await self.bot.storage.suggestions(interaction.guild_id, ("approved",), limit=10_000)
        if not approved:
            await say(interaction, t(locale, "review.export_none"))
            return
        server = interaction.guild.name if interaction.guild else str(interaction.guild_id)
        text = export(server, approved, self.bot.catalog_for(interaction.guild_id))
        name = f"tearjerker-{slug(server, str(interaction.guild_id))}.toml"
        await interaction.response.send_message(
            t(locale, "review.export_ready", count=len(approved)),
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename=name),
            ephemeral=True,
        )

    @suggestions.command(
        name=_("channel"), description=_("Where new suggestions are announced to moderators (Manage Server)")
    )
    @app_commands.rename(channel=_("channel"))
    @app_commands.describe(channel=_("Leave empty to stop announcing"))
    async def channel(
        self,
        interaction: discord.Interaction[Tearjerker],
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption] | None = None,
    ) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        key = f"suggestions_channel:{interaction.guild_id}"
        await self.bot.storage.set_meta(key, str(channel.id) if channel else "")
        if channel is None:
            await say(interaction, t(interaction.locale, "review.channel_off"))
        else:
            await say(interaction, t(interaction.locale, "review.channel_set", channel=channel.mention))

    @suggestions.command(
        name=_("retire"), description=_("Take an approved entry out of this server's catalog (Manage Server)")
    )
    @app_commands.rename(entry=_("entry"))
    @app_commands.describe(entry=_("The approved drama or OST to take out"))
    async def retire(
        self, interaction: discord.Interaction[Tearjerker], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        approved = await self.bot.storage.suggestions(interaction.guild_id, ("approved",), limit=1000)
        chosen = next(
            (s for s in approved if str(s.id) == entry or display(s).casefold() == entry.casefold()), None
        )
        if chosen is None:
            await say(interaction, t(interaction.locale, "review.unknown_entry", query=entry))
            return
        try:
            await self.box.retire(interaction.guild_id, chosen.id, interaction.user.id)
        except Refused as refused:
            await say(interaction, self._refusal(interaction.locale, refused))
            return
        await say(interaction, t(interaction.locale, "review.retired", title=display(chosen)))

    @retire.autocomplete("entry")
    async def retire_autocomplete(
        self, interaction: discord.Interaction[Tearjerker], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        approved = await self.bot.storage.suggestions(interaction.guild_id, ("approved",), limit=1000)
        typed = current.casefold()
        return [
            app_commands.Choice(name=f"{ICONS[s.kind]} {display(s)}"[:100], value=str(s.id))
            for s in approved
            if typed in display(s).casefold()
        ][:25]


async def setup(bot: Tearjerker) -> None:
    await bot.add_cog(Suggestions(bot))
