"""The bot class. Its dependencies (settings, storage, catalog) are built in `main()` and passed in."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from typing import Any

import discord
from discord.ext import commands

from bot import lean
from bot.ballot import Ballot
from bot.catalog import Catalog
from bot.commands_hash import sync_key, tree_hash
from bot.config import OperatorError, Settings, SettingsError
from bot.db import Storage
from bot.health import HealthReporter, ShardStates
from bot.i18n import Translator, set_command_ids
from bot.live import LiveCounts
from bot.metrics import Metrics
from bot.picks import PickHistory
from bot.suggestion_box import SuggestionBox
from bot.suggestions import ServerCatalogs
from bot.tree import TearjerkerTree
from bot.views import AGAIN_COOLDOWN, Cooldown
from bot.weekly.service import WeeklyPolls

log = logging.getLogger(__name__)

# Tearjerker has no voice features: without this, discord.py warns at every start that PyNaCl and
# davey are missing, which no operator can or should act on.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class DiscordSetupError(OperatorError):
    """Discord refused something the operator configured (the application, command registration)."""

    label = "Discord error"


EXTENSIONS = ("cogs.cry", "cogs.ost", "cogs.votes", "cogs.tears", "cogs.polls", "cogs.suggest")
SHUTDOWN_GRACE = 5.0  # seconds interactions under way get to finish when the bot stops


def bot_intents() -> discord.Intents:
    """No privileged intent: slash commands, raw reactions and poll votes need none of them.

    Guild messages (not privileged, and no message content) bring the delete events that withdraw
    the votes of a deleted pick.
    """
    return discord.Intents(guilds=True, guild_messages=True, guild_reactions=True, guild_polls=True)


def invite_permissions() -> discord.Permissions:
    """Exactly what the features use: posts and embeds, polls, the seed 😭, and reading reactions and votes."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_polls=True,
        embed_links=True,
        add_reactions=True,
        read_message_history=True,
    )


