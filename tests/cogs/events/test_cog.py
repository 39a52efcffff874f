from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from typing import Any

import discord
import icalendar
import pytest
import simcord

from bot import PalletsBot
from bot.devtools import testing
from bot.devtools.testing import member_locale
from bot.devtools.testing import open_event_form
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from bot.errors import UserError
from bot.refusals import Refused
from bot.settings import Settings
from cogs.events import _engine as engine_module
from cogs.events import _logic
from cogs.events._engine import remind_dm_key

FORM = {
    "title": "Flask sprint",
    "description": "Hack on Flask. Step-free venue (accessibility). Contact: olivia",
    "start": "2026-01-10 18:00",
    "end": "2026-01-10 21:00",
    "location": "Lyon, La Cordée",
}


async def publish_event(
    env: simcord.Env, world: World, **changes: str
) -> tuple[int, Any]:
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, {**FORM, **changes})
    assert preview.response is not None, preview
    published = await world.organiser.click(msg(preview), label="Publish")
    await env.settle()
    message = world.events.last_message
    assert message is not None, published
    footer = message.embeds[0].footer.text
    assert footer is not None
    return int(footer.split()[-1]), message


def dms(world: World, member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


async def test_publish_announces_with_rsvp_and_discord_event(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    labels = [
        c["label"] for row in message.components for c in row.to_dict()["components"]
    ]
    assert labels == ["Going (0)", "Maybe (0)", "Not going (0)"]
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    events = guild.scheduled_events
    assert len(events) == 1 and events[0].location == "Lyon, La Cordée"


def expect_refusals(env: simcord.Env) -> None:
    """Refusals (UserErrors and Refused) the bot reported to the member; accept only those.

    simcord records every error reaching a handler, refusals included, and the
    shared fixture re-raises them all; call this at the end of a test.
    """
    errors = env.errors
    assert all(isinstance(_unwrap(e), UserError | Refused) for e in errors), errors
    env.check_errors = False


def _unwrap(error: BaseException) -> BaseException:
    return getattr(error, "original", None) or error


def text(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.content)


def msg(result: Any) -> Any:
    assert result.response is not None, result
    return result.response


def posted(world: World) -> discord.Message | None:
    return world.events.last_message


def labels(message: Any) -> list[str]:
    return [
        str(child["label"])
        for row in message.components
        for child in (row if isinstance(row, dict) else row.to_dict())["components"]
    ]


async def event_count(env: simcord.Env) -> int:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return int(await bot.db.fetchval("SELECT count(*) FROM events"))


def fresh(world: World, message: Any) -> Any:
    for candidate in world.events.history():
        if candidate.id == message.id:
            return candidate
    raise AssertionError("announcement gone")


async def test_a_member_may_create_but_not_publish_without_an_organiser(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.alice.slash(
        world.general, "event create", kind="meetup", timezone="UTC"
    )
    # Members write events too: the code of conduct comes first, nothing is saved.
    assert result.modal is None and result.ephemeral
    assert "I accept the code of conduct" in labels(msg(result))
    assert await event_count(simcord_env) == 0
    expect_refusals(simcord_env)


async def test_code_of_conduct_is_required_then_recorded_per_version(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris"
    )
    assert first.modal is None
    assert "code of conduct" in text(first)
    assert "Read the full policy" in labels(first.response)
    opened = await world.organiser.click(
        msg(first), label="I accept the code of conduct"
    )
    assert opened.modal is not None
    again = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris"
    )
    assert again.modal is not None  # accepted once, not asked again
    preview = await submit_event_form(world.organiser, again, FORM)
    assert "Quality checklist" in text(preview)

    # The code of conduct changes before the draft is published: asked again.
    newer = replace(_logic.load_code_of_conduct(), version="2099-01")
    monkeypatch.setattr(engine_module, "load_code_of_conduct", lambda: newer)
    blocked = await world.organiser.click(msg(preview), label="Publish")
    assert "2099-01" in text(blocked)
    assert posted(world) is None
    accepted = await world.organiser.click(
        msg(blocked), label="I accept the code of conduct"
    )
    await simcord_env.settle()
    assert posted(world) is not None, accepted
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    rows = await bot.db.fetchall(
        "SELECT version FROM event_coc_acceptances WHERE user_id = ? ORDER BY version",
        (world.organiser.id,),
    )
    assert [row["version"] for row in rows] == ["2026-01", "2099-01"]


async def test_bad_event_input_is_refused_and_changes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    bad_zone = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="Mars/Olympus"
    )
    assert bad_zone.modal is None and "Unknown timezone" in text(bad_zone)
    cases = [
        ({"end": "2026-01-10 17:00"}, "end after it starts"),
        ({"start": "2025-12-30 18:00"}, "in the past"),
        ({"start": "2026-03-29 02:30", "end": "2026-03-29 05:00"}, "does not exist"),
        ({"start": "2026-10-25 02:30", "end": "2026-10-25 05:00"}, "happens twice"),
        ({"start": "tomorrow"}, "Add a time to “tomorrow”"),
        ({"start": "someday 18:00"}, "could not read “someday 18:00”"),
        ({"start": "2026-02-30 18:00"}, "2026-02-30 is not a date"),
        ({"start": "2026-03-05 25:00"}, "25:00 is not a time of day"),
        ({"title": "   "}, "needs a title"),
        ({"description": "Come along @everyone"}, "@everyone"),
    ]
    for changes, expected in cases:
        shown = await open_event_form(world)
        result = await submit_event_form(world.organiser, shown, {**FORM, **changes})
        assert result.ephemeral
        assert expected in text(result), (changes, text(result))
    assert await event_count(simcord_env) == 0
    expect_refusals(simcord_env)


async def test_rsvps_from_several_members_keep_counts_current(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    going = await world.alice.click(message, label="Going (0)")
    assert going.ephemeral and "going" in text(going)
    await world.bob.click(fresh(world, message), label="Going (1)")
    await world.carol.click(fresh(world, message), label="Maybe (0)")
    # Bob changes his mind: one state per member.
    await world.bob.click(fresh(world, message), label="Not going (0)")
    await simcord_env.settle()
    assert labels(fresh(world, message)) == ["Going (1)", "Maybe (1)", "Not going (1)"]
    info = await world.bob.slash(world.general, "event info", event=event_id)
    assert "Not going" in text(info)


async def test_rsvp_on_cancelled_event_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    await world.alice.click(message, label="Going (0)")
    # Discord refuses the edit, so the announcement keeps its buttons.
    simcord_env.inject_error("PATCH", "/channels/*/messages/*", status=403, code=50001)
    await world.organiser.slash(world.general, "event cancel", event=event_id)
    await simcord_env.settle()
    late = await world.bob.click(fresh(world, message), label="Going (1)")
    assert late.ephemeral and "cancelled" in text(late)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert await bot.db.fetchval("SELECT count(*) FROM event_rsvps") == 1
    expect_refusals(simcord_env)


async def test_reminders_fire_once_across_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    # Starts 2026-01-03 17:00 UTC: the DM is due at +41 h, the channel post at +64 h.
    event_id, message = await publish_event(
        simcord_env, world, start="2026-01-03 18:00", end="2026-01-03 20:00"
    )
    await world.alice.click(message, label="Going (0)")
    await world.bob.click(fresh(world, message), label="Going (1)")
    opted = await world.bob.slash(world.general, "event reminders")
    assert "no longer" in text(opted)
    await simcord_env.advance_time(41 * 3600 + 60)
    await simcord_env.settle()
    assert len(dms(world, world.alice)) == 1
    assert "Reminder" in dms(world, world.alice)[0]
    assert dms(world, world.bob) == []
    await testing.restart(simcord_env, settings)
    await simcord_env.advance_time(23 * 3600)
    await simcord_env.settle()
    posts = [m for m in world.events.history() if m.content.startswith("Starting")]
    assert len(posts) == 1
    await testing.restart(simcord_env, settings)
    await simcord_env.advance_time(2 * 3600)
    await simcord_env.settle()
    posts = [m for m in world.events.history() if m.content.startswith("Starting")]
    assert len(posts) == 1
    assert len(dms(world, world.alice)) == 1


async def test_closed_dms_get_one_mention_under_the_announcement(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    event_id, message = await publish_event(
        simcord_env, world, start="2026-01-03 18:00", end="2026-01-03 20:00"
    )
    testing.close_dms(simcord_env, world.alice)
    testing.close_dms(simcord_env, world.bob)
    for going, member in enumerate((world.alice, world.bob, world.carol)):
        await member.click(fresh(world, message), label=f"Going ({going})")
    await simcord_env.advance_time(41 * 3600 + 60)
    await simcord_env.settle()
    await testing.restart(simcord_env, settings)
    assert len(dms(world, world.carol)) == 1
    mentions = [m for m in world.events.history() if "<@" in m.content]
    assert len(mentions) == 1
    assert f"<@{world.alice.id}> <@{world.bob.id}>" in mentions[0].content
    assert "Reminder" in mentions[0].content
    assert f"<@{world.carol.id}>" not in mentions[0].content
    told = await world.alice.slash(world.general, "event list")
    assert "DMs are closed" in text(told)


async def test_edit_time_tells_going_members_once_and_moves_everything(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    await world.alice.click(message, label="Going (0)")
    await world.carol.click(fresh(world, message), label="Maybe (0)")
    shown = await world.organiser.slash(world.general, "event edit", event=event_id)
    assert shown.modal is not None
    edited = await submit_event_form(
        world.organiser,
        shown,
        {**FORM, "start": "2026-01-11 18:00", "end": "2026-01-11 21:00"},
    )
    assert "updated" in text(edited)
    await simcord_env.advance_time(5)
    await simcord_env.settle()
    assert (
        len(dms(world, world.alice)) == 1 and "new time" in dms(world, world.alice)[0]
    )
    assert dms(world, world.carol) == []
    new_time = datetime(2026, 1, 11, 17, tzinfo=UTC)
    new_start = int(new_time.timestamp())
    assert f"<t:{new_start}:F>" in fresh(world, message).embeds[0].fields[1].value
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert len(guild.scheduled_events) == 1
    assert guild.scheduled_events[0].start_time == datetime(2026, 1, 11, 17, tzinfo=UTC)
    jobs = await bot.db.fetchall(
        "SELECT key, state FROM jobs WHERE key LIKE 'events:remind%' ORDER BY key"
    )
    states = {row["key"]: row["state"] for row in jobs}
    assert states[remind_dm_key(event_id, new_time)] == "pending"
    old_time = new_time - timedelta(days=1)
    assert states[remind_dm_key(event_id, old_time)] == "cancelled"
    # A title-only edit tells nobody; a restart repeats nothing.
    shown = await world.organiser.slash(world.general, "event edit", event=event_id)
    await submit_event_form(
        world.organiser,
        shown,
        {
            **FORM,
            "title": "Flask sprint (room 2)",
            "start": "2026-01-11 18:00",
            "end": "2026-01-11 21:00",
        },
    )
    await testing.restart(simcord_env, settings)
    await simcord_env.advance_time(60)
    await simcord_env.settle()
    assert len(dms(world, world.alice)) == 1


async def test_cancel_tells_going_members_once(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    await world.alice.click(message, label="Going (0)")
    stranger = await world.bob.slash(world.general, "event cancel", event=event_id)
    assert stranger.ephemeral and "organiser" in text(stranger)
    result = await world.organiser.slash(world.general, "event cancel", event=event_id)
    assert "cancelled" in text(result)
    await simcord_env.advance_time(5)
    await simcord_env.settle()
    assert (
        len(dms(world, world.alice)) == 1 and "cancelled" in dms(world, world.alice)[0]
    )
    again = await world.organiser.slash(world.general, "event cancel", event=event_id)
    assert "already cancelled" in text(again)
    announcement = fresh(world, message)
    assert str(announcement.embeds[0].title).startswith("Cancelled")
    assert labels(announcement) == []
    await testing.restart(simcord_env, settings)
    await simcord_env.advance_time(60)
    await simcord_env.settle()
    assert len(dms(world, world.alice)) == 1
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    pending = await bot.db.fetchval(
        "SELECT count(*) FROM jobs WHERE key LIKE 'events:remind%' AND state = 'pending'"
    )
    assert pending == 0
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert all(
        e.status is discord.EventStatus.cancelled for e in guild.scheduled_events
    )
    expect_refusals(simcord_env)


def ics_events(env: simcord.Env, result: Any) -> list[icalendar.Event]:
    assert result.response is not None
    [attachment] = result.response.attachments
    assert attachment.filename == "events.ics"
    data = env.backend.cdn.get(attachment.url)
    assert data is not None
    calendar = icalendar.Calendar.from_ical(data)
    return [c for c in calendar.walk("VEVENT") if isinstance(c, icalendar.Event)]


async def test_calendar_parses_and_keeps_uids_across_edits(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, _message = await publish_event(simcord_env, world)
    before = ics_events(
        simcord_env, await world.alice.slash(world.general, "event calendar")
    )
    assert len(before) == 1
    uid = str(before[0]["UID"])
    assert uid.startswith(f"event-{event_id}-")
    assert before[0].decoded("DTSTART") == datetime(2026, 1, 10, 17, tzinfo=UTC)
    shown = await world.organiser.slash(world.general, "event edit", event=event_id)
    await submit_event_form(
        world.organiser,
        shown,
        {**FORM, "start": "2026-01-12 18:00", "end": "2026-01-12 21:00"},
    )
    after = ics_events(
        simcord_env, await world.alice.slash(world.general, "event calendar")
    )
    assert str(after[0]["UID"]) == uid
    assert after[0].decoded("SEQUENCE") > before[0].decoded("SEQUENCE")
    assert after[0].decoded("DTSTART") == datetime(2026, 1, 12, 17, tzinfo=UTC)


async def test_list_and_info_show_discord_timestamps(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, _message = await publish_event(simcord_env, world)
    listed = await world.alice.slash(world.general, "event list")
    assert listed.response is not None
    description = str(listed.response.embeds[0].description)
    start = int(datetime(2026, 1, 10, 17, tzinfo=UTC).timestamp())
    assert f"<t:{start}:f>" in description and "Flask sprint" in description
    info = await world.alice.slash(world.general, "event info", event=event_id)
    assert info.response is not None and info.response.embeds[0].title == "Flask sprint"


async def test_list_pages_with_buttons(simcord_env: simcord.Env, world: World) -> None:
    for day in range(10, 16):
        await publish_event(
            simcord_env,
            world,
            title=f"Meetup {day}",
            start=f"2026-01-{day} 18:00",
            end=f"2026-01-{day} 20:00",
        )
    first = await world.alice.slash(world.general, "event list")
    page = msg(first)
    assert "Page 1 of 2" in str(page.embeds[0].footer.text)
    assert "Meetup 10" in str(page.embeds[0].description)
    second = await world.alice.click(page, label="Next")
    await simcord_env.settle()
    shown = second.response or msg(first)
    assert "Page 2 of 2" in str(shown.embeds[0].footer.text)
    assert "Meetup 15" in str(shown.embeds[0].description)


async def test_publish_interrupted_by_a_crash_finishes_once_after_restart(
    simcord_env: simcord.Env,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, FORM)

    async def crash(*args: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(engine_module.EventEngine, "bring_up_to_date", crash)
    await world.organiser.click(msg(preview), label="Publish")
    await simcord_env.settle()
    assert posted(world) is None
    monkeypatch.undo()
    await testing.restart(simcord_env, settings)
    await testing.restart(simcord_env, settings)
    announcements = [m for m in world.events.history() if m.embeds]
    assert len(announcements) == 1
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and len(guild.scheduled_events) == 1
    # The crash was an unexpected error on purpose; nothing else went wrong.
    errors = simcord_env.errors
    assert all(
        isinstance(_unwrap(e), UserError | Refused) or "power cut" in str(e)
        for e in errors
    )
    simcord_env.check_errors = False


async def test_public_text_never_pings(simcord_env: simcord.Env, world: World) -> None:
    start = len(simcord_env.http_requests)
    event_id, message = await publish_event(
        simcord_env,
        world,
        start="2026-01-02 18:00",
        end="2026-01-02 19:00",
        description=f"Contact {world.organiser.mention}. Step-free.",
    )
    await world.alice.click(message, label="Going (0)")
    await simcord_env.advance_time(2 * 24 * 3600)
    await simcord_env.settle()
    sends = [
        r
        for r in simcord_env.http_requests[start:]
        if r.method in {"POST", "PATCH"}
        and "/messages" in r.path
        and isinstance(r.json, dict)
    ]
    assert len(sends) >= 3  # announcement, reminder DM, channel reminder
    for request in sends:
        body = request.json
        assert isinstance(body, dict)
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions.get("parse") == [], request


async def test_discord_event_failure_still_publishes_and_tells_organisers(
    simcord_env: simcord.Env, world: World
) -> None:
    simcord_env.inject_error(
        "POST", "/guilds/*/scheduled-events", status=403, code=50013
    )
    event_id, message = await publish_event(simcord_env, world)
    assert message.embeds
    log = world.log.last_message
    assert log is not None and "Manage Events" in log.content


async def test_public_calendar_feed_includes_events(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, _message = await publish_event(simcord_env, world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    entries = await bot.calendar_sources.collect(bot, world.guild.id)
    assert any(entry.uid.startswith(f"event-{event_id}-") for entry in entries)


async def test_create_without_events_channel_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await bot.guild_config.update(world.guild.id, events_channel_id=None)
    result = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="UTC"
    )
    assert result.modal is None and "events channel" in text(result)
    expect_refusals(simcord_env)


def page_of(result: Any, before: Any) -> Any:
    """The list as the member sees it after a click (edited in place)."""
    return result.response or before


async def test_list_turns_to_page_two_and_back_and_survives_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    for day in range(10, 16):
        await publish_event(
            simcord_env,
            world,
            title=f"Meetup {day}",
            start=f"2026-01-{day} 18:00",
            end=f"2026-01-{day} 20:00",
        )
    listed = msg(await world.alice.slash(world.general, "event list"))
    assert listed.ephemeral
    second = page_of(await world.alice.click(listed, label="Next"), listed)
    assert "Page 2 of 2" in str(second.embeds[0].footer.text)
    assert "Meetup 15" in str(second.embeds[0].description)
    assert "Meetup 10" not in str(second.embeds[0].description)
    back = page_of(await world.alice.click(second, label="Previous"), second)
    assert "Page 1 of 2" in str(back.embeds[0].footer.text)
    assert "Meetup 10" in str(back.embeds[0].description)
    # The buttons are persistent: a restart keeps them working.
    await testing.restart(simcord_env, settings)
    again = page_of(await world.alice.click(back, label="Next"), back)
    assert "Page 2 of 2" in str(again.embeds[0].footer.text)
    assert "Meetup 15" in str(again.embeds[0].description)


async def test_typed_times_are_shown_as_understood_and_saved_only_once_confirmed(
    simcord_env: simcord.Env, world: World
) -> None:
    # Thursday 2026-01-01 00:00 UTC; Olivia set her timezone once, by her city.
    await world.organiser.slash(world.general, "timezone set", timezone="Paris")
    shown = await world.organiser.slash(world.general, "event create", kind="sprint")
    assert shown.response is not None
    shown = await world.organiser.click(
        shown.response, label="I accept the code of conduct"
    )
    typed = {**FORM, "start": "tomorrow 18:00", "end": "21:00"}
    understood = await world.organiser.submit_modal(shown, typed)
    start = int(datetime(2026, 1, 2, 17, tzinfo=UTC).timestamp())
    end = int(datetime(2026, 1, 2, 20, tzinfo=UTC).timestamp())
    assert f"**Start**: <t:{start}:F> (<t:{start}:R>)" in text(understood)
    assert f"**End**: <t:{end}:F> (<t:{end}:R>)" in text(understood)
    assert "typed in Europe/Paris" in text(understood)
    assert await event_count(simcord_env) == 0  # nothing saved before confirming

    # Edit opens the form with what was typed; the answer replaces the last one.
    form = await world.organiser.click(msg(understood), label="Edit")
    assert form.modal is not None and "tomorrow 18:00" in str(form.modal)
    edited = await world.organiser.submit_modal(
        form, {**typed, "start": "fri 17:30", "end": "in 3 hours"}
    )
    assert msg(edited).id == msg(understood).id
    friday = int(datetime(2026, 1, 2, 16, 30, tzinfo=UTC).timestamp())
    assert f"<t:{friday}:F>" in text(edited)
    preview = await world.organiser.click(msg(edited), label="Confirm")
    assert "Quality checklist" in text(preview)
    assert await event_count(simcord_env) == 1
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    stored = await bot.db.fetchval("SELECT starts_at FROM events")
    assert stored == friday


async def test_a_member_types_times_in_their_own_language(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await open_event_form(world)
    with member_locale(world.organiser, "de"):
        understood = await world.organiser.submit_modal(
            shown, {**FORM, "start": "Freitag um 18 Uhr", "end": "21 Uhr"}
        )
        friday = int(datetime(2026, 1, 2, 17, tzinfo=UTC).timestamp())
        assert "Das habe ich verstanden" in text(understood)
        assert f"**Beginn**: <t:{friday}:F>" in text(understood)
        preview = await world.organiser.click(msg(understood), label="Bestätigen")
    assert preview.response is not None
    assert await event_count(simcord_env) == 1
