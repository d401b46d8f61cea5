"""한국어 end to end: registration, replies in the member's locale, the weekly poll in a Korean server."""

from __future__ import annotations

import time

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG_PATH
from tests.e2e.conftest import completed_pick, eventually
from tests.fakediscord import P

CATALOG = load_catalog(DEFAULT_CATALOG_PATH)


def walk(command: dict):
    yield command
    for option in command.get("options") or []:
        yield from walk(option)


async def test_every_command_option_and_choice_registers_a_korean_name(fake, start_bot):
    await start_bot()
    for command in fake.commands().values():
        for item in walk(command):
            assert item.get("name_localizations", {}).get("ko"), item["name"]
            assert item.get("description_localizations", {}).get("ko"), item["name"]
            for choice in item.get("choices") or []:
                assert choice.get("name_localizations", {}).get("ko"), choice["name"]
        for item in walk(command):  # localized option names are unique within a command
            names = [o["name_localizations"]["ko"] for o in item.get("options") or []]
            assert len(names) == len(set(names))
    cry = fake.commands()["cry"]
    assert cry["name_localizations"]["ko"] == "울고싶어"
    mood = next(o for o in cry["options"] if o["name"] == "mood")
    assert {
        "name": "🕯️ Grief & goodbyes",
        "value": "grief",
        "name_localizations": {"ko": "🕯️ 상실과 이별"},
    } in [{k: c[k] for k in ("name", "value", "name_localizations")} for c in mood["choices"]]


async def test_a_korean_member_gets_cry_in_korean(fake, start_bot, guild):
    await start_bot()
    mina = fake.create_member(guild, "mina", locale="ko")
    message = await completed_pick(
        fake, await fake.run_command(mina, fake.general(guild), "cry", title="mr-sunshine")
    )
    embed = message.embed
    assert embed["title"] == "미스터 션샤인 · Mr. Sunshine"
    drama = CATALOG.drama("mr-sunshine")
    assert embed["description"] == drama.pitch_ko
    assert "이병헌 — 유진 초이 역" in message.field("출연")  # the actor and the role, both in Hangul
    assert message.field("시대") == "사극·시대극"
    assert message.field("스포일러 (눌러서 보기)") == f"||{drama.spoiler_ko}||"
    assert "역사의 무게" in message.field("분위기")
    assert embed["footer"]["text"].startswith("Mina 님을 위한 추천")
    assert message.components[0]["components"][0]["label"] == "하나 더"
    assert message.components[0]["components"][1]["label"] == "마음 달래기"


async def test_a_korean_member_gets_ost_and_autocomplete_in_korean(fake, start_bot, guild):
    await start_bot()
    mina = fake.create_member(guild, "mina", locale="ko")
    channel = fake.general(guild)
    choices = await fake.autocomplete(mina, channel, "ost", "query", "바람꽃")
    assert choices[0] == {"name": "바람꽃 — 이선희 (푸른 바다의 전설)", "value": "windflower"}
    message = await completed_pick(fake, await fake.run_command(mina, channel, "ost", query="windflower"))
    # A Korean reader sees the Korean song title and the artist's Hangul name first.
    assert message.embed["title"] == "🎵 바람꽃 · Windflower"
    assert message.field("가수") == "이선희 · Lee Sun-hee"
    assert message.field("장면 (스포일러)") == f"||{CATALOG.get('windflower').scene_ko}||"
    titles = await fake.autocomplete(mina, channel, "cry", "title", "눈이 부")
    assert titles[0]["name"].startswith("눈이 부시게 · The Light in Your Eyes")


async def test_a_korean_member_gets_tears_and_errors_in_korean(fake, start_bot, guild):
    running = await start_bot()
    mina = fake.create_member(guild, "mina", locale="ko")
    channel = fake.general(guild)
    pick = await completed_pick(fake, await fake.run_command(mina, channel, "cry", title="red-sleeve"))
    await fake.add_reaction(mina, pick)
    await eventually(lambda: running.storage.tally(guild.id, "red-sleeve"), 1)
    chart = await (await fake.run_command(mina, channel, "tears top")).wait_answer()
    assert chart.embed["title"] == "😭 눈물 순위 — Tissue Box"
    assert "**옷소매 붉은 끝동** — 1 😭" in chart.embed["description"]
    mine = await (await fake.run_command(mina, channel, "tears me")).wait_answer()
    assert mine.embed["title"] == "Tissue Box에서 보고 운 작품"
    error = await (await fake.run_command(mina, channel, "cry", title="Hotel King")).wait_answer()
    assert error.ephemeral and error.content.startswith("“Hotel King”이라는 작품을 찾지 못했어요.")
    assert "가장 비슷한 작품: **호텔 델루나**" in error.content
    error = await (await fake.run_command(mina, channel, "cry", title="우리 별")).wait_answer()
    assert error.content.startswith("“우리 별”이라는 작품을 찾지 못했어요.")
    error = await (await fake.run_command(mina, channel, "cry", title="바다")).wait_answer()
    assert error.content.startswith("“바다”라는 작품을 찾지 못했어요.")


