"""Playground: a monthly community chat from creation to its notes."""

from __future__ import annotations

from typing import Any

from bot.clock import now_ts
from bot.devtools.playground import Tour
from bot.devtools.testing import monthly_chat
from cogs.chats import _queries as q

ORDER = 10
SERIES = "Flask chat"


async def _advance_until(t: Tour, ts: int) -> None:
    seconds = ts - now_ts()
    if seconds > 0:
        await t.advance(minutes=seconds / 60)


def _announcement(t: Tour) -> Any:
    for message in reversed(t.world.announcements.history()):
        if message.embeds:
            return message
    return None


def _latest_topic(t: Tour) -> Any:
    """The newest topic posted in the thread on the chat's announcement."""
    for thread in reversed(t.world.announcements.threads):
        for message in reversed(thread.history()):
            if message.components:
                return message
    return None


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("Community chats")
    t.say(
        "An organiser creates a monthly chat: second Thursday, 17:00 Paris time, in "
        "the voice channel. The event and announcement open 7 days ahead."
    )
    shown = await t.slash(
        w.organiser,
        w.general,
        "chat-admin series-create",
        **monthly_chat(w, name=SERIES),
    )
    t.say("The bot shows the first chat as it understood it; she confirms.")
    if shown.response is not None:
        await t.click(w.organiser, shown.response, "Confirm")
    t.say_hidden(
        "Organisers run series with /chat-admin, which Discord shows only to the "
        "organiser role (granted in Server Settings > Integrations)",
        w.alice,
        "chat-admin",
    )
    t.say("A time that does not exist in Paris (the spring-forward gap) is refused:")
    await t.slash(
        w.organiser,
        w.general,
        "chat-admin series-create",
        name="Night owls",
        cadence="monthly",
        weekday=6,
        week="last",
        time="02:30",
        timezone="Europe/Paris",
        duration=30,
        channel=w.voice,
    )

    series = await q.series_by_name(t.bot.db, w.guild.id, SERIES)
    assert series is not None
    occ = await q.upcoming(t.bot.db, series.id)
    assert occ is not None
    t.say(
        "Time passes until the chat opens: the Discord event and announcement appear."
    )
    await _advance_until(t, occ.starts_at - series.lead_days * 86400 + 1)

    t.say(
        "Members mark their interest, with the button or with Discord's own "
        "Interested on the event: it is one list."
    )
    await t.click(w.alice, _announcement(t), "Interested")
    opened = await q.occurrence(t.bot.db, occ.id)
    if opened is not None and opened.event_id is not None:
        t.say("bob marks Interested on the Discord event:")
        t.mark()
        await w.bob.subscribe_event(opened.event_id)
        t.show_activity()
    t.say(
        "Topics go in a thread on the announcement, which keeps one live agenda; "
        "the channel gets no post per topic."
    )
    await t.slash(w.alice, w.general, "chat propose", title="Async views in Flask")
    first = _latest_topic(t)
    await t.slash(
        w.bob,
        w.general,
        "chat propose",
        title="Structuring big apps",
        details="Blueprints, app factories, where to put things",
    )
    second = _latest_topic(t)
    t.say("Votes: one per member per topic; pressing again withdraws it.")
    await t.click(w.carol, second, "Upvote (0)")
    await t.click(w.alice, _latest_topic(t), "Upvote (1)")
    await t.click(w.bob, first, "Upvote (0)")
    await t.slash(w.carol, w.general, "chat topics")
    t.say("Organisers pin or remove topics from the same list, with two menus.")
    listed = await t.slash(w.organiser, w.general, "chat topics")
    if listed.response is not None:
        proposals = await q.proposals(t.bot.db, occ.id)
        [asked] = [p for p in proposals if p.title == "Async views in Flask"]
        await t.select(
            w.organiser,
            listed.response,
            [str(asked.id)],
            "to pin Async views in Flask",
            custom_id=f"pallets:chats:pin-pick:{occ.id}",
        )
    await t.slash(w.carol, w.general, "chat next")

    t.say(
        "A day before the chat, a reminder in the announcements channel, and a DM to "
        "each member who pressed Interested:"
    )
    await _advance_until(t, occ.starts_at - 24 * 3600 + 1)
    t.say("And an hour before:")
    await _advance_until(t, occ.starts_at - 3600 + 1)

    t.say("The chat ends: the event completes, voting closes, the next one is planned.")
    await _advance_until(t, occ.ends_at + 1)
    t.say("The organiser writes the notes; they go in a thread on the announcement.")
    shown = await t.slash(w.organiser, w.general, "chat-admin notes", series=SERIES)
    await t.submit(
        w.organiser,
        shown,
        {"summary": "Async views: use async def with ASGI. Big apps: blueprints."},
    )
    await t.slash(w.alice, w.general, "chat history")

    t.say(
        "Series can also meet every week or every other week, and choose their "
        "reminders (here none: Discord's own notification is enough)."
    )
    await t.slash(
        w.organiser,
        w.general,
        "chat-admin series-create",
        name="Werkzeug hour",
        cadence="fortnightly",
        weekday=1,
        time="18:30",
        timezone="Europe/Paris",
        duration=60,
        channel=w.voice,
        lead_days=3,
        reminders="none",
    )
    await t.slash(w.organiser, w.general, "chat-admin series-list")
