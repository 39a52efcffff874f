"""Playground: an organiser announces a weekly sprint, members RSVP, reminders go
out; after it the next date appears, the organiser adds the recording and members
give feedback; a member submits a meetup an organiser approves; a member asks for an
event grant and a reviewer decides."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import from_ts
from bot.devtools.playground import Tour

ORDER = 30


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("Community events")
    t.say(
        "Olivia sets her own timezone once, typing her city: every command that "
        "needs a timezone uses it from now on."
    )
    await t.slash(w.organiser, w.general, "timezone set", timezone="Paris")
    t.say("An organiser starts a weekly event; first they accept the code of conduct.")
    shown = await t.slash(
        w.organiser, w.general, "event create", kind="sprint", repeat="weekly"
    )
    if shown.modal is None and shown.response is not None:
        shown = await t.click(
            w.organiser, shown.response, "I accept the code of conduct"
        )
    form = {
        "title": "Flask sprint",
        "description": "Fix issues together. Step-free venue (accessibility). "
        "Contact: olivia.",
        "start": "tomorrow 18:00",
        "end": "21:00",
        "location": "https://meet.example/flask-sprint",
    }
    t.say("She types the dates the way she says them. A typo is blamed on the date:")
    await t.submit(w.organiser, shown, {**form, "start": "tomorow 18:00"})
    shown = await t.slash(
        w.organiser, w.general, "event create", kind="sprint", repeat="weekly"
    )
    understood = await t.submit(w.organiser, shown, form)
    if understood.response is None:
        return
    t.say(
        "The bot shows what it understood and the next dates, as Discord timestamps "
        "each member reads in their own time; nothing is saved until she confirms."
    )
    preview = await t.click(w.organiser, understood.response, "Confirm")
    if preview.response is None:
        return
    t.say("The preview shows the quality checklist; publishing posts the event.")
    await t.click(w.organiser, preview.response, "Publish")
    announcement = w.events.last_message
    if announcement is None:
        return

    t.say("Members answer with the buttons; the counts on the announcement follow.")
    await t.click(w.alice, announcement, "Going (0)")
    announcement = w.events.last_message or announcement
    await t.click(w.bob, announcement, "Going (1)")
    announcement = w.events.last_message or announcement
    await t.click(w.carol, announcement, "Maybe (0)")
    t.say("Bob does not want the reminder DM:")
    await t.slash(w.bob, w.general, "event reminders")
    await t.slash(w.carol, w.general, "event list")

    t.say("The organiser moves the event an hour later; Going members are told once.")
    edit = await t.slash(w.organiser, w.general, "event edit", event=1)
    moved = await t.submit(
        w.organiser, edit, {**form, "start": "tomorrow 19:00", "end": "22:00"}
    )
    if moved.response is not None:
        await t.click(w.organiser, moved.response, "Confirm")
    starts = from_ts(
        int(await t.bot.db.fetchval("SELECT starts_at FROM events WHERE id = 1"))
    )
    t.say("A day before it starts, a reminder DM goes to Alice (Bob turned them off):")
    await t.advance_to(int((starts - timedelta(days=1)).timestamp()) + 1)
    t.say("An hour before it starts, a post in the events channel:")
    await t.advance_to(int((starts - timedelta(hours=1)).timestamp()) + 1)
    await t.slash(w.alice, w.general, "event calendar")

    ends = from_ts(
        int(await t.bot.db.fetchval("SELECT ends_at FROM events WHERE id = 1"))
    )
    t.say(
        "When it ends, next week's sprint is announced; Olivia is asked for the "
        "recording and slides, and Alice, who went, for feedback:"
    )
    await t.advance_to(int(ends.timestamp()) + 1)
    shown = await t.slash(w.organiser, w.general, "event links", event=1)
    await t.submit(
        w.organiser,
        shown,
        {"recording": "https://video.example/flask-sprint", "slides": ""},
    )
    shown = await t.slash(w.alice, w.general, "event feedback", event=1)
    await t.submit(w.alice, shown, {"rating": "5", "comment": "More sprints, please!"})
    await t.slash(w.organiser, w.general, "event info", event=1)
    following = await t.bot.db.fetchval(
        "SELECT id FROM events WHERE series_id IS NOT NULL AND id != 1 "
        "ORDER BY starts_at LIMIT 1"
    )
    if following is not None:
        t.say("Olivia ends the series with next week's date:")
        await t.slash(
            w.organiser,
            w.general,
            "event cancel",
            event=int(following),
            series=True,
        )

    t.chapter("A member's event")
    t.say(
        "Alice, who is not an organiser, writes up a meetup: she accepts the code "
        "of conduct, sees the checklist, and submits it for review."
    )
    shown = await t.slash(
        w.alice, w.general, "event create", kind="meetup", timezone="Lyon"
    )
    if shown.modal is None and shown.response is not None:
        shown = await t.click(w.alice, shown.response, "I accept the code of conduct")
    understood = await t.submit(
        w.alice,
        shown,
        {
            "title": "Lyon Flask meetup",
            "description": "Talks and pizza. Step-free room (accessibility). "
            "Contact: alice.",
            "start": "tomorrow 19:00",
            "end": "21:30",
            "location": "Lyon, La Cordée",
        },
    )
    if understood.response is None:
        return
    preview = await t.click(w.alice, understood.response, "Confirm")
    if preview.response is None:
        return
    await t.click(w.alice, preview.response, "Submit for review")
    review = w.log.last_message
    if review is None:
        return
    t.say("Olivia approves it in the log channel: it is published, and Alice is told.")
    await t.click(w.organiser, review, "Approve and publish")

    t.chapter("Event grants")
    t.say("Alice asks the workgroup to fund a meetup:")
    shown = await t.slash(w.alice, w.general, "grant request")
    await t.submit(
        w.alice,
        shown,
        {
            "event": "Lyon Flask meetup",
            "amount": "300",
            "currency": "EUR",
            "purpose": "Room hire and live captions",
            "attendance": "35",
        },
    )
    t.say_hidden(
        "Reviewers work in /grant-review, which Discord shows to the grants "
        "reviewer role alone",
        w.bob,
        "grant-review",
    )
    await t.slash(w.reviewer, w.general, "grant-review list")
    await t.slash(
        w.reviewer,
        w.general,
        "grant-review decide",
        id="G-1",
        decision="needs-info",
        note="Is the room step-free?",
    )
    await t.slash(
        w.alice, w.general, "grant answer", id="G-1", answer="Yes, with a lift."
    )
    await t.slash(
        w.reviewer,
        w.general,
        "grant-review decide",
        id="G-1",
        decision="approve",
        note="Have fun",
    )
    t.say("A decided request cannot be decided again:")
    await t.slash(
        w.reviewer, w.general, "grant-review decide", id="G-1", decision="reject"
    )
    await t.slash(w.alice, w.general, "grant status")
