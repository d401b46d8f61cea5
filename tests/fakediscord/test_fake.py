"""The fake enforces Discord's rules: these tests prove it catches a bot that breaks them.

They drive a bare discord.py client (not Tearjerker) with commands written to misbehave.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord, Guild, Member, running_fake


class Probe(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True, guild_reactions=True))
        self.tree = app_commands.CommandTree(self)
        self.seen_events: list[str] = []

        @self.tree.command(description="answers late")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.4)
            with contextlib.suppress(discord.NotFound):
                await interaction.response.send_message("too late")

        @self.tree.command(description="answers twice")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("one")
            try:
                await interaction.response._parent._state.http.request(  # type: ignore[attr-defined]
                    discord.http.Route(
                        "POST",
                        "/interactions/{iid}/{token}/callback",
                        iid=interaction.id,
                        token=interaction.token,
                    ),
                    json={"type": 4, "data": {"content": "two"}},
                )
            except discord.HTTPException as exc:
                await interaction.followup.send(f"refused {exc.code}")

        @self.tree.command(description="sends an oversized embed")
        async def huge(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="x", description="y" * 4000)
            for i in range(4):
                embed.add_field(name=f"f{i}", value="z" * 1000)
            try:
                await interaction.response.send_message(embed=embed)
            except discord.HTTPException as exc:
                await interaction.response.send_message(f"refused {exc.code}", ephemeral=True)

        @self.tree.command(description="offers too many choices")
        async def many(interaction: discord.Interaction, pick: str) -> None:
            await interaction.response.send_message(pick)

        @many.autocomplete("pick")
        async def many_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=str(i), value=str(i)) for i in range(26)]

        @self.tree.command(description="posts a poll with too many answers")
        async def bigpoll(interaction: discord.Interaction) -> None:
            poll = discord.Poll(question="Which?", duration=__import__("datetime").timedelta(hours=24))
            for i in range(11):
                poll.add_answer(text=f"answer {i}")
            try:
                await interaction.response.send_message(poll=poll)
            except discord.HTTPException as exc:
                await interaction.response.send_message(f"refused {exc.code}", ephemeral=True)

        @self.tree.command(description="posts in the channel")
        async def post(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            try:
                await interaction.channel.send("hello")  # type: ignore[union-attr]
                await interaction.followup.send("posted")
            except discord.Forbidden as exc:
                await interaction.followup.send(f"forbidden {exc.code}")

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.seen_events.append(f"add:{payload.message_id}")


async def joined(fake: FakeDiscord, name: str, **guild_options: int) -> tuple[Guild, Member]:
    """A server the running client has just joined, with one member in it."""
    guild = fake.create_guild(**guild_options)
    await fake.announce_guild(guild)
    return guild, fake.create_member(guild, name)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as fake:
        fake.ack_deadline = 0.2
        yield fake


@pytest.fixture
async def probe(fake: FakeDiscord) -> AsyncIterator[Probe]:
    client = Probe()
    await client.login(fake.token)
    task = asyncio.create_task(client.connect())
    await fake.wait_connected()
    yield client
    await client.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


async def test_the_client_asks_for_zlib_stream_and_gets_it(fake, probe):
    assert fake.compressions[-1] == "zlib-stream"


async def test_a_late_acknowledgement_is_a_violation(fake, probe):
    guild, member = await joined(fake, "a")
    with pytest.raises(AssertionError, match="refused the bot's answer"):
        await fake.run_command(member, fake.general(guild), "slow", timeout=1.0)
    await fake.wait_for(lambda: fake.violations, what="the late-ack violation")
    assert "acknowledged after" in fake.violations[0]


async def test_a_second_acknowledgement_is_refused(fake, probe):
    guild, member = await joined(fake, "b")
    record = await fake.run_command(member, fake.general(guild), "twice")
    await fake.wait_for(lambda: record.followups, what="the follow-up")
    assert record.followups[0].content == "refused 40060"


async def test_embed_limits_are_enforced(fake, probe):
    guild, member = await joined(fake, "c")
    message = await (await fake.run_command(member, fake.general(guild), "huge")).wait_answer()
    assert message.content == "refused 50035"
    assert any("6000" in v for v in fake.violations)


async def test_autocomplete_over_25_choices_is_refused(fake, probe):
    guild, member = await joined(fake, "d")
    with pytest.raises(AssertionError):
        await fake.autocomplete(member, fake.general(guild), "many", "pick", "")
    assert any("choices: 26 > 25" in v for v in fake.violations)


async def test_missing_channel_permission_answers_50013(fake, probe):
    from tests.fakediscord import P

    guild, member = await joined(fake, "e", bot_permissions=P.VIEW_CHANNEL)
    record = await fake.run_command(member, fake.general(guild), "post")
    await fake.wait_for(lambda: record.response and record.response.content, what="the follow-up")
    assert record.response.content == "forbidden 50013"


async def test_injected_429_and_500_are_retried_by_the_client(fake, probe):
    guild = fake.create_guild()
    await fake.announce_guild(guild)
    limited = fake.inject("GET", r"/users/@me$", 429, retry_after=0.05)
    broken = fake.inject("GET", r"/users/@me$", 500)
    user = await probe.http.request(discord.http.Route("GET", "/users/@me"))
    assert user["id"] == str(fake.bot_user.id)
    assert limited.times == 0 and broken.times == 0


async def test_unknown_routes_are_listed(fake, probe):
    with pytest.raises(discord.NotFound):
        await probe.http.request(discord.http.Route("GET", "/stickers/1"))
    assert fake.unknown_routes == ["GET /api/v10/stickers/1"]


async def test_events_missed_during_a_drop_are_replayed_on_resume(fake, probe):
    guild, member = await joined(fake, "f")
    channel = fake.general(guild)
    message = fake._new_message(channel, {"content": "hi", "allowed_mentions": {"parse": []}})
    identifies = len(fake.identifies)
    await fake.drop_connections(resumable=True)
    await fake.add_reaction(member, message)  # sent while the client is away
    await fake.wait_for(
        lambda: f"add:{message.id}" in probe.seen_events, timeout=10, what="the replayed event"
    )
    assert len(fake.identifies) == identifies  # resumed, not re-identified


async def test_an_invalidated_session_makes_the_client_identify_again(fake, probe):
    identifies = len(fake.identifies)
    await fake.drop_connections(resumable=False)
    await fake.wait_for(lambda: len(fake.identifies) > identifies, timeout=15, what="a new IDENTIFY")


async def test_events_need_their_intent(fake, probe):
    guild = fake.create_guild()
    await fake.announce_guild(guild)
    # The probe did not ask for GUILD_MESSAGES, so a delete is never sent to it.
    assert (
        await fake.dispatch(
            "MESSAGE_DELETE", {"id": "1", "channel_id": "2", "guild_id": str(guild.id)}, guild.id
        )
        == 0
    )


async def test_poll_limits_are_enforced(fake, probe):
    guild, member = await joined(fake, "g")
    message = await (await fake.run_command(member, fake.general(guild), "bigpoll")).wait_answer()
    assert message.content == "refused 50035"
    assert any("poll.answers: 11 answers" in v for v in fake.violations)


async def test_reads_show_reactions_by_type_and_history_newest_first_like_discord(fake, probe):
    guild, member = await joined(fake, "r")
    channel = fake.general(guild)
    first, second, third = (fake.backfill(channel) for _ in range(3))
    await fake.add_reaction(fake.bot_member(guild), second)
    await fake.add_reaction(member, second, burst=True)
    # History: newest first, `before` exclusive, `limit` honoured.
    page = await probe.http.logs_from(channel.id, 2, before=third.id + 1)
    assert [int(m["id"]) for m in page] == [third.id, second.id]
    [reaction] = page[1]["reactions"]
    assert reaction["count_details"] == {"normal": 1, "burst": 1} and reaction["count"] == 2
    assert reaction["me"] is True and reaction["me_burst"] is False
    # The reaction-users listing tells normal from super reactions by `type`.
    normal = await probe.http.get_reaction_users(channel.id, second.id, "😭", 100, type=0)
    burst = await probe.http.get_reaction_users(channel.id, second.id, "😭", 100, type=1)
    assert [int(u["id"]) for u in normal] == [fake.bot_user.id]
    assert [int(u["id"]) for u in burst] == [member.user.id]
    assert "reactions" not in await probe.http.get_message(channel.id, first.id)


async def test_a_poll_in_progress_shows_its_answer_counts(fake, probe):
    guild, member = await joined(fake, "p")
    question = discord.Poll(question="Which?", duration=datetime.timedelta(hours=1))
    question.add_answer(text="this one")
    question.add_answer(text="that one")
    sent = await probe.get_partial_messageable(fake.general(guild).id).send(poll=question)
    await fake.poll_vote(member, fake.messages[sent.id], 2)
    data = await probe.http.get_message(sent.channel.id, sent.id)
    assert data["poll"]["results"] == {
        "is_finalized": False,
        "answer_counts": [{"id": 2, "count": 1, "me_voted": False}],
    }


async def test_one_account_in_two_servers_reacts_in_each_as_that_servers_member(fake, probe):
    first, member = await joined(fake, "mina")
    second, _ = await joined(fake, "joon")
    other = fake.add_member(second, member.user)
    assert other.user is member.user and other.guild_id == second.id
    for guild, who in ((first, member), (second, other)):
        message = fake._new_message(fake.general(guild), {"content": "hi", "allowed_mentions": {"parse": []}})
        await fake.add_reaction(who, message)
        await fake.wait_for(
            lambda m=message: f"add:{m.id}" in probe.seen_events, timeout=10, what="the reaction"
        )
