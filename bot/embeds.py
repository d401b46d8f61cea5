"""Turns catalog entries into Discord embeds in the reader's language. Spoilers always sit behind
spoiler tags. Every sentence comes from the message catalogue (bot/locales)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus

import discord

from bot.catalog import MAX_TEARS, Catalog, Drama, Ost, Title
from bot.i18n import language_of, t
from bot.votes import bar

COLOUR = discord.Colour(0x5B8DEF)
VOTE_EMOJI = "😭"
MEDALS = ("🥇", "🥈", "🥉")


def tear_meter(tears: int) -> str:
    return VOTE_EMOJI * tears + "▫️" * (MAX_TEARS - tears) + f"  {tears}/{MAX_TEARS}"


def spoiler(text: str) -> str:
    """Wrap in Discord spoiler tags; a stray `||` inside would end the spoiler early, so drop it."""
    return f"||{text.replace('||', '|')}||"


def listen_links(ost: Ost, drama: Drama) -> list[tuple[str, str]]:
    """Search URLs built from the title: no network call, never a dead deep link."""
    query = f"{ost.song} {ost.artist.split(' (')[0]} {drama.title} OST"
    return [
        ("YouTube", f"https://www.youtube.com/results?search_query={quote_plus(query)}"),
        ("Spotify", f"https://open.spotify.com/search/{quote(query, safe='')}"),
        ("Melon", f"https://www.melon.com/search/total/index.htm?q={quote_plus(ost.hangul or ost.song)}"),
    ]


def tear_count_line(locale: Any, here: int, everywhere: int) -> str:
    key = "pick.count_none" if here == 0 else "pick.count_one" if here == 1 else "pick.count_many"
    return t(locale, key, emoji=VOTE_EMOJI, here=here, everywhere=everywhere)


def _footer(locale: Any, react_key: str, picked_for: str | None) -> str:
    react = t(locale, react_key, emoji=VOTE_EMOJI)
    return f"{t(locale, 'pick.picked_for', name=picked_for)} · {react}" if picked_for else react


def drama_embed(
    drama: Drama,
    catalog: Catalog,
    locale: Any = None,
    *,
    picked_for: str | None = None,
    tears: tuple[int, int] | None = None,
) -> discord.Embed:
    lang = language_of(locale)
    names = [drama.hangul, drama.title] if lang == "ko" else [drama.title, drama.hangul]
    heading = " · ".join(dict.fromkeys(x for x in names if x))
    embed = discord.Embed(title=heading, description=drama.pitch_for(lang), colour=COLOUR)
    # A server's own entries (suggested by members) may lack what the shipped catalog always has.
    aired = " · ".join(x for x in (str(drama.year) if drama.year else "", drama.network) if x)
    if aired:
        embed.add_field(name=t(locale, "pick.aired"), value=aired, inline=True)
    if drama.era:
        embed.add_field(name=t(locale, "pick.era"), value=t(locale, f"era.{drama.era}"), inline=True)
    if drama.tears:
        embed.add_field(name=t(locale, "pick.tear_rating"), value=tear_meter(drama.tears), inline=True)
    cast = "\n".join(
        t(locale, "pick.cast_line", actor=m.actor_for(lang), role=m.role_for(lang)) for m in drama.cast
    )
    if cast:
        embed.add_field(name=t(locale, "pick.cast"), value=cast, inline=False)
    moods = [catalog.moods[m] for m in drama.moods if m in catalog.moods]
    if moods:
        embed.add_field(
            name=t(locale, "pick.moods"),
            value=" · ".join(f"{m.emoji} {m.label_for(lang)}".strip() for m in moods),
            inline=False,
        )
    if drama.spoiler_for(lang):
        embed.add_field(name=t(locale, "pick.spoiler"), value=spoiler(drama.spoiler_for(lang)), inline=False)
    if drama.suggested_by:
        embed.add_field(name=t(locale, "pick.suggested_by"), value=drama.suggested_by, inline=False)
    osts = catalog.osts_for(drama.id)
    if osts:
        embed.add_field(
            name=t(locale, "pick.soundtrack"),
            value="\n".join(f"🎵 {o.display_for(lang)}" for o in osts),
            inline=False,
        )
    if tears is not None:
        embed.add_field(name=t(locale, "pick.cried"), value=tear_count_line(locale, *tears), inline=False)
    embed.set_footer(text=_footer(locale, "pick.react_drama", picked_for))
    return embed


def ost_embed(
    ost: Ost,
    catalog: Catalog,
    locale: Any = None,
    *,
    picked_for: str | None = None,
    tears: tuple[int, int] | None = None,
) -> discord.Embed:
    lang = language_of(locale)
    drama = catalog.drama(ost.drama_id)
    # Korean readers see the Korean title and the artist's Hangul name first.
    songs = [ost.song, ost.hangul] if lang != "ko" else [ost.hangul, ost.song]
    artists = [ost.artist, ost.artist_hangul] if lang != "ko" else [ost.artist_hangul, ost.artist]
    title = "🎵 " + " · ".join(dict.fromkeys(x for x in songs if x))
    artist = " · ".join(dict.fromkeys(x for x in artists if x))
    embed = discord.Embed(title=title, colour=COLOUR)
    embed.add_field(name=t(locale, "pick.artist"), value=artist, inline=True)
    aired = f" · {drama.year}" if drama.year else ""
    embed.add_field(name=t(locale, "pick.drama"), value=f"{drama.display_for(lang)}{aired}", inline=True)
    embed.add_field(name=t(locale, "pick.scene"), value=spoiler(ost.scene_for(lang)), inline=False)
    if ost.suggested_by:
        embed.add_field(name=t(locale, "pick.suggested_by"), value=ost.suggested_by, inline=False)
    embed.add_field(
        name=t(locale, "pick.listen"),
        value=" · ".join(f"[{name}]({url})" for name, url in listen_links(ost, drama)),
        inline=False,
    )
    if tears is not None:
        embed.add_field(name=t(locale, "pick.cried"), value=tear_count_line(locale, *tears), inline=False)
    embed.set_footer(text=_footer(locale, "pick.react_ost", picked_for))
    return embed


def chart_embed(
    where: str, rows: list[tuple[Title, int]], locale: Any = None, period: str = "all"
) -> discord.Embed:
    lang = language_of(locale)
    heading = t(locale, "chart.heading", where=where)
    if period != "all":
        heading += f" · {t(locale, f'chart.period_{period}')}"
    embed = discord.Embed(title=heading, colour=COLOUR)
    if not rows:
        embed.description = t(locale, "chart.empty" if period == "all" else "chart.empty_period")
        return embed
    top = rows[0][1]
    lines = []
    for rank, (title, count) in enumerate(rows, 1):
        icon = "🎬" if isinstance(title, Drama) else "🎵"
        lines.append(
            f"`{rank:>2}.` {icon} **{title.display_for(lang)}** — {count} {VOTE_EMOJI}\n`{bar(count, top)}`"
        )
    embed.description = "\n".join(lines)
    return embed


def my_tears_embed(titles: list[tuple[Title, int]], server: str, locale: Any = None) -> discord.Embed:
    """A member's cried-to titles, newest first, each with when the vote was cast (Discord shows the
    time in the reader's own time zone and language)."""
    lang = language_of(locale)
    embed = discord.Embed(title=t(locale, "chart.mine_title", server=server), colour=COLOUR)
    if not titles:
        embed.description = t(locale, "chart.mine_empty", emoji=VOTE_EMOJI)
        return embed
    shown = [
        f"{'🎬' if isinstance(x, Drama) else '🎵'} {x.display_for(lang)} · <t:{at}:R>"
        for x, at in titles[:40]
    ]
    more = "\n" + t(locale, "chart.mine_more", count=len(titles) - 40) if len(titles) > 40 else ""
    embed.description = "\n".join(shown) + more
    key = "chart.mine_footer_one" if len(titles) == 1 else "chart.mine_footer_many"
    embed.set_footer(text=t(locale, key, count=len(titles)))
    return embed


def recap_embed(
    week: list[tuple[Title, int]],
    all_time: list[tuple[Title, int]],
    locale: Any = None,
    *,
    followed: bool = False,
) -> discord.Embed:
    """The weekly poll's recap: this week's ranking, then the server's all-time top three."""
    lang = language_of(locale)
    embed = discord.Embed(title=t(locale, "poll.recap_title"), colour=COLOUR)
    if any(votes for _, votes in week):
        embed.description = "\n".join(
            f"`{rank:>2}.` **{title.display_for(lang)}** — {votes} {VOTE_EMOJI}"
            for rank, (title, votes) in enumerate(week, 1)
        )
    else:
        embed.description = t(locale, "poll.recap_none")
    if all_time:
        embed.add_field(
            name=t(locale, "poll.recap_top"),
            value="\n".join(
                f"{MEDALS[i]} {x.display_for(lang)} — {n} {VOTE_EMOJI}"
                for i, (x, n) in enumerate(all_time[:3])
            ),
            inline=False,
        )
    embed.set_footer(text=t(locale, "poll.recap_footer_now" if followed else "poll.recap_footer"))
    return embed
