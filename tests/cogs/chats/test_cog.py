"""End to end: series, events, announcements, reminders, votes, notes (simcord)."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC
from typing import Any

import discord
import simcord

from bot.app import PalletsBot
from bot.devtools.testing import close_dms
from bot.devtools.testing import confirm_understood
from bot.devtools.testing import monthly_chat
from bot.devtools.testing import restart
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from bot.settings import Settings
from cogs.chats import _queries as q

HOUR = 3600
DAY = 24 * HOUR
# The clock starts on Thursday 2026-01-01 00:00 UTC. The second Thursday of January
# at 17:00 Paris (CET, UTC+1) is 2026-01-08 16:00 UTC; opened 7 days ahead, the
# event and announcement appear at 2026-01-01 16:00 UTC.
START = datetime(2026, 1, 8, 16, tzinfo=UTC)
TO_OPEN = 16 * HOUR + 60
TO_REMINDER_24 = 6 * DAY + 16 * HOUR + 60
TO_REMINDER_1 = 7 * DAY + 15 * HOUR + 60
TO_END = 7 * DAY + 17 * HOUR + 60


async def create_series(world: World, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "name": "Flask chat",
        "cadence": "monthly",
        "weekday": 3,  # Thursday
        "week": "2",
        "time": "17:00",
        "timezone": "Europe/Paris",
        "duration": 60,
        "channel": world.voice,
    }
    options.update(overrides)
    options = {k: v for k, v in options.items() if v is not None}
    shown = await world.organiser.slash(
        world.general, "chat-admin series-create", **options
    )
    return await confirm_understood(world.organiser, shown)


async def advance_to(env: simcord.Env, seconds_from_start: int) -> None:
    """Advance to ``seconds_from_start`` after 2026-01-01 00:00 UTC."""
    now = env.now()
    target = datetime(2026, 1, 1, tzinfo=UTC).timestamp() + seconds_from_start
    await env.advance_time(max(target - now.timestamp(), 0))
    await env.settle()


def events(env: simcord.Env, world: World) -> list[Any]:
    return list(env.backend.get_guild(world.guild.id).scheduled_events.values())


def posts(env: simcord.Env, path_suffix: str = "/scheduled-events") -> list[Any]:
    return [
        r
        for r in env.http_requests
        if r.method == "POST" and r.path.endswith(path_suffix)
    ]


def texts(channel: Any) -> list[str]:
    return [m.content for m in channel.history()]


def announcement(world: World) -> discord.Message:
    for message in world.announcements.history():
        if message.embeds:
            return message
    raise AssertionError("no announcement")


def topic_posts(world: World) -> list[discord.Message]:
    """The topics posted in the thread on the chat's announcement, oldest first."""
    [thread] = world.announcements.threads
    return [m for m in thread.history() if m.components]


def last_topic(world: World) -> discord.Message:
    return topic_posts(world)[-1]


async def series_admin(world: World, command: str, **options: Any) -> Any:
    """The organiser runs ``/chat-admin <command>`` for the "Flask chat" series."""
    return await world.organiser.slash(
        world.general, f"chat-admin {command}", series="Flask chat", **options
    )


def reply_text(result: Any) -> str:
    """The ephemeral answer to an interaction (after any message update): its text,
    and its embeds' for a list that pages."""
    for message in [result.response, *result.followups]:
        if message is not None and message.ephemeral:
            return "\n".join(
                [str(message.content), *(str(e.description) for e in message.embeds)]
            )
    raise AssertionError("no ephemeral reply")


async def db_of(env: simcord.Env) -> Any:
    return env.bot.db  # type: ignore[attr-defined]


