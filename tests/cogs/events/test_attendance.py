"""Who is going: capacity and its waitlist, the attendee list, Discord's Interested,
and reminders each event chooses (simcord, end to end)."""

from __future__ import annotations

from typing import Any

import simcord

from bot import PalletsBot
from bot.devtools import testing
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from cogs.events import _queries as q
from cogs.events._engine import remind_channel_key
from cogs.events._engine import remind_dm_key
from cogs.events._logic import Rsvp
from tests.cogs.events.test_cog import dms
from tests.cogs.events.test_cog import expect_refusals
from tests.cogs.events.test_cog import FORM
from tests.cogs.events.test_cog import fresh
from tests.cogs.events.test_cog import labels
from tests.cogs.events.test_cog import msg
from tests.cogs.events.test_cog import text

HOUR = 3600


async def publish(
    env: simcord.Env, world: World, options: dict[str, Any], **form: str
) -> tuple[int, Any]:
    """``/event create`` with ``options``, the form, then Publish."""
    shown = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris", **options
    )
    if shown.modal is None:
        shown = await world.organiser.click(
            msg(shown), label="I accept the code of conduct"
        )
    assert shown.modal is not None, shown
    preview = await submit_event_form(world.organiser, shown, {**FORM, **form})
    await world.organiser.click(msg(preview), label="Publish")
    await env.settle()
    message = world.events.last_message
    assert message is not None and message.embeds
    footer = message.embeds[0].footer.text
    assert footer is not None
    return int(footer.split()[-1]), message


def db(env: simcord.Env) -> Any:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot.db


def attendance(world: World, message: Any) -> str:
    field = next(
        f for f in fresh(world, message).embeds[0].fields if f.name == "Attendance"
    )
    return str(field.value)


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


# -- capacity and the waitlist -------------------------------------------------------------------
async def test_a_full_event_puts_members_in_line_and_a_freed_place_goes_to_the_first(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {"capacity": 2})
    for member in (world.alice, world.bob):
        going = await member.click(
            fresh(world, message), label=labels(fresh(world, message))[0]
        )
        assert "going" in text(going)
    full = await world.carol.click(
        fresh(world, message), label=labels(fresh(world, message))[0]
    )
    assert full.ephemeral and "full: you are number 1 on the waitlist" in text(full)
    second = await world.helper.click(
        fresh(world, message), label=labels(fresh(world, message))[0]
    )
    assert "number 2 on the waitlist" in text(second)
    assert "Going: 2 of 2 places" in attendance(world, message)
    assert "Waitlist: 2" in attendance(world, message)
    # Clicking Going again changes nothing: still in line.
    again = await world.carol.click(
        fresh(world, message), label=labels(fresh(world, message))[0]
    )
    assert "number 1" in text(again)

    # Alice cannot come: her place goes to Carol, first in line, who is told.
    await world.alice.click(fresh(world, message), label="Not going (0)")
    await simcord_env.settle()
    [told] = dms(world, world.carol)
    assert "A place freed up at Flask sprint" in told and "it is yours" in told
    assert await q.rsvp_of(db(simcord_env), event_id, world.carol.id) is not None
    info = await world.helper.slash(world.general, "event info", event=event_id)
    assert "You are number 1 on the waitlist" in text(info)
    # Bob changes to Maybe: the next place goes to the helper.
    await world.bob.click(fresh(world, message), label="Maybe (0)")
    await simcord_env.settle()
    assert len(dms(world, world.helper)) == 1
    found = await q.attendees(db(simcord_env), event_id)
    assert found.going == [world.carol.id, world.helper.id]
    assert found.maybe == [world.bob.id] and found.waiting == []
    assert "Going: 2 of 2 places" in attendance(world, message)
    assert "Waitlist: 0" in attendance(world, message)
    assert dms(world, world.alice) == []