async def test_an_english_member_in_the_same_server_still_gets_english(fake, start_bot, guild, member):
    await start_bot()
    message = await completed_pick(
        fake, await fake.run_command(member, fake.general(guild), "cry", title="mr-sunshine")
    )
    assert message.embed["title"] == "Mr. Sunshine · 미스터 션샤인" and message.field("Era") == "Historical"


async def test_the_weekly_poll_in_a_korean_server_is_in_korean(fake, start_bot):
    seoul = fake.create_guild("서울 눈물방", locale="ko")
    admin = fake.create_member(
        seoul, "관리자", roles=[fake.create_role(seoul, "Mods", P.MANAGE_GUILD)], locale="ko"
    )
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.weekly.ticks >= 1, what="the first tick")
    channel = fake.general(seoul)
    reply = await (
        await fake.run_command(
            admin,
            channel,
            "poll setup",
            channel=str(channel.id),
            weekday=4,
            time="21:00",
            timezone="Asia/Seoul",
        )
    ).wait_answer()
    assert reply.content.startswith("설정 완료! 매주 **금요일 21:00** (Asia/Seoul)")
    await (await fake.run_command(admin, channel, "poll now")).wait_answer()
    [post] = [m for m in fake.messages_in(channel) if m.poll]
    assert post.poll["question"]["text"].startswith("이 중에서 보고 운 K-드라마는?")
    answers = [a["poll_media"]["text"] for a in post.poll["answers"]]
    hangul = {d.hangul for d in running.bot.catalog.dramas}
    assert set(answers) <= hangul and all(len(a) <= 55 for a in answers)
    assert "휴지 준비됐나요?" in post.content
    await fake.poll_vote(admin, post, 1)
    await eventually(lambda: running.storage.count_votes_of(admin.user.id, seoul.id), 1)
    await fake.end_poll(post)  # the recap follows as soon as Discord ends the poll

    def recaps():
        return [
            m
            for m in fake.messages_in(channel)
            if m.embeds and m.embed.get("title") == "😭 이번 주의 눈물 결과"
        ]

    [recap] = await fake.wait_for(recaps, what="the recap")
    assert recap.embed["description"].startswith(f"` 1.` **{answers[0]}** — 1 😭")
    assert recap.field("이 서버의 역대 눈물 순위 TOP 3")


async def test_an_english_poll_can_be_chosen_for_a_korean_server(fake, start_bot):
    seoul = fake.create_guild("Seoul Box", locale="ko")
    admin = fake.create_member(seoul, "admin", roles=[fake.create_role(seoul, "Mods", P.MANAGE_GUILD)])
    running = await start_bot()
    await fake.wait_for(lambda: running.bot.weekly.ticks >= 1, what="the first tick")
    channel = fake.general(seoul)
    await (
        await fake.run_command(
            admin, channel, "poll setup", channel=str(channel.id), weekday=4, time="9pm", timezone="Asia/Seoul",
            language="en",
        )
    ).wait_answer()  # fmt: skip
    assert (await running.storage.schedule(seoul.id)).locale == "en"
    now = int(time.time())
    await running.bot.weekly.post(await running.storage.schedule(seoul.id), scheduled=False, now=now)
    [post] = [m for m in fake.messages_in(channel) if m.poll]
    assert post.poll["question"]["text"].startswith("Which of these K-dramas")


async def test_replies_mention_commands_by_id_so_they_render_clickable_in_the_members_language(
    fake, start_bot, guild
):
    await start_bot()
    ids = {name: command["id"] for name, command in fake.commands().items()}
    mina = fake.create_member(guild, "mina", locale="ko")
    joon = fake.create_member(guild, "joon")
    mine = await (await fake.run_command(mina, fake.general(guild), "tears me")).wait_answer()
    assert f"</cry:{ids['cry']}>나 </ost:{ids['ost']}> 추천이" in mine.embed["description"]
    mine = await (await fake.run_command(joon, fake.general(guild), "tears me")).wait_answer()
    assert f"React 😭 on a </cry:{ids['cry']}> or </ost:{ids['ost']}> pick" in mine.embed["description"]
    admin = fake.create_member(
        guild, "admin", locale="ko", roles=[fake.create_role(guild, "M", P.MANAGE_GUILD)]
    )
    status = await (await fake.run_command(admin, fake.general(guild), "poll status")).wait_answer()
    assert status.content == f"아직 주간 투표가 없어요. </poll setup:{ids['poll']}>으로 설정해 주세요."