# -- the life of one chat ---------------------------------------------------------------------
async def test_event_announcement_reminders_and_dms_appear_exactly_once(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    result = await create_series(world)
    assert "Created the series Flask chat" in reply_text(result)
    assert f"<t:{int(START.timestamp())}:F>" in reply_text(result)
    assert events(simcord_env, world) == []

    await advance_to(simcord_env, TO_OPEN)
    [event] = events(simcord_env, world)
    assert event.name == "Flask chat"
    assert event.channel_id == world.voice.id
    assert event.scheduled_start_time.startswith("2026-01-08T16:00")
    message = announcement(world)
    assert message.embeds[0].title == "Flask chat"
    assert f"<t:{int(START.timestamp())}:F>" in (message.embeds[0].description or "")

    for member in (world.alice, world.bob):
        clicked = await member.click(message, label="Interested")
        assert "remind you" in reply_text(clicked)
    assert "2 members interested" in (announcement(world).embeds[0].footer.text or "")

    # a restart between opening and the reminders changes nothing
    await restart(simcord_env, settings)
    await advance_to(simcord_env, TO_REMINDER_24)
    await restart(simcord_env, settings)
    await advance_to(simcord_env, TO_REMINDER_1)
    await restart(simcord_env, settings)
    await advance_to(simcord_env, TO_REMINDER_1 + 600)

    assert len(posts(simcord_env)) == 1
    announcements = [
        m for m in world.announcements.history() if m.embeds and m.components
    ]
    assert len(announcements) == 1
    reminders = [t for t in texts(world.announcements) if t.startswith("Reminder:")]
    assert len(reminders) == 2
    assert all("late" not in t for t in reminders)
    for member in (world.alice, world.bob):
        dms = [t for t in texts(member.user.dm_channel) if t.startswith("Reminder:")]
        assert len(dms) == 2
    assert world.carol.user.dm_channel.history() == []


async def test_at_the_end_the_event_completes_voting_closes_and_next_is_planned(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.slash(world.general, "chat propose", title="Async views")
    proposal_message = last_topic(world)

    await advance_to(simcord_env, TO_END)
    [event] = events(simcord_env, world)
    assert event.status == 3  # completed
    ended = announcement(world)
    assert (ended.embeds[0].title or "").startswith("Ended")
    feb = int(datetime(2026, 2, 12, 16, tzinfo=UTC).timestamp())
    assert f"Next chat: <t:{feb}:F>" in (ended.embeds[0].description or "")
    late_vote = await world.bob.click(proposal_message, label="Upvote (0)")
    assert "closed" in reply_text(late_vote)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    upcoming = await q.upcoming(db, series.id)
    assert upcoming is not None
    assert upcoming.start == datetime(2026, 2, 12, 16, tzinfo=UTC)


async def test_reminder_late_after_downtime_says_so_and_missed_one_is_not_sent(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.click(announcement(world), label="Interested")
    await advance_to(simcord_env, TO_REMINDER_24)
    # the bot is down from before the 1-hour reminder until 30 minutes before
    bot = simcord_env.bot
    await bot.stop_services()  # type: ignore[attr-defined]
    await advance_to(simcord_env, TO_REMINDER_1 + 30 * 60)
    await restart(simcord_env, settings)
    await simcord_env.settle()
    reminders = [t for t in texts(world.announcements) if "starts" in t]
    assert len(reminders) == 2
    assert "late" in reminders[-1]
    assert any("late" in t for t in texts(world.alice.user.dm_channel))


async def test_reminder_due_while_down_is_missed_once_the_chat_started(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_REMINDER_24)
    bot = simcord_env.bot
    await bot.stop_services()  # type: ignore[attr-defined]
    await advance_to(simcord_env, TO_REMINDER_1 + 2 * HOUR)  # chat running, 16:00+
    await restart(simcord_env, settings)
    reminders = [t for t in texts(world.announcements) if "starts" in t]
    assert len(reminders) == 1
    job = await simcord_env.bot.scheduler.get(  # type: ignore[attr-defined]
        next(
            r["key"]
            for r in await (await db_of(simcord_env)).fetchall(
                "SELECT key FROM jobs WHERE key LIKE '%remind:1'"
            )
        )
    )
    assert job is not None and job["state"] in ("missed", "done")


# -- organisers move things -----------------------------------------------------------------------
async def test_reschedule_moves_event_announcement_and_reminders(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    shown = await series_admin(world, "reschedule", date="2026-01-15", time="18:00")
    result = await confirm_understood(world.organiser, shown)
    new_start = datetime(2026, 1, 15, 17, tzinfo=UTC)
    assert "Moved the chat" in reply_text(result)
    [event] = events(simcord_env, world)
    assert event.scheduled_start_time.startswith("2026-01-15T17:00")
    assert f"<t:{int(new_start.timestamp())}:F>" in (
        announcement(world).embeds[0].description or ""
    )
    # the old reminder times pass without a reminder
    await advance_to(simcord_env, TO_REMINDER_1 + 3 * HOUR)
    assert not [t for t in texts(world.announcements) if "starts" in t]
    await advance_to(simcord_env, 14 * DAY + 16 * HOUR + 60)
    reminders = [t for t in texts(world.announcements) if "starts" in t]
    assert len(reminders) == 2
    assert all(f"<t:{int(new_start.timestamp())}:R>" in t for t in reminders)
    assert len(posts(simcord_env)) == 1


async def test_skip_cancels_the_event_and_plans_the_next_chat(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    result = await series_admin(world, "skip")
    assert "Skipped" in reply_text(result)
    [event] = events(simcord_env, world)
    assert event.status == 4  # cancelled
    assert (announcement(world).embeds[0].title or "").startswith("Skipped")
    feb = int(datetime(2026, 2, 12, 16, tzinfo=UTC).timestamp())
    assert f"Next chat: <t:{feb}:F>" in str(announcement(world).embeds[0].description)
    await advance_to(simcord_env, TO_END)
    assert not [t for t in texts(world.announcements) if "starts" in t]
    nxt = await world.alice.slash(world.general, "chat next")
    message = nxt.response
    assert message is not None
    assert f"<t:{feb}:F>" in str(message.embeds[0].fields[0].value)


async def test_pause_and_resume(simcord_env: simcord.Env, world: World) -> None:
    await create_series(world)
    paused = await series_admin(world, "series-pause")
    assert "paused" in reply_text(paused)
    await advance_to(simcord_env, TO_OPEN)
    assert events(simcord_env, world) == []
    resumed = await series_admin(world, "series-resume")
    assert "is back" in reply_text(resumed)
    await advance_to(simcord_env, TO_OPEN + 60)
    assert len(events(simcord_env, world)) == 1


async def test_delete_asks_for_confirmation(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    asked = await series_admin(world, "series-delete")
    assert asked.response is not None
    db = await db_of(simcord_env)
    assert len(await q.all_series(db, world.guild.id)) == 1
    done = await world.organiser.click(asked.response, label="Delete the series")
    assert done is not None
    assert await q.all_series(db, world.guild.id) == []
    [event] = events(simcord_env, world)
    assert event.status == 4
    await advance_to(simcord_env, TO_END)
    assert not [t for t in texts(world.announcements) if "starts" in t]


# -- members and topics ------------------------------------------------------------------------------
async def test_votes_from_several_members_are_counted_and_ranked(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.slash(world.general, "chat propose", title="Async views")
    first = last_topic(world)
    await world.bob.slash(
        world.general, "chat propose", title="Blueprints", details="How to split"
    )
    second = last_topic(world)
    await world.alice.click(second, label="Upvote (0)")
    await world.carol.click(second, label="Upvote (1)")
    await world.bob.click(first, label="Upvote (0)")
    toggled = await world.carol.click(last_topic(world), label="Upvote (2)")
    assert "withdrawn" in reply_text(toggled)
    await world.carol.click(last_topic(world), label="Upvote (1)")
    agenda = str(announcement(world).embeds[0].fields[0].value)
    assert agenda.index("Blueprints: 2 votes") < agenda.index("Async views: 1 vote")
    topics = await world.helper.slash(world.general, "chat topics")
    assert "Blueprints: 2 votes" in reply_text(topics)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None
    assert {p.title: p.votes for p in await q.proposals(db, occ.id)} == {
        "Async views": 1,
        "Blueprints": 2,
    }


async def test_propose_button_opens_a_form(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    shown = await world.alice.click(announcement(world), label="Propose a topic")
    assert shown.modal is not None
    done = await world.alice.submit_modal(shown, {"title": "Testing with pytest"})
    assert "proposed" in reply_text(done)
    assert "Testing with pytest" in str(announcement(world).embeds[0].fields[0].value)


def menus(message: Any) -> dict[str, dict[str, str]]:
    """The select menus under an answer: custom_id without its id -> {value: label}."""
    return {
        item["custom_id"].rsplit(":", 1)[0]: {
            option["value"]: option["label"] for option in item["options"]
        }
        for row in message.components
        for item in row["components"]
        if "options" in item
    }


def occ_id(message: Any) -> str:
    """The occurrence the menus under an answer act on."""
    [custom_id] = [
        item["custom_id"]
        for row in message.components
        for item in row["components"]
        if item.get("custom_id", "").startswith("pallets:chats:pin-pick:")
    ]
    return str(custom_id.rsplit(":", 1)[1])


async def test_topics_live_in_the_announcements_thread_not_in_the_channel(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    proposed = await world.alice.slash(
        world.general, "chat propose", title="Async views", details="In Flask 3"
    )
    await world.bob.click(announcement(world), label="Propose a topic")
    # no post of its own in the channel: only the announcement has buttons there
    assert [m.id for m in world.announcements.history() if m.components] == [
        announcement(world).id
    ]
    assert not [m for m in world.announcements.history() if "Topic" in m.content]
    [thread] = world.announcements.threads
    assert f"Members can upvote it in <#{thread.id}>" in reply_text(proposed)
    [post] = topic_posts(world)
    assert "**Async views**" in post.content and "In Flask 3" in post.content
    rows: list[Any] = post.components
    labels = [item.label for row in rows for item in row.children]
    assert labels == ["Upvote (0)"]  # nobody sees buttons they may not press
    agenda = str(announcement(world).embeds[0].fields[0].value)
    assert "1. Async views: 0 votes" in agenda
    assert f"Each topic is in <#{thread.id}>: vote there." in agenda
    await world.bob.click(post, label="Upvote (0)")
    assert "Async views: 1 vote" in str(announcement(world).embeds[0].fields[0].value)


async def test_topics_proposed_before_the_announcement_join_its_thread(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    early = await world.alice.slash(world.general, "chat propose", title="Early bird")
    assert "once the chat is announced" in reply_text(early)
    assert world.announcements.threads == []
    await advance_to(simcord_env, TO_OPEN)
    [post] = topic_posts(world)
    assert "**Early bird**" in post.content and f"<@{world.alice.id}>" in post.content
    assert "Early bird: 0 votes" in str(announcement(world).embeds[0].fields[0].value)
    await restart(simcord_env, settings)
    assert len(topic_posts(world)) == 1  # posted once


async def test_organisers_pin_and_remove_topics_from_the_list_members_cannot(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    for title in ("Popular", "Quiet", "Spam"):
        await world.alice.slash(world.general, "chat propose", title=title)
    popular, quiet, spam = topic_posts(world)
    await world.bob.click(popular, label="Upvote (0)")
    db = await db_of(simcord_env)
    ids = {
        p.title: str(p.id) for p in await q.proposals(db, (await occ_of(db, world)).id)
    }

    as_member = await world.alice.slash(world.general, "chat topics")
    assert as_member.response is not None and menus(as_member.response) == {}
    listed = await world.organiser.slash(world.general, "chat topics")
    page = listed.response
    assert page is not None and page.ephemeral
    assert set(menus(page)) == {"pallets:chats:pin-pick", "pallets:chats:remove-pick"}
    assert menus(page)["pallets:chats:pin-pick"] == {
        ids["Popular"]: "Popular",
        ids["Quiet"]: "Quiet",
        ids["Spam"]: "Spam",
    }
    await restart(simcord_env, settings)  # the menus outlive a restart
    pinned = await world.organiser.select(
        page, [ids["Quiet"]], custom_id=f"pallets:chats:pin-pick:{occ_id(page)}"
    )
    assert "Pinned 1 topic" in "\n".join(texts_of(pinned))
    removed = await world.organiser.select(
        page, [ids["Spam"]], custom_id=f"pallets:chats:remove-pick:{occ_id(page)}"
    )
    assert "Removed 1 topic" in "\n".join(texts_of(removed))
    agenda = str(announcement(world).embeds[0].fields[0].value)
    assert agenda.index("Quiet") < agenda.index("Popular")
    assert "Spam" not in agenda
    [spam_now] = [
        m for m in world.announcements.threads[0].history() if m.id == spam.id
    ]
    assert "removed by an organiser" in spam_now.content and not spam_now.components
    # the list the organiser holds was redrawn: Spam is gone from it and its menus
    assert "Spam" not in str(page.embeds[0].description)
    assert ids["Spam"] not in menus(page)["pallets:chats:remove-pick"]

    # a menu checks the role again when it is used
    await world.admin.slash(world.general, "setup roles", organiser=world.helper_role)
    refused = await world.organiser.select(
        page, [ids["Popular"]], custom_id=f"pallets:chats:remove-pick:{occ_id(page)}"
    )
    assert "organiser" in "\n".join(texts_of(refused))
    assert "Popular" in str(announcement(world).embeds[0].fields[0].value)
    fourth = await world.alice.slash(world.general, "chat propose", title="More")
    assert "proposed" in reply_text(fourth)
    fifth = await world.alice.slash(world.general, "chat propose", title="Too many")
    assert "3 topics per chat" in reply_text(fifth)


async def occ_of(db: Any, world: World) -> Any:
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None
    return occ


def texts_of(result: Any) -> list[str]:
    """Every ephemeral text of an interaction's answers."""
    return [
        str(m.content)
        for m in [result.response, *result.followups]
        if m is not None and m.content
    ]


async def test_notes_are_posted_as_a_thread_on_the_announcement(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    early = await series_admin(world, "notes")
    assert "has taken place" in reply_text(early)
    await advance_to(simcord_env, TO_END)
    shown = await series_admin(world, "notes")
    assert shown.modal is not None
    saved = await world.organiser.submit_modal(
        shown, {"summary": "We talked about async views."}
    )
    assert "Notes saved" in reply_text(saved)
    [thread] = world.announcements.threads
    assert any("async views" in t for t in texts(thread))
    history = await world.alice.slash(world.general, "chat history")
    assert f"<#{thread.id}>" in reply_text(history)


async def test_next_shows_each_series_with_interest(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await create_series(
        world,
        name="APAC chat",
        cadence="quarterly",
        timezone="Australia/Sydney",
        time="19:30",
        channel=None,
        url="https://meet.example.org/flask",
        week="last",
    )
    result = await world.bob.slash(world.general, "chat next")
    assert result.response is not None and result.ephemeral
    names = [f.name for f in result.response.embeds[0].fields]
    assert names == ["Flask chat", "APAC chat"] or set(names) == {
        "Flask chat",
        "APAC chat",
    }


async def test_external_event_has_location_and_end_time(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(
        world, channel=None, url="https://meet.example.org/flask", lead_days=8
    )
    await advance_to(simcord_env, TO_OPEN)
    [event] = events(simcord_env, world)
    assert event.entity_type == 3
    assert event.entity_metadata == {"location": "https://meet.example.org/flask"}
    assert event.scheduled_end_time.startswith("2026-01-08T17:00")


async def test_stage_series_creates_a_stage_event(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world, channel=world.stage)
    await advance_to(simcord_env, TO_OPEN)
    [event] = events(simcord_env, world)
    assert event.entity_type == 1


async def test_active_events_limit_is_respected(
    simcord_env: simcord.Env, world: World
) -> None:
    for n in range(100):
        world.guild.create_scheduled_event(
            f"other {n}", start_time="2026-06-01T10:00:00+00:00", channel=world.voice
        )
    await simcord_env.settle()
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    assert len(events(simcord_env, world)) == 100
    assert posts(simcord_env) == []
    assert any("limit" in t for t in texts(world.log))
    assert announcement(world).embeds[0].title == "Flask chat"


async def test_failed_dms_are_recorded_not_retried(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.click(announcement(world), label="Interested")
    dm = world.alice.user.dm_channel
    simcord_env.inject_error(
        "POST", f"/channels/{dm.id}/messages", status=403, code=50007, times=None
    )
    await advance_to(simcord_env, TO_REMINDER_24)
    db = await db_of(simcord_env)
    rows = await db.fetchall("SELECT state FROM outbox WHERE key LIKE '%:dm:%'")
    assert [r["state"] for r in rows] == ["failed"]
    assert len([t for t in texts(world.announcements) if "starts" in t]) == 1


async def test_closed_dms_are_mentioned_in_the_chat_thread_once(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world, reminders="24")
    await advance_to(simcord_env, TO_OPEN)
    close_dms(simcord_env, world.alice)
    for member in (world.alice, world.bob):
        await member.click(announcement(world), label="Interested")
    await advance_to(simcord_env, TO_REMINDER_24)
    await restart(simcord_env, settings)
    [thread] = world.announcements.threads
    [mention] = [t for t in texts(thread) if "<@" in t]
    assert mention.startswith(f"<@{world.alice.id}>\nReminder: Flask chat")
    assert f"<@{world.bob.id}>" not in mention
    assert len([t for t in texts(world.bob.user.dm_channel) if "Reminder" in t]) == 1
    # Alice is told why, once, in her next answer from the bot
    told = await world.alice.slash(world.general, "chat next")
    assert "DMs are closed" in reply_text(told)
    again = await world.alice.slash(world.general, "chat next")
    assert "DMs are closed" not in reply_text(again)


async def test_timezone_autocompletes_real_zone_names(
    simcord_env: simcord.Env, world: World
) -> None:
    choices = await world.organiser.autocomplete(
        world.general, "chat-admin series-create", "timezone", "paris"
    )
    assert [c["value"] for c in choices] == ["Europe/Paris"]


async def test_calendar_lists_upcoming_chats(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    entries = await bot.calendar_sources.collect(bot, world.guild.id)
    chats = [e for e in entries if e.summary == "Flask chat"]
    assert chats[0].start == START
    assert len(chats) >= 3
    assert len({e.uid for e in chats}) == len(chats)


# -- refusals -------------------------------------------------------------------------------------------
async def test_member_without_organiser_role_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    # /chat-admin is hidden from members; shown to everyone, the bot itself refuses
    show_to_everyone(world, "chat-admin")
    result = await world.alice.slash(
        world.general,
        "chat-admin series-create",
        **monthly_chat(world, name="Rogue"),
    )
    assert "organiser" in reply_text(result)
    db = await db_of(simcord_env)
    assert await q.all_series(db, world.guild.id) == []
    await create_series(world)
    for command in (
        "chat-admin skip",
        "chat-admin series-delete",
        "chat-admin series-pause",
    ):
        refused = await world.bob.slash(world.general, command, series="Flask chat")
        assert "organiser" in reply_text(refused)
    [series] = await q.all_series(db, world.guild.id)
    assert not series.paused
    assert (await q.upcoming(db, series.id)) is not None


async def test_bad_input_gets_a_clear_error_and_changes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"timezone": "Mars/Olympus"}, "Unknown timezone"),
        ({"weekday": 6, "week": "last", "time": "02:30"}, "does not exist"),
        (
            {
                "weekday": 6,
                "week": "1",
                "time": "01:30",
                "timezone": "America/New_York",
            },
            "happens twice",
        ),
        ({"week": "5"}, "1, 2, 3, 4 or last"),
        ({"duration": 0}, "12 hours"),
        ({"duration": 721}, "12 hours"),
        ({"time": "25:00"}, "not a time"),
        ({"url": "https://example.org"}, "not both"),
        ({"name": "@everyone chat"}, "@everyone"),
        ({"reminders": "24,1", "lead_days": 1}, "before the event opens"),
    ]
    for overrides, expected in cases:
        result = await create_series(world, **overrides)
        assert expected in reply_text(result), (overrides, reply_text(result))
    db = await db_of(simcord_env)
    assert await q.all_series(db, world.guild.id) == []

    await create_series(world)
    clash = await create_series(world, name="flask CHAT")
    assert "already exists" in reply_text(clash)
    past = await series_admin(world, "reschedule", date="2025-12-01")
    assert "already passed" in reply_text(past)
    mention = await world.alice.slash(
        world.general, "chat propose", title="hey @everyone"
    )
    assert "@everyone" in reply_text(mention)
    long = await world.alice.slash(world.general, "chat propose", title="x" * 101)
    assert "limit is 100" in reply_text(long)
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None and occ.start == START
    assert await q.proposals(db, occ.id) == []


async def test_public_posts_never_ping(simcord_env: simcord.Env, world: World) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.slash(world.general, "chat propose", title="Hello")
    await advance_to(simcord_env, TO_REMINDER_24)
    for entry in simcord_env.http_requests:
        if entry.method == "POST" and entry.path.endswith("/messages"):
            mentions = (entry.json or {}).get("allowed_mentions")
            assert mentions is not None
            assert not mentions.get("parse")


async def test_playground_tour_runs(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    from bot.devtools.playground import Tour
    from cogs.chats import _tour

    lines: list[str] = []
    await _tour.tour(Tour(world, settings, lines.append))
    transcript = "\n".join(lines)
    assert "bot creates the Discord event 'Flask chat'" in transcript
    assert "Reminder: Flask chat" in transcript
    assert "Notes saved" in transcript
    assert "/chat-admin" in transcript and "alice does not see it." in transcript
    assert "does not exist" in transcript


async def test_buttons_keep_working_after_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    await world.alice.slash(world.general, "chat propose", title="Async views")
    proposal_message = last_topic(world)
    await restart(simcord_env, settings)
    voted = await world.bob.click(proposal_message, label="Upvote (0)")
    assert "counts" in reply_text(voted)
    interested = await world.carol.click(announcement(world), label="Interested")
    assert "remind you" in reply_text(interested)
    footer = announcement(world).embeds[0].footer.text or ""
    assert "1 member interested" in footer
    assert "Async views: 1 vote" in str(announcement(world).embeds[0].fields[0].value)


async def test_edit_moves_the_planned_chat_to_the_new_time(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    nothing = await series_admin(world, "series-edit")
    assert "Nothing to change" in reply_text(nothing)
    bad = await series_admin(world, "series-edit", timezone="Nowhere/x")
    assert "Unknown timezone" in reply_text(bad)
    shown = await series_admin(
        world, "series-edit", time="18:30", timezone="America/New_York"
    )
    edited = await confirm_understood(world.organiser, shown)
    assert "Saved the series" in reply_text(edited)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    assert (series.local_time, series.timezone) == ("18:30", "America/New_York")
    occ = await q.upcoming(db, series.id)
    assert occ is not None
    # 18:30 EST (UTC-5) on Thursday 2026-01-08
    assert occ.start == datetime(2026, 1, 8, 23, 30, tzinfo=UTC)
    await advance_to(simcord_env, TO_OPEN)
    assert events(simcord_env, world) == []  # opens 7 days before the new time
    await advance_to(simcord_env, 23 * HOUR + 31 * 60)
    [event] = events(simcord_env, world)
    assert event.scheduled_start_time.startswith("2026-01-08T23:30")


async def test_deleted_voice_channel_is_reported_and_the_chat_still_announced(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    simcord_env.backend.delete_channel(world.voice.id)
    await simcord_env.settle()
    await advance_to(simcord_env, TO_OPEN)
    assert events(simcord_env, world) == []
    assert any("channel was deleted" in t for t in texts(world.log))
    assert announcement(world).embeds[0].title == "Flask chat"


async def test_event_created_before_a_crash_is_adopted_not_doubled(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None
    guild = simcord_env.bot.get_guild(world.guild.id)
    assert guild is not None
    # the bot created the event, then "crashed" before recording its id
    await guild.create_scheduled_event(
        name="Flask chat",
        start_time=occ.start,
        end_time=occ.end,
        entity_type=discord.EntityType.voice,
        channel=discord.Object(id=world.voice.id),
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    await simcord_env.settle()
    await advance_to(simcord_env, TO_OPEN)
    assert len(events(simcord_env, world)) == 1
    fresh = await q.occurrence(db, occ.id)
    assert fresh is not None and fresh.event_id == events(simcord_env, world)[0].id


# -- lists that page ---------------------------------------------------------------------
def shown(result: Any, before: Any) -> str:
    """What the member sees of a paged list after a click (it is edited in place)."""
    message = result.response or before
    return (
        str(message.embeds[0].description) + "\n" + str(message.embeds[0].footer.text)
    )


async def test_history_pages_forward_and_back_and_across_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    # Seventeen chats took place in 2025, one a week (more than a page of 15).
    first = int(datetime(2025, 8, 7, 16, tzinfo=UTC).timestamp())
    for week in range(17):
        slot = first + week * 7 * DAY
        occ = await q.place_occurrence(db, series, slot, slot + HOUR)
        await q.set_status(db, occ.id, "done")
    listed = await world.alice.slash(world.general, "chat history")
    page = listed.response
    assert page is not None and page.ephemeral
    assert "Page 1 of 2" in shown(listed, page)
    newest, oldest = f"<t:{first + 16 * 7 * DAY}:D>", f"<t:{first}:D>"
    assert newest in shown(listed, page) and oldest not in shown(listed, page)
    turned = await world.alice.click(page, label="Next")
    assert "Page 2 of 2" in shown(turned, page) and oldest in shown(turned, page)
    page = turned.response or page
    back = await world.alice.click(page, label="Previous")
    assert "Page 1 of 2" in shown(back, page) and newest in shown(back, page)
    page = back.response or page
    await restart(simcord_env, settings)
    again = await world.alice.click(page, label="Next")
    assert "Page 2 of 2" in shown(again, page) and oldest in shown(again, page)


async def test_topics_page_forward_and_back_and_across_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    for member in (world.alice, world.bob, world.carol, world.helper):
        for n in range(3):
            await member.slash(
                world.general, "chat propose", title=f"{member.name} topic {n}"
            )
    listed = await world.carol.slash(world.general, "chat topics")
    page = listed.response
    assert page is not None and page.ephemeral
    assert "Page 1 of 2" in shown(listed, page)
    assert "1. " in shown(listed, page) and "11. " not in shown(listed, page)
    turned = await world.carol.click(page, label="Next")
    assert "Page 2 of 2" in shown(turned, page)
    assert "11. " in shown(turned, page) and "12. " in shown(turned, page)
    page = turned.response or page
    back = await world.carol.click(page, label="Previous")
    assert "Page 1 of 2" in shown(back, page) and "10. " in shown(back, page)
    page = back.response or page
    await restart(simcord_env, settings)
    again = await world.carol.click(page, label="Next")
    assert "Page 2 of 2" in shown(again, page) and "12. " in shown(again, page)


# -- weekly and fortnightly series --------------------------------------------------------------
async def test_fortnightly_series_meets_every_other_week_at_local_time(
    simcord_env: simcord.Env, world: World
) -> None:
    # Tuesdays at 18:30 Paris, every other week, from the first Tuesday (6 January);
    # announced 2 days ahead, with no reminders at all.
    result = await create_series(
        world,
        name="Werkzeug hour",
        cadence="fortnightly",
        weekday=1,
        week=None,
        time="18:30",
        lead_days=2,
        reminders="none",
    )
    assert "every two weeks, on Tuesday, at 18:30 Europe/Paris" in reply_text(result)
    first = datetime(2026, 1, 6, 17, 30, tzinfo=UTC)
    assert f"<t:{int(first.timestamp())}:F>" in reply_text(result)
    await advance_to(simcord_env, 5 * DAY + 19 * HOUR)  # 6 Jan 19:00 UTC: over
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    assert series.week is None and series.anchor is not None
    following = await q.upcoming(db, series.id)
    assert following is not None
    assert following.start == datetime(2026, 1, 20, 17, 30, tzinfo=UTC)
    [event] = events(simcord_env, world)
    assert event.scheduled_start_time.startswith("2026-01-06T17:30")
    assert not [t for t in texts(world.announcements) if "starts" in t]


async def test_weekly_series_and_a_monthly_one_without_its_week(
    simcord_env: simcord.Env, world: World
) -> None:
    weekly = await create_series(
        world, name="Office hours", cadence="weekly", weekday=4, week=None
    )
    assert "every week, on Friday, at 17:00" in reply_text(weekly)
    refused = await create_series(world, name="Monthly", week=None)
    assert "which week of the month" in reply_text(refused)
    db = await db_of(simcord_env)
    assert [s.name for s in await q.all_series(db, world.guild.id)] == ["Office hours"]
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None and occ.start == datetime(2026, 1, 2, 16, tzinfo=UTC)
    simcord_env.check_errors = False  # the refusal above is the point


async def test_edit_reminders_to_none_and_back(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    edited = await series_admin(world, "series-edit", reminders="none")
    assert "Saved" in reply_text(edited)
    await advance_to(simcord_env, TO_REMINDER_1 + 600)
    assert not [t for t in texts(world.announcements) if "starts" in t]
    bad = await series_admin(world, "series-edit", reminders="90m")
    assert "whole hours" in reply_text(bad)
    simcord_env.check_errors = False


# -- Discord's own Interested ----------------------------------------------------------------------
async def test_discords_interested_is_the_same_list_as_the_button(
    simcord_env: simcord.Env, world: World
) -> None:
    """simcord delivers GUILD_SCHEDULED_EVENT_USER_ADD/REMOVE as Discord does when a
    member marks Interested; the bot has no members intent, so the member is not in
    discord.py's cache (its own user_add event would be dropped) and still counts."""
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    [event] = events(simcord_env, world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert bot.get_user(world.alice.id) is None  # not cached: no members intent
    await world.alice.subscribe_event(event.id)
    await world.bob.click(announcement(world), label="Interested")
    assert "2 members interested" in (announcement(world).embeds[0].footer.text or "")
    db = await db_of(simcord_env)
    [occ] = await q.upcoming_in_guild(db, world.guild.id)
    assert sorted(await q.interested(db, occ.id)) == sorted(
        [world.alice.id, world.bob.id]
    )
    # The button cannot take away what Discord says: un-mark it there.
    refused = await world.alice.click(announcement(world), label="Interested")
    assert "un-mark it there" in reply_text(refused)
    assert len(await q.interested(db, occ.id)) == 2
    await world.alice.unsubscribe_event(event.id)
    assert await q.interested(db, occ.id) == [world.bob.id]
    assert "1 member interested" in (announcement(world).embeds[0].footer.text or "")
    # Marked again, she gets the reminder DM like anyone interested.
    await world.alice.subscribe_event(event.id)
    await advance_to(simcord_env, TO_REMINDER_24)
    dms = [t for t in texts(world.alice.user.dm_channel) if t.startswith("Reminder:")]
    assert len(dms) == 1
    simcord_env.check_errors = False  # the refusal above is the point


# -- dates typed naturally, confirmed before anything moves ---------------------------------
async def test_reschedule_reads_a_typed_date_and_moves_only_once_confirmed(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    # Thursday 2026-01-01: "fri 18:00" is Friday 2026-01-02, 18:00 Paris (17:00 UTC).
    shown = await series_admin(world, "reschedule", date="fri 18:00")
    friday = int(datetime(2026, 1, 2, 17, tzinfo=UTC).timestamp())
    understood = reply_text(shown)
    assert f"<t:{friday}:F> (<t:{friday}:R>)" in understood
    assert "typed in Europe/Paris" in understood
    occ = await q.upcoming(db, series.id)
    assert occ is not None and occ.start == START  # nothing moved yet

    # Edit: the form holds what was typed; a date alone keeps the usual time (17:00).
    assert shown.response is not None
    form = await world.organiser.click(shown.response, label="Edit")
    assert form.modal is not None and "fri 18:00" in str(form.modal)
    edited = await world.organiser.submit_modal(form, {"when": "2026-01-15"})
    assert edited.response is not None and edited.response.id == shown.response.id
    thursday = int(datetime(2026, 1, 15, 16, tzinfo=UTC).timestamp())
    assert f"<t:{thursday}:F>" in reply_text(edited)

    moved = await world.organiser.click(edited.response, label="Confirm")
    assert "Moved the chat" in reply_text(moved)
    occ = await q.upcoming(db, series.id)
    assert occ is not None and occ.start == datetime(2026, 1, 15, 16, tzinfo=UTC)


async def test_a_bad_date_is_blamed_on_the_date_and_a_dst_gap_says_so(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    cases = [
        ({"date": "2026-02-30"}, "2026-02-30 is not a date in the calendar"),
        ({"date": "2026-03-05", "time": "25:00"}, "25:00 is not a time of day"),
        ({"date": "someday"}, "could not read “someday"),
        ({"date": "2026-03-29", "time": "02:30"}, "02:30 does not exist on 2026-03-29"),
        ({"date": "2026-10-25", "time": "02:30"}, "02:30 happens twice on 2026-10-25"),
    ]
    for options, expected in cases:
        result = await series_admin(world, "reschedule", **options)
        assert expected in reply_text(result), (options, reply_text(result))
    db = await db_of(simcord_env)
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert occ is not None and occ.start == START
    simcord_env.check_errors = False  # refusals, reported as designed


async def test_a_new_series_shows_its_first_chat_and_is_made_only_once_confirmed(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await world.organiser.slash(
        world.general, "chat-admin series-create", **monthly_chat(world)
    )
    start = int(START.timestamp())
    assert f"**First chat**: <t:{start}:F> (<t:{start}:R>)" in reply_text(shown)
    db = await db_of(simcord_env)
    assert await q.all_series(db, world.guild.id) == []
    assert shown.response is not None
    form = await world.organiser.click(shown.response, label="Edit")
    edited = await world.organiser.submit_modal(form, {"when": "18:30"})
    later = int(datetime(2026, 1, 8, 17, 30, tzinfo=UTC).timestamp())
    assert f"<t:{later}:F>" in reply_text(edited)
    assert edited.response is not None
    created = await world.organiser.click(edited.response, label="Confirm")
    assert "Created the series Flask chat" in reply_text(created)
    [series] = await q.all_series(db, world.guild.id)
    assert series.local_time == "18:30"


async def test_a_new_time_for_a_series_shows_the_next_chat_before_it_is_saved(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_series(world)
    db = await db_of(simcord_env)
    shown = await series_admin(world, "series-edit", time="18:00")
    next_chat = int(datetime(2026, 1, 8, 17, tzinfo=UTC).timestamp())
    assert f"**Next chat**: <t:{next_chat}:F>" in reply_text(shown)
    [series] = await q.all_series(db, world.guild.id)
    assert series.local_time == "17:00"  # nothing saved yet
    assert shown.response is not None
    saved = await world.organiser.click(shown.response, label="Confirm")
    assert "Saved the series Flask chat" in reply_text(saved)
    [series] = await q.all_series(db, world.guild.id)
    occ = await q.upcoming(db, series.id)
    assert series.local_time == "18:00"
    assert occ is not None and occ.start == datetime(2026, 1, 8, 17, tzinfo=UTC)

    # Once announced, a chat keeps its time: the new one starts with the following.
    await advance_to(simcord_env, TO_OPEN + HOUR)  # opened at 17:00 UTC, 7 days ahead
    again = await series_admin(world, "series-edit", time="19:00")
    february = int(datetime(2026, 2, 12, 18, tzinfo=UTC).timestamp())
    assert f"**Next chat**: <t:{february}:F>" in reply_text(again)
    assert again.response is not None
    kept = await world.organiser.click(again.response, label="Confirm")
    assert "keeps its time" in reply_text(kept)


async def test_series_list_pages_and_its_pages_check_the_role_again(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    for n in range(11):
        await create_series(world, name=f"Chat {n:02d}")
    listed = await world.organiser.slash(world.general, "chat-admin series-list")
    assert listed.response is not None
    [first] = listed.response.embeds
    assert first.title == "11 chat series"
    assert first.footer.text == "Page 1 of 2"
    assert "Chat 00" in str(first.description) and "Chat 10" not in str(
        first.description
    )
    await restart(simcord_env, settings)
    turned = await world.organiser.click(listed.response, label="Next")
    assert "Chat 10" in reply_text(turned)
    await world.admin.slash(world.general, "setup roles", organiser=world.helper_role)
    refused = await world.organiser.click(listed.response, label="Previous")
    assert "organiser" in reply_text(refused)


async def test_chat_admin_is_hidden_from_members_until_the_server_grants_it(
    simcord_env: simcord.Env, world: World
) -> None:
    def sees(member: Any) -> set[str]:
        return set(member.available_commands(world.general))

    admin = simcord_env.backend.commands[None][("chat-admin", 1)]
    # as Discord ships it: only members who can manage the server see /chat-admin
    world.guild.set_command_permissions(int(admin["id"]), {})
    assert not {c for c in sees(world.alice) if c.startswith("chat-admin")}
    assert not {c for c in sees(world.organiser) if c.startswith("chat-admin")}
    assert {"chat next", "chat propose", "chat topics", "chat history"} <= sees(
        world.alice
    )
    assert "chat-admin series-create" in sees(world.admin)
    # organisers are a role: the admin shows the group to it in Integrations
    world.guild.set_command_permissions(int(admin["id"]), {world.organiser_role: True})
    assert "chat-admin series-create" in sees(world.organiser)
    assert not {c for c in sees(world.alice) if c.startswith("chat-admin")}
