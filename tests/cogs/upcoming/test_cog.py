"""End to end: /upcoming lists chats and events together, and /event calendar's file
holds the same entries as the public feed (one source for all three)."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import icalendar
import pytest
import simcord

from bot import web
from bot.app import PalletsBot
from bot.devtools import testing
from bot.devtools.testing import create_chat_series
from bot.devtools.testing import open_event_form
from bot.devtools.testing import restart
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from bot.settings import Settings

PUBLIC_URL = "https://bot.example.org"
FORM = {
    "title": "Flask sprint",
    "description": "Hack on Flask. Step-free venue (accessibility). Contact: olivia",
    "start": "2026-01-10 18:00",
    "end": "2026-01-10 21:00",
    "location": "Lyon, La Cordée",
}
# The clock starts on Thursday 2026-01-01 00:00 UTC; the monthly Flask chat is on the
# second Thursday at 17:00 Paris: 2026-01-08 16:00 UTC, then 02-12 and 03-12.
CHAT = datetime(2026, 1, 8, 16, tzinfo=UTC)
SPRINT = datetime(2026, 1, 10, 17, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return testing.test_settings(tmp_path, public_url=PUBLIC_URL)


def ts(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def publish_event(world: World, **changes: str) -> None:
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, {**FORM, **changes})
    assert preview.response is not None, preview
    await world.organiser.click(preview.response, label="Publish")


def description(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.embeds[0].description)


async def test_upcoming_lists_chats_and_events_in_order_in_the_readers_time(
    simcord_env: simcord.Env, world: World
) -> None:
    empty = await world.alice.slash(world.general, "upcoming")
    assert "Nothing is planned yet." in description(empty)
    await create_chat_series(world)
    await publish_event(world)
    await simcord_env.settle()

    shown = await world.alice.slash(world.general, "upcoming")
    assert shown.ephemeral
    lines = description(shown).splitlines()
    assert [re.match(r"\*\*\[?([^*\]]+)", line)[1] for line in lines] == [  # type: ignore[index]
        "Flask chat",
        "Flask sprint",
        "Flask chat",
        "Flask chat",
    ]
    assert ts(CHAT, "F") in lines[0] and ts(CHAT, "R") in lines[0]
    assert ts(SPRINT, "F") in lines[1] and ts(SPRINT, "R") in lines[1]
    assert "](https://discord.com/channels/" in lines[1]  # the announcement
    # No feed published: no address to subscribe to.
    assert shown.response is not None and not shown.response.embeds[0].fields

    await world.admin.slash(world.general, "setup calendar", enabled=True)
    again = await world.alice.slash(world.general, "upcoming")
    assert again.response is not None
    [field] = again.response.embeds[0].fields
    assert f"{PUBLIC_URL}/calendar/{world.guild.id}.ics" in str(field.value)


async def test_upcoming_pages_forward_and_back_and_survives_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    # Four series, three chats each in the calendar: twelve entries, two pages.
    for number, week in enumerate(("1", "2", "3", "4")):
        await create_chat_series(world, name=f"Chat {number}", week=week)
    first = await world.alice.slash(world.general, "upcoming")
    assert first.response is not None
    assert len(description(first).splitlines()) == 10
    assert first.response.embeds[0].footer.text == "Page 1 of 2"
    second = await world.alice.click(first.response, label="Next")
    page = second.response or first.response
    assert page.embeds[0].footer.text == "Page 2 of 2"
    assert len(str(page.embeds[0].description).splitlines()) == 2

    await restart(simcord_env, settings)
    back = await world.alice.click(page, label="Previous")
    page = back.response or page
    assert page.embeds[0].footer.text == "Page 1 of 2"


def vevents(data: bytes) -> list[tuple[str, str, datetime, datetime, str, int]]:
    calendar = icalendar.Calendar.from_ical(data)
    return [
        (
            str(event["UID"]),
            str(event["SUMMARY"]),
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
            str(event["STATUS"]),
            int(event.decoded("SEQUENCE")),
        )
        for event in calendar.walk("VEVENT")
    ]


async def test_the_calendar_file_and_the_feed_hold_the_same_entries(
    simcord_env: simcord.Env, world: World
) -> None:
    await create_chat_series(world)
    await publish_event(world)
    await world.admin.slash(world.general, "setup calendar", enabled=True)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)

    result = await world.alice.slash(world.general, "event calendar")
    assert result.response is not None
    [attachment] = result.response.attachments
    data = simcord_env.backend.cdn.get(attachment.url)
    assert data is not None
    feed = await web.calendar_feed(bot, world.guild.id)
    assert feed is not None

    in_file = vevents(data)
    assert in_file == vevents(feed)
    uids = [entry[0] for entry in in_file]
    assert any(uid.startswith("chat-") for uid in uids)
    assert any(uid.startswith("event-") for uid in uids)
    text = str(result.response.content)
    assert text.startswith("4 upcoming chats and events.")
    assert f"{PUBLIC_URL}/calendar/{world.guild.id}.ics" in text
