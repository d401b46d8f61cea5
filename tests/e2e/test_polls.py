"""The weekly poll end to end: set-up, the post, votes, recap, restarts, and one server's failure."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.db import PollSchedule
from tests.e2e.conftest import eventually
from tests.fakediscord import Overwrite, P

FRIDAY = 4


def polls(running):
    return running.bot.weekly


@pytest.fixture
def admin(fake, guild):
    return fake.create_member(guild, "admin", roles=[fake.create_role(guild, "Mods", P.MANAGE_GUILD)])


async def ready(fake, start_bot, **kwargs):
    """Start the bot and let the scheduler's first tick pass, so each test drives the clock itself."""
    running = await start_bot(**kwargs)
    await fake.wait_for(lambda: polls(running).ticks >= 1, what="the first scheduler tick")
    return running


async def set_up(fake, admin, guild, channel=None, **options):
    options = {"weekday": FRIDAY, "time": "21:00", "timezone": "Asia/Seoul", **options}
    record = await fake.run_command(
        admin,
        channel or fake.general(guild),
        "poll setup",
        channel=str((channel or fake.general(guild)).id),
        **options,
    )
    return await record.wait_answer()


async def schedule_of(running, guild) -> PollSchedule:
    schedule = await running.storage.schedule(guild.id)
    assert schedule is not None
    return schedule


async def make_due(running, guild, now: int) -> None:
    """Move the stored due time into the past, as if the week had passed."""
    await running.storage.reschedule(guild.id, now - 1)


def recaps_in(fake, channel):
    return [
        m for m in fake.messages_in(channel) if m.embeds and "This week's tears" in m.embed.get("title", "")
    ]


async def first_poll(fake, start_bot, guild, admin):
    """A bot with a schedule and one poll posted by /poll now: (running, the post, answers by id)."""
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    [post] = polls_in(fake, fake.general(guild))
    return running, post, dict(await running.storage.poll_answers(post.id))


def polls_in(fake, channel):
    return [m for m in fake.messages_in(channel) if m.poll is not None]


async def test_poll_commands_are_for_admins_by_default(fake, start_bot):
    await start_bot()
    poll = fake.commands()["poll"]
    assert poll["default_member_permissions"] == str(P.MANAGE_GUILD)
    assert {o["name"] for o in poll["options"]} == {"setup", "status", "now", "off"}


