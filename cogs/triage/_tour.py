"""The playground's question-triage chapter: ask, answer, solve, find, queue, nudge."""

from __future__ import annotations

from bot.devtools.playground import Tour

ORDER = 20


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("Questions: tags, checklist, solved")
    t.say("Alice asks in the questions forum; the bot tags the post and replies once.")
    first = await t.post_question(
        w.alice,
        "Flask-SQLAlchemy session does not commit",
        "I call db.session.add(user) with flask_sqlalchemy but the row never "
        "appears in the database.",
    )
    await t.send(w.helper, first, "You need db.session.commit() after the add.")
    t.say("Alice says thank you: the bot offers a button, once, and decides nothing.")
    await t.send(w.alice, first, "Thanks, that worked!")
    offer = first.last_message
    if offer is not None:
        await t.click(w.alice, offer, "Mark as solved")

    t.chapter("Questions: similar solved questions are suggested")
    second = await t.post_question(
        w.bob,
        "db.session.add does not save my user",
        "Using flask_sqlalchemy, the user is missing after the request.",
    )
    t.say("Carol thinks Bob's question is solved; only Bob can confirm it.")
    await t.slash(w.carol, second, "solved")

    t.chapter("Questions: helpers' tools")
    await t.post_question(
        w.carol, "Jinja include not found", "TemplateNotFound: x.html"
    )
    await t.slash(w.helper, w.general, "triage queue")
    await t.slash(w.helper, w.general, "triage queue", tag="Jinja")
    await t.slash(w.helper, second, "triage escalate")
    t.say("A close needs the link its reason needs:")
    await t.slash(w.helper, second, "triage close", reason="duplicate")
    await t.slash(
        w.helper, second, "triage close", reason="duplicate", link=first.mention
    )
    await t.slash(w.bob, second, "reopen")
    await t.slash(w.helper, w.general, "triage stats", days=30)
    hidden = not any(
        c.startswith("triage") for c in w.bob.available_commands(w.general)
    )
    t.say(
        "A plain member does not see the helpers' tools: "
        + (
            "Discord hides /triage from bob."
            if hidden
            else "bob sees them (unexpected!)."
        )
    )

    t.chapter("Questions: nudges, never closing")
    await t.send(w.helper, second, "Does it work with a commit?")
    t.say(
        "Helpers choose when their digest comes; it is posted only when something "
        "changed since the last one (a new question, one answered or solved, one "
        "waiting 1, 3, 7, 14 or 30 days):"
    )
    await t.slash(
        w.helper,
        w.general,
        "triage digest",
        time="09:00",
        days="mon,tue,wed,thu,fri",
        timezone="Europe/Paris",
    )
    t.say("Time passes: a few digests, not one a day; Bob gets one nudge after a week.")
    await t.advance(days=8)
