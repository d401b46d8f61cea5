"""Turns catalog entries into Discord embeds. Spoilers always sit behind spoiler tags."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import discord

from bot.catalog import MAX_TEARS, Catalog, Drama, Ost, Title, render_cast
from bot.votes import bar

COLOUR = discord.Colour(0x5B8DEF)
VOTE_EMOJI = "😭"


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


def drama_embed(
    drama: Drama, catalog: Catalog, *, picked_for: str | None = None, tears: tuple[int, int] | None = None
) -> discord.Embed:
    embed = discord.Embed(title=f"{drama.title} · {drama.hangul}", description=drama.pitch, colour=COLOUR)
    embed.add_field(name="Aired", value=f"{drama.year} · {drama.network}", inline=True)
    embed.add_field(name="Era", value=drama.era.capitalize(), inline=True)
    embed.add_field(name="Tear rating", value=tear_meter(drama.tears), inline=True)
    embed.add_field(name="Cast", value=render_cast(drama.cast), inline=False)
    moods = [catalog.moods[m] for m in drama.moods if m in catalog.moods]
    embed.add_field(
        name="Moods", value=" · ".join(f"{m.emoji} {m.label}".strip() for m in moods), inline=False
    )
    embed.add_field(name="Spoiler (tap to reveal)", value=spoiler(drama.spoiler), inline=False)
    osts = catalog.osts_for(drama.id)
    if osts:
        embed.add_field(name="Soundtrack", value="\n".join(f"🎵 {o.display}" for o in osts), inline=False)
    if tears is not None:
        embed.add_field(name="Cried to it", value=tear_count_line(*tears), inline=False)
    footer = f"React {VOTE_EMOJI} if you cried to it"
    embed.set_footer(text=f"Picked for {picked_for} · {footer}" if picked_for else footer)
    return embed


def ost_embed(
    ost: Ost, catalog: Catalog, *, picked_for: str | None = None, tears: tuple[int, int] | None = None
) -> discord.Embed:
    drama = catalog.drama(ost.drama_id)
    title = f"🎵 {ost.song}" + (f" · {ost.hangul}" if ost.hangul else "")
    artist = ost.artist + (f" ({ost.artist_hangul})" if ost.artist_hangul else "")
    embed = discord.Embed(title=title, colour=COLOUR)
    embed.add_field(name="Artist", value=artist, inline=True)
    embed.add_field(name="Drama", value=f"{drama.title} · {drama.hangul} ({drama.year})", inline=True)
    embed.add_field(name="The scene (spoiler)", value=spoiler(ost.scene), inline=False)
    embed.add_field(
        name="Listen",
        value=" · ".join(f"[{name}]({url})" for name, url in listen_links(ost, drama)),
        inline=False,
    )
    if tears is not None:
        embed.add_field(name="Cried to it", value=tear_count_line(*tears), inline=False)
    footer = f"React {VOTE_EMOJI} if it made you cry"
    embed.set_footer(text=f"Picked for {picked_for} · {footer}" if picked_for else footer)
    return embed


def tear_count_line(here: int, everywhere: int) -> str:
    people = "person" if here == 1 else "people"
    return f"{VOTE_EMOJI} {here} {people} cried to it here · {everywhere} everywhere"


def chart_embed(heading: str, rows: list[tuple[Title, int]], *, empty_hint: str) -> discord.Embed:
    embed = discord.Embed(title=heading, colour=COLOUR)
    if not rows:
        embed.description = empty_hint
        return embed
    top = rows[0][1]
    lines = []
    for rank, (title, count) in enumerate(rows, 1):
        icon = "🎬" if isinstance(title, Drama) else "🎵"
        lines.append(f"`{rank:>2}.` {icon} **{title.display}** — {count} {VOTE_EMOJI}\n`{bar(count, top)}`")
    embed.description = "\n".join(lines)
    return embed


def my_tears_embed(titles: list[Title], server: str) -> discord.Embed:
    embed = discord.Embed(title=f"What you cried to in {server}", colour=COLOUR)
    if not titles:
        embed.description = f"Nothing yet. React {VOTE_EMOJI} on a /cry or /ost pick when one gets you."
        return embed
    shown = [f"{'🎬' if isinstance(t, Drama) else '🎵'} {t.display}" for t in titles[:40]]
    more = f"\n… and {len(titles) - 40} more" if len(titles) > 40 else ""
    embed.description = "\n".join(shown) + more
    embed.set_footer(
        text=f"{len(titles)} title{'s' if len(titles) != 1 else ''} · /tears forget deletes them"
    )
    return embed


MEDALS = ("🥇", "🥈", "🥉")


def recap_embed(week: list[tuple[Title, int]], all_time: list[tuple[Title, int]]) -> discord.Embed:
    """The weekly poll's recap: this week's ranking, then the server's all-time top three."""
    embed = discord.Embed(title=f"{VOTE_EMOJI} This week's tears are in", colour=COLOUR)
    if any(votes for _, votes in week):
        embed.description = "\n".join(
            f"`{rank:>2}.` **{title.display}** — {votes} {VOTE_EMOJI}"
            for rank, (title, votes) in enumerate(week, 1)
        )
    else:
        embed.description = "Nobody admitted to crying this week. Brave faces, everyone. 🥲"
    if all_time:
        embed.add_field(
            name="All-time top three here",
            value="\n".join(
                f"{MEDALS[i]} {t.display} — {n} {VOTE_EMOJI}" for i, (t, n) in enumerate(all_time[:3])
            ),
            inline=False,
        )
    embed.set_footer(text="Votes count toward /tears top · a new poll comes next week")
    return embed