async def test_a_promoted_member_with_closed_dms_is_mentioned_in_the_events_channel(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {"capacity": 1})
    await world.alice.click(message, label="Going (0)")
    await world.bob.click(fresh(world, message), label="Going (1)")
    testing.close_dms(simcord_env, world.bob)
    start = len(simcord_env.http_requests)
    await world.alice.click(fresh(world, message), label="Not going (0)")
    await simcord_env.settle()
    mentions = [
        m for m in world.events.history() if f"<@{world.bob.id}>" in (m.content or "")
    ]
    assert len(mentions) == 1 and "it is yours" in mentions[0].content
    # Only Bob may be pinged by that post, nobody else.
    [post] = [
        r
        for r in simcord_env.http_requests[start:]
        if r.method == "POST"
        and r.path == f"/channels/{world.events.id}/messages"
        and isinstance(r.json, dict)
    ]
    assert isinstance(post.json, dict)
    assert post.json["allowed_mentions"]["parse"] == []
    assert [int(u) for u in post.json["allowed_mentions"]["users"]] == [world.bob.id]


async def test_more_places_go_to_the_waitlist_in_order(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {"capacity": 1})
    await world.alice.click(message, label="Going (0)")
    for member in (world.bob, world.carol, world.helper):
        await member.click(fresh(world, message), label="Going (1)")
    shown = await world.organiser.slash(
        world.general, "event edit", event=event_id, capacity=3
    )
    await world.organiser.submit_modal(
        shown, {**FORM, "start": "2026-01-10 18:00", "end": "2026-01-10 21:00"}
    )
    await simcord_env.settle()
    found = await q.attendees(db(simcord_env), event_id)
    assert found.going == [world.alice.id, world.bob.id, world.carol.id]
    assert found.waiting == [world.helper.id]
    assert len(dms(world, world.bob)) == 1 and len(dms(world, world.carol)) == 1
    assert dms(world, world.helper) == []
    # No limit at all: everyone in line gets a place.
    shown = await world.organiser.slash(
        world.general, "event edit", event=event_id, capacity=0
    )
    await world.organiser.submit_modal(
        shown, {**FORM, "start": "2026-01-10 18:00", "end": "2026-01-10 21:00"}
    )
    await simcord_env.settle()
    assert (await q.attendees(db(simcord_env), event_id)).waiting == []
    assert "of" not in attendance(world, message).split("·")[0]


# -- who is going ---------------------------------------------------------------------------------
async def test_organisers_and_attendees_see_who_is_going_without_pings(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {"capacity": 1})
    await world.alice.click(message, label="Going (0)")
    await world.bob.click(fresh(world, message), label="Going (1)")
    await world.carol.click(fresh(world, message), label="Maybe (0)")
    start = len(simcord_env.http_requests)
    for member in (world.organiser, world.alice, world.bob, world.carol):
        shown = await member.slash(world.general, "event attendees", event=event_id)
        page = msg(shown)
        assert page.ephemeral
        listing = str(page.embeds[0].description)
        assert "**Going: 1 of 1**" in listing and f"<@{world.alice.id}>" in listing
        assert "**Maybe: 1**" in listing and f"<@{world.carol.id}>" in listing
        assert f"1. <@{world.bob.id}>" in listing  # first on the waitlist
    stranger = await world.helper.slash(
        world.general, "event attendees", event=event_id
    )
    assert stranger.ephemeral and "Only the organisers" in text(stranger)
    assert "<@" not in text(stranger)
    for request in simcord_env.http_requests[start:]:
        body = request.json if isinstance(request.json, dict) else {}
        data = body.get("data", body)
        if isinstance(data, dict) and "allowed_mentions" in data:
            assert data["allowed_mentions"]["parse"] == []
            assert not data["allowed_mentions"].get("users")
    expect_refusals(simcord_env)


async def test_a_long_attendee_list_pages(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {})
    bot = bot_of(simcord_env)
    for user_id in range(1000, 1050):  # members who answered earlier
        await q.set_rsvp(bot.db, event_id, user_id, Rsvp.GOING)
    shown = msg(
        await world.organiser.slash(world.general, "event attendees", event=event_id)
    )
    assert "Page 1 of 2" in str(shown.embeds[0].footer.text)
    after = await world.organiser.click(shown, label="Next")
    page = after.response or shown
    assert "Page 2 of 2" in str(page.embeds[0].footer.text)
    assert "<@1049>" in str(page.embeds[0].description)


