"""Live tear counts: a pick's "cried to it" line follows the votes.

Each vote on a pick marks it; the pick is edited at most once per EDIT_INTERVAL, after the writer has
committed what came in, so a burst of thousands of 😭 costs a couple of edits rather than one each
and never trips a rate limit. Picks older than MAX_AGE are left as they are. The embed is kept from
when the pick was sent (recent picks only); after a restart it is read back once from Discord.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord

from bot.embeds import tear_count_line
from bot.i18n import t

if TYPE_CHECKING:
    from bot.client import Tearjerker

log = logging.getLogger(__name__)

EDIT_INTERVAL = 5.0  # seconds between two edits of one pick
MAX_AGE = 3 * 86_400  # picks older than this keep the count they have
REMEMBERED = 5_000  # recent picks whose embeds are kept in memory


class LiveCounts:
    def __init__(self, bot: Tearjerker, *, interval: float = EDIT_INTERVAL) -> None:
        self.bot = bot
        self.interval = interval
        self._embeds: OrderedDict[int, tuple[dict[str, Any], str]] = (
            OrderedDict()
        )  # message -> (embed, locale)
        self._last_edit: dict[int, float] = {}
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._editing: set[asyncio.Task[None]] = set()  # past their wait, reading counts and editing
        self._not_picks: OrderedDict[int, None] = OrderedDict()  # messages found to be no pick (polls…)
        self.edits = 0  # made since start (the gateway-burst benchmark reports it)

    def sent(self, message_id: int, embed: discord.Embed, locale: Any) -> None:
        """A pick just went out with this embed."""
        self._embeds[message_id] = (embed.to_dict(), str(locale))
        self._last_edit[message_id] = time.monotonic()
        while len(self._embeds) > REMEMBERED:
            old, _ = self._embeds.popitem(last=False)
            self._last_edit.pop(old, None)

    def touched(self, message_id: int) -> None:
        """Votes on this message changed: edit it soon, once for however many came in meanwhile."""
        if message_id in self._pending or message_id in self._not_picks:
            return
        wait = max(0.0, self._last_edit.get(message_id, 0.0) + self.interval - time.monotonic())
        self._pending[message_id] = asyncio.create_task(self._edit_later(message_id, wait), name="live-count")

    async def settle(self) -> None:
        """Wait for the edits already scheduled (benchmarks and tests count them)."""
        while self._pending or self._editing:
            await asyncio.gather(*self._pending.values(), *self._editing, return_exceptions=True)

    def stop(self) -> None:
        """Closing: edits waiting for their turn and edits under way alike are dropped, so none
        reaches for the HTTP session after it is closed."""
        for task in [*self._pending.values(), *self._editing]:
            task.cancel()

    async def _edit_later(self, message_id: int, wait: float) -> None:
        me = asyncio.current_task()
        try:
            await asyncio.sleep(wait)
            # From here on, votes that come in schedule the next edit (this one may read before them).
            if self._pending.get(message_id) is me:
                del self._pending[message_id]
            assert me is not None
            self._editing.add(me)
            self._note_edit(message_id)
            await self._edit(message_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not update the tear count of message %s", message_id)
        finally:
            if self._pending.get(message_id) is me:
                del self._pending[message_id]
            self._editing.discard(me)  # type: ignore[arg-type]

    def _note_edit(self, message_id: int) -> None:
        """When a message was last edited matters for one interval only: older marks are dropped, so
        every message ever reacted to does not stay in memory."""
        now = time.monotonic()
        self._last_edit[message_id] = now
        if len(self._last_edit) > 2 * REMEMBERED:
            self._last_edit = {m: at for m, at in self._last_edit.items() if now - at < self.interval}

    async def _edit(self, message_id: int) -> None:
        storage = self.bot.storage
        pick = await storage.presented(message_id)
        if pick is None or time.time() - pick.created_at > MAX_AGE:
            self._not_picks[message_id] = None
            while len(self._not_picks) > REMEMBERED:
                self._not_picks.popitem(last=False)
            return
        await storage.flush()  # count what came in, not what was committed before it
        here, everywhere = await storage.tallies(pick.guild_id, pick.title_id)
        kept = self._embeds.get(message_id)
        channel = self.bot.get_partial_messageable(pick.channel_id, guild_id=pick.guild_id)
        if kept is None:
            try:
                message = await channel.fetch_message(message_id)
            except discord.HTTPException as exc:
                log.info("could not read pick %s to update its count: %s", message_id, exc)
                return
            if not message.embeds:
                return
            kept = (message.embeds[0].to_dict(), "ko" if _looks_korean(message.embeds[0]) else "en")
        data, locale = kept
        data = with_count(data, locale, here, everywhere)
        if data is None:
            return
        self._embeds[message_id] = (data, locale)
        try:
            await channel.get_partial_message(message_id).edit(embed=discord.Embed.from_dict(data))
        except discord.NotFound:
            return  # deleted meanwhile: the delete event takes its votes
        self.edits += 1


def with_count(data: dict[str, Any], locale: str, here: int, everywhere: int) -> dict[str, Any] | None:
    """The embed with its "cried to it" field set to these counts; None if it has no such field or the
    field already says so (no edit needed)."""
    name = t(locale, "pick.cried")
    line = tear_count_line(locale, here, everywhere)
    fields = [dict(f) for f in data.get("fields", [])]
    for field in fields:
        if field.get("name") == name:
            if field.get("value") == line:
                return None
            field["value"] = line
            return {**data, "fields": fields}
    return None


def _looks_korean(embed: discord.Embed) -> bool:
    return any(f.name == t("ko", "pick.cried") for f in embed.fields)
