"""Repeating events, what comes after an event, and events members submit
(simcord, end to end)."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC
from typing import Any

import simcord

from bot.clock import utcnow
from bot.devtools import testing
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from cogs.events import _queries as q
from tests.cogs.events.test_attendance import bot_of
from tests.cogs.events.test_attendance import db
from tests.cogs.events.test_attendance import publish
from tests.cogs.events.test_cog import expect_refusals
from tests.cogs.events.test_cog import FORM
from tests.cogs.events.test_cog import fresh
from tests.cogs.events.test_cog import msg
from tests.cogs.events.test_cog import posted
from tests.cogs.events.test_cog import text

HOUR = 3600
DAY = 24 * HOUR


def dm_messages(member: Any) -> list[Any]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return list(channel.history())


def field(message: Any, name: str) -> str:
    found = [f.value for f in message.embeds[0].fields if f.name == name]
    return str(found[0]) if found else ""


async def advance_to(env: simcord.Env, moment: datetime) -> None:
    await env.advance_time((moment - utcnow()).total_seconds())
    await env.settle()


# -- repeating events -------------------------------------------------------------------------
async def test_a_weekly_event_gets_its_next_date_when_it_ends_across_dst(
    simcord_env: simcord.Env, world: World
) -> None:
    # Thursday 26 March 2026, 18:00 in Paris (17:00 UTC); the clocks go forward on
    # the 29th, so the next Thursday at 18:00 is 16:00 UTC.
    shown = await world.organiser.slash(
        world.general,
        "event create",
        kind="meetup",
        timezone="Europe/Paris",
        repeat="weekly",
    )
    if shown.modal is None:
        shown = await world.organiser.click(
            msg(shown), label="I accept the code of conduct"
        )
    values = {**FORM, "start": "2026-03-26 18:00", "end": "2026-03-26 20:00"}
    understood = await world.organiser.submit_modal(shown, values)
    echo = text(understood)
    # The next dates are echoed before anything is saved.
    assert "Repeats: <t:" in echo and echo.count("<t:") >= 5, echo
    assert await db(simcord_env).fetchval("SELECT count(*) FROM events") == 0
    preview = await testing.confirm_understood(world.organiser, understood)
    await world.organiser.click(msg(preview), label="Publish")
    await simcord_env.settle()
    first = world.events.last_message
    assert first is not None
    first_id = int(str(first.embeds[0].footer.text).split()[-1])
    await world.alice.click(first, label="Going (0)")

    await advance_to(simcord_env, datetime(2026, 3, 26, 19, 1, tzinfo=UTC))
    bot = bot_of(simcord_env)
    events = await bot.db.fetchall(
        "SELECT id, starts_at, state FROM events ORDER BY id"
    )
    assert len(events) == 2
    following = await q.get_event(bot.db, world.guild.id, events[1]["id"])
    assert following is not None and following.published
    assert following.starts_at == datetime(2026, 4, 2, 16, 0, tzinfo=UTC)
    assert following.series_id is not None
    # Announced like any event, with its own Discord event; the ended one shows it
    # and has no buttons any more.
    announced = world.events.last_message
    assert announced is not None and announced.id != first.id
    assert f"Event {following.id}" in str(announced.embeds[0].footer.text)
    ended = fresh(world, first)
    assert "Next date: <t:1775145600:F>" in field(ended, "Repeats")
    assert not ended.components
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and len(guild.scheduled_events) >= 1
    # The member who went hears of the next date with the feedback question.
    [asked] = [t.content for t in dm_messages(world.alice) if "How was it" in t.content]
    assert "Next date: <t:1775145600:F>" in asked
    info = await world.alice.slash(world.general, "event info", event=first_id)
    assert "Next date" in field(msg(info), "Repeats")

    # Cancelling one date with the series: no date after it.
    await world.organiser.slash(
        world.general, "event cancel", event=following.id, series=True
    )
    await advance_to(simcord_env, datetime(2026, 4, 3, tzinfo=UTC))
    assert await bot.db.fetchval("SELECT count(*) FROM events") == 2


async def test_a_cancelled_date_keeps_the_series_going(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, _ = await publish(
        simcord_env,
        world,
        {"repeat": "monthly_weekday", "every": 2},
        start="2026-01-08 18:00",  # the 2nd Thursday of January
        end="2026-01-08 20:00",
    )
    await world.organiser.slash(world.general, "event cancel", event=event_id)
    await advance_to(simcord_env, datetime(2026, 1, 9, tzinfo=UTC))
    bot = bot_of(simcord_env)
    rows = await bot.db.fetchall("SELECT starts_at, state FROM events ORDER BY id")
    assert [row["state"] for row in rows] == ["cancelled", "published"]
    # Every two months, on the second Thursday: 12 March, 18:00 in Paris.
    assert rows[1]["starts_at"] == int(
        datetime(2026, 3, 12, 17, 0, tzinfo=UTC).timestamp()
    )


async def test_repeat_rules_that_cannot_hold_are_refused_before_saving(
    simcord_env: simcord.Env, world: World
) -> None:
    cases = (
        ("monthly_date", "2026-01-31 18:00", "2026-01-31 20:00", "Not every month"),
        ("monthly_weekday", "2026-01-29 18:00", "2026-01-29 20:00", "fifth"),
        ("monthly_last", "2026-01-22 18:00", "2026-01-22 20:00", "not the last"),
        # 02:30 on Sundays in Paris: skipped on 29 March.
        ("weekly", "2026-01-04 02:30", "2026-01-04 04:00", "2026-03-29"),
    )
    for repeat, start, end, expected in cases:
        shown = await world.organiser.slash(
            world.general,
            "event create",
            kind="meetup",
            timezone="Europe/Paris",
            repeat=repeat,
        )
        if shown.modal is None:
            shown = await world.organiser.click(
                msg(shown), label="I accept the code of conduct"
            )
        refused = await world.organiser.submit_modal(
            shown, {**FORM, "start": start, "end": end}
        )
        assert expected in text(refused), (repeat, text(refused))
    assert await db(simcord_env).fetchval("SELECT count(*) FROM events") == 0
    expect_refusals(simcord_env)


# -- after the event -------------------------------------------------------------------------------
async def test_after_the_event_links_and_feedback_are_asked_for(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {})
    await world.alice.click(message, label="Going (0)")
    await world.bob.click(fresh(world, message), label="Going (1)")
    testing.close_dms(simcord_env, world.bob)
    too_soon = await world.organiser.slash(world.general, "event links", event=event_id)
    assert "not over yet" in text(too_soon)
    # FORM: 10 January 18:00 to 21:00 in Paris.
    await advance_to(simcord_env, datetime(2026, 1, 10, 20, 5, tzinfo=UTC))

    # The organiser is asked for the recording and slides, with a button.
    [asked] = [m for m in dm_messages(world.organiser) if "has ended" in m.content]
    form = await world.organiser.user.click(asked, label="Add recording or slides")
    assert form.modal is not None
    bad = await world.organiser.user.submit_modal(form, {"recording": "not a link"})
    assert "https://" in text(bad)
    form = await world.organiser.user.click(asked, label="Add recording or slides")
    saved = await world.organiser.user.submit_modal(
        form, {"recording": "https://youtu.be/abc", "slides": ""}
    )
    assert "Saved" in text(saved)
    await simcord_env.settle()
    assert "https://youtu.be/abc" in field(
        fresh(world, message), "Recording and slides"
    )
    assert any("https://youtu.be/abc" in m.content for m in dm_messages(world.alice))

    # Members who went are asked for feedback; Bob's DMs are closed: mentioned.
    [ask] = [m for m in dm_messages(world.alice) if "How was it" in m.content]
    form = await world.alice.user.click(ask, label="Give feedback")
    refused = await world.alice.user.submit_modal(
        form, {"rating": "great", "comment": ""}
    )
    assert "from 1 to 5" in text(refused)
    form = await world.alice.user.click(ask, label="Give feedback")
    thanks = await world.alice.user.submit_modal(
        form, {"rating": "4", "comment": "More time for questions"}
    )
    assert "Thank you" in text(thanks)
    mention = [
        m
        for m in world.events.history()
        if f"<@{world.bob.id}>" in (m.content or "")
        and "How" not in m.content
        and "/event feedback" in m.content
    ]
    assert len(mention) == 1 and f"/event feedback {event_id}" in mention[0].content
    form = await world.bob.slash(world.general, "event feedback", event=event_id)
    await world.bob.submit_modal(form, {"rating": "*****", "comment": ""})
    stranger = await world.carol.slash(world.general, "event feedback", event=event_id)
    assert "Only members who were going" in text(stranger)

    info = await world.organiser.slash(world.general, "event info", event=event_id)
    assert "2 members gave feedback, 4.5 of 5 on average." in text(info)
    assert "More time for questions" in text(info)
    member_info = await world.alice.slash(world.general, "event info", event=event_id)
    assert "gave feedback" not in text(member_info)
    not_theirs = await world.alice.slash(world.general, "event links", event=event_id)
    assert "organiser" in text(not_theirs)
    expect_refusals(simcord_env)


# -- members' events ----------------------------------------------------------------------------------
async def test_a_member_submits_an_event_that_waits_for_an_organiser(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await world.alice.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris"
    )
    # The code of conduct first, then the form.
    assert "code of conduct" in text(shown).lower() and shown.modal is None
    shown = await world.alice.click(msg(shown), label="I accept the code of conduct")
    preview = await submit_event_form(
        world.alice, shown, {**FORM, "description": "Hack on Flask."}
    )
    shown_text = text(preview)
    assert "an organiser approves it" in shown_text
    assert "An accessibility note" in shown_text  # the checklist, with what is missing
    forged = await world.alice.click(msg(preview), label="Submit for review")
    assert "Sent to the organisers" in text(forged)
    await simcord_env.settle()
    bot = bot_of(simcord_env)
    [event_id] = [row["id"] for row in await bot.db.fetchall("SELECT id FROM events")]
    review = world.log.last_message
    assert review is not None and f"<@{world.alice.id}>" in review.content
    assert "submitted an event for review" in review.content
    assert posted(world) is None  # nothing public yet
    pending = await world.alice.slash(world.general, "event info", event=event_id)
    assert "Waiting for an organiser" in text(pending)

    # Declined with a reason: the member reads it.
    form = await world.organiser.click(review, label="Decline")
    await world.organiser.submit_modal(form, {"reason": "Please add a contact person"})
    await simcord_env.settle()
    assert any(
        "Please add a contact person" in m.content for m in dm_messages(world.alice)
    )
    assert "Declined by" in str(fresh_log(world, review).content)
    assert not fresh_log(world, review).components
    declined = await world.alice.slash(world.general, "event info", event=event_id)
    assert "Please add a contact person" in text(declined)

    # Changed and submitted again, then approved: published as any event.
    shown = await world.alice.slash(world.general, "event edit", event=event_id)
    again = await world.alice.submit_modal(shown, FORM)
    await world.alice.click(msg(again), label="Submit for review")
    await simcord_env.settle()
    second = world.log.last_message
    assert second is not None and second.id != review.id
    approved = await world.organiser.click(second, label="Approve and publish")
    assert "Published" in text(approved)
    await simcord_env.settle()
    announcement = world.events.last_message
    assert announcement is not None
    assert f"Event {event_id}" in str(announcement.embeds[0].footer.text)
    assert any("approved your event" in m.content for m in dm_messages(world.alice))
    assert "Approved by" in str(fresh_log(world, second).content)
    assert not fresh_log(world, second).components
    expect_refusals(simcord_env)


async def test_a_submission_changed_while_waiting_must_be_submitted_again(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await world.alice.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris"
    )
    shown = await world.alice.click(msg(shown), label="I accept the code of conduct")
    preview = await submit_event_form(world.alice, shown, FORM)
    await world.alice.click(msg(preview), label="Submit for review")
    await simcord_env.settle()
    review = world.log.last_message
    assert review is not None
    [event_id] = [
        row["id"] for row in await db(simcord_env).fetchall("SELECT id FROM events")
    ]
    shown = await world.alice.slash(world.general, "event edit", event=event_id)
    again = await world.alice.submit_modal(shown, {**FORM, "title": "Something else"})
    assert "Submit for review" in str(msg(again).components)
    stale = await world.organiser.click(review, label="Approve and publish")
    assert "not waiting for review" in text(stale)
    assert posted(world) is None
    expect_refusals(simcord_env)


def fresh_log(world: World, message: Any) -> Any:
    for candidate in world.log.history():
        if candidate.id == message.id:
            return candidate
    raise AssertionError("review post gone")