# -- Discord's own Interested ---------------------------------------------------------------------
async def test_discords_interested_counts_as_going_and_waits_when_full(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish(simcord_env, world, {"capacity": 1})
    bot = bot_of(simcord_env)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    [discord_event] = guild.scheduled_events
    assert bot.get_user(world.alice.id) is None  # no members intent: not cached
    await world.alice.subscribe_event(discord_event.id)
    assert "Going: 1 of 1 places" in attendance(world, message)
    assert await q.rsvp_of(bot.db, event_id, world.alice.id) is Rsvp.GOING
    # Full: Bob's Interested puts him in line, and he is told (he thinks he is going).
    await world.bob.subscribe_event(discord_event.id)
    [waiting] = dms(world, world.bob)
    assert "number 1 on the waitlist" in waiting
    # Alice's answer is Discord's: the buttons cannot change it.
    refused = await world.alice.click(fresh(world, message), label="Not going (0)")
    assert "un-mark it there" in text(refused)
    assert await q.rsvp_of(bot.db, event_id, world.alice.id) is Rsvp.GOING
    # Un-marked in Discord: she leaves, and Bob gets her place.
    await world.alice.unsubscribe_event(discord_event.id)
    await simcord_env.settle()
    assert await q.rsvp_of(bot.db, event_id, world.alice.id) is None
    assert await q.rsvp_of(bot.db, event_id, world.bob.id) is Rsvp.GOING
    assert "A place freed up" in dms(world, world.bob)[-1]
    expect_refusals(simcord_env)


# -- reminders the event chooses --------------------------------------------------------------
async def test_each_event_chooses_its_reminders(
    simcord_env: simcord.Env, world: World
) -> None:
    # Starts 2026-01-03 17:00 UTC; DMs 2 hours and 30 minutes before, no channel post.
    event_id, message = await publish(
        simcord_env,
        world,
        {"reminders": "2h, 30m", "channel_reminders": "none"},
        start="2026-01-03 18:00",
        end="2026-01-03 20:00",
    )
    await world.alice.click(message, label="Going (0)")
    bot = bot_of(simcord_env)
    rows = await bot.db.fetchall(
        "SELECT key, due_at FROM jobs WHERE key LIKE 'events:remind%' "
        "AND state = 'pending' ORDER BY due_at"
    )
    event = await q.get_event(bot.db, world.guild.id, event_id)
    assert event is not None
    assert [row["key"] for row in rows] == [
        remind_dm_key(event_id, event.starts_at, 120),
        remind_dm_key(event_id, event.starts_at, 30),
    ]
    await simcord_env.advance_time(2 * 24 * HOUR + 17 * HOUR)
    await simcord_env.settle()
    reminders = [t for t in dms(world, world.alice) if t.startswith("Reminder")]
    assert len(reminders) == 2
    assert not [m for m in world.events.history() if m.content.startswith("Starting")]
    # Changed later: the new reminders are planned instead of the old.
    event_id, message = await publish(
        simcord_env, world, {}, start="2026-01-10 18:00", end="2026-01-10 20:00"
    )
    shown = await world.organiser.slash(
        world.general, "event edit", event=event_id, channel_reminders="3h"
    )
    await world.organiser.submit_modal(
        shown, {**FORM, "start": "2026-01-10 18:00", "end": "2026-01-10 20:00"}
    )
    event = await q.get_event(bot.db, world.guild.id, event_id)
    assert event is not None and event.post_reminders == (180,)
    states = {
        row["key"]: row["state"]
        for row in await bot.db.fetchall(
            "SELECT key, state FROM jobs WHERE key LIKE 'events:remind%'"
        )
    }
    assert states[remind_channel_key(event_id, event.starts_at, 180)] == "pending"
    assert states[remind_channel_key(event_id, event.starts_at)] == "cancelled"
    assert states[remind_dm_key(event_id, event.starts_at)] == "pending"


async def test_bad_reminders_or_places_are_refused_before_the_form(
    simcord_env: simcord.Env, world: World
) -> None:
    for options, expected in (
        ({"reminders": "soon"}, "I could not read the reminders soon"),
        ({"channel_reminders": "1h,2h,3h,4h,5h"}, "up to 4 times"),
        ({"reminders": "9d"}, "I could not read the reminders"),
    ):
        shown = await world.organiser.slash(
            world.general, "event create", kind="meetup", timezone="UTC", **options
        )
        assert shown.modal is None and shown.ephemeral
        assert expected in text(shown), (options, text(shown))
    assert await db(simcord_env).fetchval("SELECT count(*) FROM events") == 0
    expect_refusals(simcord_env)