async def test_setup_as_admin_schedules_on_the_servers_clock(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    reply = await set_up(fake, admin, guild)
    assert reply.ephemeral
    assert "Every **Friday at 21:00** (Asia/Seoul)" in reply.content and "⚠️" not in reply.content
    schedule = await schedule_of(running, guild)
    assert (schedule.weekday, schedule.local_time, schedule.timezone, schedule.size) == (
        FRIDAY,
        "21:00",
        "Asia/Seoul",
        5,
    )
    assert schedule.next_due is not None and schedule.next_due > time.time()
    assert time.gmtime(schedule.next_due).tm_hour == 12  # 21:00 KST
    status = await (await fake.run_command(admin, fake.general(guild), "poll status")).wait_answer()
    assert f"<t:{schedule.next_due}:F>" in status.content and "Last poll:** none yet" in status.content


async def test_a_member_without_manage_server_is_refused(fake, start_bot, guild, member):
    running = await ready(fake, start_bot)
    record = await fake.run_command(
        member, fake.general(guild), "poll setup", channel=str(fake.general(guild).id), weekday=1, time="9pm",
        timezone="UTC",
    )  # fmt: skip
    reply = await record.wait_answer()
    assert reply.ephemeral and "You need the **Manage Server** permission" in reply.content
    assert await running.storage.schedule(guild.id) is None


async def channel_denying(fake, guild, name, deny):
    """A new channel where the bot's role is denied `deny`, announced to the bot."""
    bot_role = next(r for r in guild.roles.values() if r.name == "Tearjerker")
    channel = fake.create_channel(guild, name, overwrites=[Overwrite(bot_role.id, 0, deny=deny)])
    await fake.announce_guild(guild)
    return channel


async def test_setup_reports_missing_channel_permissions(fake, start_bot, guild, admin):
    await ready(fake, start_bot)
    quiet = await channel_denying(fake, guild, "quiet", P.SEND_POLLS | P.EMBED_LINKS)
    reply = await set_up(fake, admin, guild, channel=quiet)
    assert "⛔ I'm missing **Create Polls**" in reply.content and "cannot be posted" in reply.content
    assert "⚠️ I'm also missing **Embed Links**" in reply.content and "can't show its ranking" in reply.content


async def test_setup_tells_what_only_weakens_the_poll_apart_from_what_stops_it(fake, start_bot, guild, admin):
    await ready(fake, start_bot)
    calm = await channel_denying(fake, guild, "calm", P.ADD_REACTIONS | P.READ_MESSAGE_HISTORY)
    reply = await set_up(fake, admin, guild, channel=calm)
    assert "Set!" in reply.content and "⛔" not in reply.content
    assert "⚠️ I'm also missing **Add Reactions, Read Message History**" in reply.content
    assert "The poll still goes out" in reply.content and "skip the week" in reply.content


async def test_bad_time_and_time_zone_are_explained(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    reply = await set_up(fake, admin, guild, time="25:99")
    assert reply.ephemeral and "not a time of day" in reply.content
    reply = await set_up(fake, admin, guild, timezone="Mars/Olympus_Mons")
    assert "not a time zone I know" in reply.content
    reply = await set_up(fake, admin, guild, timezone="IST")
    assert "could mean more than one time zone: Asia/Kolkata, Asia/Jerusalem, Europe/Dublin" in reply.content
    assert await running.storage.schedule(guild.id) is None


async def test_time_zones_and_times_are_taken_as_people_type_them(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    for typed, stored in (("seoul", "Asia/Seoul"), ("KST", "Asia/Seoul"), ("new york", "America/New_York")):
        reply = await set_up(fake, admin, guild, timezone=typed, time="오후 9시")
        assert "Set!" in reply.content and f"({stored})" in reply.content
        schedule = await running.storage.schedule(guild.id)
        assert (schedule.timezone, schedule.local_time) == (stored, "21:00")
    reply = await set_up(fake, admin, guild, timezone="서울", time="21시")
    assert "Set!" in reply.content and (await running.storage.schedule(guild.id)).timezone == "Asia/Seoul"


async def test_time_zone_autocomplete(fake, start_bot, guild, admin):
    await ready(fake, start_bot)
    choices = await fake.autocomplete(
        admin, fake.general(guild), "poll setup", "timezone", "seoul", channel=str(fake.general(guild).id), weekday=0,
        time="9pm",
    )  # fmt: skip
    assert {"name": "Asia/Seoul", "value": "Asia/Seoul"} in choices
    for typed in ("서울", "kst"):
        choices = await fake.autocomplete(
            admin, fake.general(guild), "poll setup", "timezone", typed, channel=str(fake.general(guild).id),
            weekday=0, time="9pm",
        )  # fmt: skip
        assert choices[0] == {"name": "Asia/Seoul", "value": "Asia/Seoul"}


async def test_poll_now_posts_a_multi_select_poll_within_discords_limits(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild, size=10)
    reply = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    assert (
        reply.ephemeral
        and "Posted in <#" in reply.content
        and "[see the poll](https://discord.com/channels/" in reply.content
    )
    [post] = polls_in(fake, fake.general(guild))
    poll = post.poll
    assert poll["allow_multiselect"] is True
    assert "cried to" in poll["question"]["text"]
    assert len(poll["answers"]) == 10
    titles = [a["poll_media"]["text"] for a in poll["answers"]]
    assert all(len(t) <= 55 for t in titles) and len(set(titles)) == 10
    assert all(a["poll_media"].get("emoji") for a in poll["answers"])
    assert 1 <= poll["duration"] <= 168
    assert "Tissue check, Tissue Box!" in post.content
    assert (await running.storage.latest_poll(guild.id)).message_id == post.id


async def test_scheduled_post_happens_once_and_moves_to_next_week(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    await polls(running).tick(now)
    await polls(running).tick(now + 30)  # the next minute: nothing more
    assert len(polls_in(fake, fake.general(guild))) == 1
    schedule = await schedule_of(running, guild)
    assert schedule.next_due > now and schedule.last_posted_at == now and schedule.posting_slot is None


async def test_after_a_long_outage_one_catch_up_poll_not_one_per_week(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await running.storage.reschedule(guild.id, now - 6 * 7 * 86400)
    for minute in range(3):
        await polls(running).tick(now + 60 * minute)
    assert len(polls_in(fake, fake.general(guild))) == 1
    assert (await schedule_of(running, guild)).next_due - now < 7 * 86400


async def test_poll_votes_and_unvotes_are_cried_to_votes(fake, start_bot, guild, admin, member):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    [post] = polls_in(fake, fake.general(guild))
    answers = await running.storage.poll_answers(post.id)
    first_title, second_title = answers[0][1], answers[1][1]
    await fake.poll_vote(member, post, 1)
    await fake.poll_vote(member, post, 2)
    await fake.poll_vote(admin, post, 1)
    await eventually(lambda: running.storage.tally(guild.id, first_title), 2)
    await eventually(lambda: running.storage.tally(guild.id, second_title), 1)
    await fake.poll_vote(member, post, 2, add=False)
    await eventually(lambda: running.storage.tally(guild.id, second_title), 0)


async def test_the_recap_ranks_the_week_and_names_the_all_time_top_three(
    fake, start_bot, guild, admin, member
):
    running, post, answers = await first_poll(fake, start_bot, guild, admin)
    await fake.poll_vote(member, post, 3)
    await fake.poll_vote(admin, post, 3)
    await fake.poll_vote(member, post, 1)
    await eventually(lambda: running.storage.tally(guild.id, answers[3]), 2)
    await fake.end_poll(post)
    # Discord ended the poll: the recap comes at once, not at the bot's own closing time.
    await fake.wait_for(lambda: recaps_in(fake, fake.general(guild)), what="the recap")
    poll = await running.storage.latest_poll(guild.id)
    await polls(running).tick(poll.closes_at + 1)
    await polls(running).tick(poll.closes_at + 61)  # recorded once: no second recap
    recaps = recaps_in(fake, fake.general(guild))
    assert len(recaps) == 1
    lines = recaps[0].embed["description"].split("\n")
    title = running.bot.catalog.get(answers[3]).display
    assert lines[0] == f"` 1.` **{title}** — 2 😭"
    assert recaps[0].field("All-time top three here").startswith(f"🥇 {title} — 2 😭")
    assert (await running.storage.latest_poll(guild.id)).recap_message_id == recaps[0].id


async def test_a_restart_does_not_post_twice(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    await polls(running).tick(now)
    await running.stop()
    running = await ready(fake, start_bot)
    await polls(running).tick(now + 120)
    assert len(polls_in(fake, fake.general(guild))) == 1


async def test_a_post_interrupted_after_discord_took_it_is_recorded_not_repeated(
    fake, start_bot, guild, admin, monkeypatch
):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)

    async def database_down(**kwargs):
        raise RuntimeError("the database failed between Discord's answer and the record")

    monkeypatch.setattr(running.storage, "record_poll", database_down)
    await polls(running).tick(now)
    monkeypatch.undo()
    assert len(polls_in(fake, fake.general(guild))) == 1
    assert (await schedule_of(running, guild)).posting_slot is not None  # still claimed: no second post
    await running.stop()
    running = await ready(fake, start_bot)  # recovers on start, before its first tick
    await polls(running).tick(now + 120)
    assert len(polls_in(fake, fake.general(guild))) == 1
    latest = await running.storage.latest_poll(guild.id)
    assert latest is not None and latest.message_id == polls_in(fake, fake.general(guild))[0].id
    assert (await schedule_of(running, guild)).posting_slot is None


async def test_a_post_interrupted_before_discord_took_it_is_made_once(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    assert await running.storage.claim_post(guild.id, now - 1)  # claimed, then the process died
    await running.stop()
    running = await ready(fake, start_bot)
    await polls(running).tick(now + 60)
    assert len(polls_in(fake, fake.general(guild))) == 1


async def test_one_servers_403_does_not_block_anothers_poll(fake, start_bot, guild, admin):
    locked = fake.create_guild("Locked Box", bot_permissions=P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS)
    locked_admin = fake.create_member(
        locked, "boss", roles=[fake.create_role(locked, "Boss", P.MANAGE_GUILD)]
    )
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await set_up(fake, locked_admin, locked)
    now = int(time.time())
    await make_due(running, guild, now)
    await make_due(running, locked, now)
    await polls(running).tick(now)
    assert len(polls_in(fake, fake.general(guild))) == 1
    assert polls_in(fake, fake.general(locked)) == []
    failed = await schedule_of(running, locked)
    assert failed.failures == 1 and "poll.fail_forbidden" in failed.last_error
    assert failed.next_due == now + 300  # retried in five minutes
    status = await (await fake.run_command(locked_admin, fake.general(locked), "poll status")).wait_answer()
    assert "Last error" in status.content and "I'm missing a permission in the poll channel" in status.content
    assert "Create Polls" in status.content


async def test_a_5xx_is_retried_with_back_off(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    fake.inject("POST", rf"/channels/{fake.general(guild).id}/messages$", 503)
    await polls(running).tick(now)
    schedule = await schedule_of(running, guild)
    assert schedule.failures == 1 and "poll.fail_server" in schedule.last_error
    await polls(running).tick(schedule.next_due)
    assert len(polls_in(fake, fake.general(guild))) == 1
    assert (await schedule_of(running, guild)).failures == 0


async def test_poll_off_stops_the_schedule(fake, start_bot, guild, admin):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    reply = await (await fake.run_command(admin, fake.general(guild), "poll off")).wait_answer()
    assert "The weekly poll is off" in reply.content
    now = int(time.time())
    await polls(running).tick(now + 30 * 86400)
    assert polls_in(fake, fake.general(guild)) == []


async def test_poll_votes_cast_while_down_are_caught_up(fake, start_bot, guild, admin, member):
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    [post] = polls_in(fake, fake.general(guild))
    title = dict(await running.storage.poll_answers(post.id))[2]
    await running.stop()
    await fake.poll_vote(member, post, 2)
    await fake.poll_vote(admin, post, 2)
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    assert await running.storage.tally(guild.id, title) == 2


async def test_catch_up_lists_the_voters_only_of_answers_whose_count_changed(
    fake, start_bot, guild, admin, member
):
    running, post, answers = await first_poll(fake, start_bot, guild, admin)
    await fake.poll_vote(member, post, 1)
    await eventually(lambda: running.storage.tally(guild.id, answers[1]), 1)
    await running.stop()
    await fake.poll_vote(admin, post, 3)  # while the bot is away
    start = len(fake.requests)
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.ballot.catchup_runs >= 1, what="catch-up")
    listed = [path for method, path in fake.requests[start:] if "/answers/" in path]
    assert listed == [f"/api/v10/channels/{post.channel_id}/polls/{post.id}/answers/3"]
    assert await running.storage.tally(guild.id, answers[1]) == 1
    assert await running.storage.tally(guild.id, answers[3]) == 1


async def test_a_post_from_a_stale_schedule_row_does_not_repeat_the_week(fake, start_bot, guild, admin):
    """Two ticks (or two processes) that read the same due row: the second finds the week posted."""
    running = await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    now = int(time.time())
    await make_due(running, guild, now)
    stale = await schedule_of(running, guild)
    cog = polls(running)
    await asyncio.gather(
        cog.post(stale, scheduled=True, now=now), cog.post(stale, scheduled=True, now=now + 1)
    )
    assert len(polls_in(fake, fake.general(guild))) == 1


async def test_a_poll_ended_early_by_discord_gets_its_recap_from_the_finalized_counts_once(
    fake, start_bot, guild, admin, member
):
    running, post, answers = await first_poll(fake, start_bot, guild, admin)
    await fake.poll_vote(member, post, 2)
    await eventually(lambda: running.storage.tally(guild.id, answers[2]), 1)
    # A vote the bot never heard of (its event was lost): Discord's final count still has it.
    post.poll["_votes"][2].append(admin.user.id)
    await fake.end_poll(post, by=member)  # someone with the right ends it early
    await fake.wait_for(lambda: recaps_in(fake, fake.general(guild)), what="the recap")
    [recap] = recaps_in(fake, fake.general(guild))
    title = running.bot.catalog.get(answers[2]).display
    assert recap.embed["description"].split("\n")[0] == f"` 1.` **{title}** — 2 😭"
    assert "next week" in recap.embed["footer"]["text"]
    assert any(m.type == 46 for m in fake.messages_in(fake.general(guild)))  # Discord's own notice too

    async def recorded():
        return (await running.storage.latest_poll(guild.id)).recap_message_id

    await eventually(recorded, recap.id, what="the recap recorded")
    poll = await running.storage.latest_poll(guild.id)
    await polls(running).tick(poll.closes_at + 1)  # the scheduled closing finds it done
    assert len(recaps_in(fake, fake.general(guild))) == 1


async def test_poll_now_while_a_poll_is_open_asks_first_and_its_recap_promises_no_next_week(
    fake, start_bot, guild, admin
):
    await ready(fake, start_bot)
    await set_up(fake, admin, guild)
    await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    ask = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    assert ask.ephemeral and "A poll is still open" in ask.content and "ends it now" in ask.content
    kept = await fake.press_button(admin, ask, f"tj:pollnow:no:{admin.user.id}")
    assert "Kept the current poll" in (await kept.wait_answer()).content
    assert len(polls_in(fake, fake.general(guild))) == 1 and not recaps_in(fake, fake.general(guild))
    ask = await (await fake.run_command(admin, fake.general(guild), "poll now")).wait_answer()
    pressed = await fake.press_button(admin, ask, f"tj:pollnow:yes:{admin.user.id}")
    await fake.wait_for(lambda: len(polls_in(fake, fake.general(guild))) == 2, what="the new poll")
    await fake.wait_for(lambda: pressed.followups, what="the admin's confirmation")
    assert "Posted in <#" in pressed.followups[0].content
    [recap] = recaps_in(fake, fake.general(guild))
    assert "a new poll follows right away" in recap.embed["footer"]["text"]
    assert "next week" not in recap.embed["footer"]["text"]