def mood_labels(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The Korean names of the /cry mood choices, from the catalog."""
    return {"ko": {m.id: f"{m.emoji} {m.label_ko}".strip() for m in catalog.moods.values() if m.label_ko}}


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=invite_permissions(), scopes=("bot", "applications.commands")
    )


class Tearjerker(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        settings: Settings,
        storage: Storage,
        catalog: Catalog,
        sync_on_start: bool = True,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=bot_intents(),
            tree_cls=TearjerkerTree,
            allowed_mentions=discord.AllowedMentions.none(),
            # Nothing reads messages or members from the cache: raw events carry what we need, and
            # bot/lean.py keeps channels, threads and emoji out of it too.
            max_messages=None,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            application_id=settings.application_id,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
        )
        self.settings = settings
        self.storage = storage
        self.catalog = catalog
        self.catalogs = ServerCatalogs(catalog)
        self.suggestion_box = SuggestionBox(storage, self.catalogs)
        # The cog answering review buttons (they are dynamic items, found by custom id, not by view).
        self.suggestion_desk: Any = None
        self.sync_on_start = sync_on_start
        self.history = PickHistory(storage.pick_history)
        self.ballot = Ballot(self)
        self.live = LiveCounts(self)
        self.weekly = WeeklyPolls(self)
        # The cogs that answer "Another one", by pick kind; each registers itself as it loads.
        self.rerolls: dict[str, Any] = {}
        self.again_cooldown = Cooldown(AGAIN_COOLDOWN)
        self.shard_states = ShardStates()
        self.health = HealthReporter(self)
        self.metrics = Metrics(self)
        lean.install(self)
        self._in_flight: set[asyncio.Task[object]] = set()

    def catalog_for(self, guild_id: int | None) -> Catalog:
        """The shipped catalog plus the server's own approved entries (only that server sees them)."""
        return self.catalogs.for_guild(guild_id)

    def track_current_task(self) -> None:
        """Called as an interaction starts, so `close()` can let it finish instead of cutting it off."""
        task = asyncio.current_task()
        if task is not None and task not in self._in_flight:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def close(self) -> None:
        """Graceful stop (SIGTERM, Ctrl-C): interactions under way finish, then the connections close."""
        pending = {t for t in self._in_flight if t is not asyncio.current_task()}
        if pending:
            log.info("waiting for %d interaction(s) to finish before closing", len(pending))
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
        self.live.stop()
        self.health.stop()
        for shard_id in list(self.shard_states.states):  # say so at once, rather than going stale
            self.shard_states.disconnected(shard_id)
        self.health.report()
        await super().close()
        await self.metrics.stop()

    async def setup_hook(self) -> None:
        configured = self.settings.application_id
        if configured is not None and self.application is not None and self.application.id != configured:
            raise DiscordSetupError(
                f"DISCORD_APPLICATION_ID is {configured}, but DISCORD_TOKEN belongs to application "
                f"{self.application.id}; fix DISCORD_APPLICATION_ID in .env, or remove it to have it looked up"
            )
        if self.settings.metrics_port is not None:
            host, port = self.settings.metrics_host, self.settings.metrics_port
            try:
                await self.metrics.serve(host, port)
            except OSError as exc:
                raise SettingsError(
                    f"METRICS_PORT: cannot listen on {host}:{port} ({exc.strerror or exc}); choose a free port"
                ) from None
        self.health.start()
        await self.tree.set_translator(Translator(mood_labels(self.catalog)))
        self.catalogs.load(await self.storage.approved_suggestions())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_on_start:
            await self.sync_commands(force=False)

    async def command_payload(self, guild: discord.Object | None) -> list[dict]:
        """What a sync sends, translations included, so a changed translation is a change to sync."""
        translator = self.tree.translator
        commands = self.tree.get_commands(guild=guild)
        if translator is None:
            return [command.to_dict(self.tree) for command in commands]
        return [await command.get_translated_payload(self.tree, translator) for command in commands]

    async def sync_commands(self, *, force: bool, guild_id: int | None = None) -> bool:
        """Register commands with Discord only if they differ from the last sync (or when forced).

        Syncing on every start is rate limited by Discord and slows start-up; a hash of the payload
        kept in the database tells whether anything changed.
        """
        target = guild_id if guild_id is not None else self.settings.dev_guild_id
        guild = discord.Object(id=target) if target is not None else None
        if guild is not None:
            # Development: the global commands are registered on one guild, where they show at once.
            self.tree.copy_global_to(guild=guild)
        key = sync_key(guild.id if guild else None)
        digest = tree_hash(await self.command_payload(guild))
        if not force and await self.storage.get_meta(key) == digest:
            log.info("application commands unchanged since the last sync; not syncing")
            known = await self.storage.get_meta(f"{key}:ids")
            if known is None:  # synced by an older version, which kept no ids: ask once
                await self._remember_ids(key, await self.tree.fetch_commands(guild=guild))
            else:
                set_command_ids(json.loads(known))
            return False
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden as exc:
            where = (
                f"on server {guild.id} (is the bot in it, invited with applications.commands?)"
                if guild
                else ""
            )
            raise DiscordSetupError(
                f"Discord refused to register the slash commands {where}: {exc.text}"
            ) from None
        await self.storage.set_meta(key, digest)
        await self._remember_ids(key, synced)
        where = f"guild {guild.id}" if guild else "globally"
        log.info("synced %d application commands %s", len(synced), where)
        return True

    async def _remember_ids(self, key: str, commands: list[discord.app_commands.AppCommand]) -> None:
        """Replies mention commands by id (</tears forget:ID>): clickable, in each member's language."""
        ids = {command.name: command.id for command in commands}
        set_command_ids(ids)
        await self.storage.set_meta(f"{key}:ids", json.dumps(ids))

    # Shard connections, for health and metrics; each change is reported at once.
    async def on_shard_connect(self, shard_id: int) -> None:
        self.shard_states.connected(shard_id)
        self.health.report()

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.shard_states.resumed(shard_id)
        self.health.report()

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.shard_states.disconnected(shard_id)
        self.health.report()

    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        self.metrics.command_done(command.qualified_name, "ok", interaction.extras.get("started"))

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d servers", self.user, self.user and self.user.id, len(self.guilds))
        settle_long_lived_objects()


def settle_long_lived_objects() -> None:
    """Move what exists once every server is loaded (the gateway caches, the catalog, the commands)
    out of the cyclic garbage collector's sight. Every full collection used to walk all of it again:
    in a burst of 20,000 reactions that was a fifth of the bot's time and most of its run-to-run
    variance (bench/gateway_burst.py). Unfreezing first lets the previous session's caches, dropped
    when Discord could not resume it, be collected rather than kept for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
