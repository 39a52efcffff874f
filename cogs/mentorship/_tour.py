"""Playground: mentors set profiles, mentees ask, a mentor claims, the pair gets a
private thread and a check-in, an organiser matches a cohort and ends with stats."""

from __future__ import annotations

from typing import Any

from bot.devtools.playground import Tour

ORDER = 40


def _last_followup(result: Any) -> Any:
    followups = result.followups
    return followups[-1] if followups else result.response


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("Mentorship")
    t.say_hidden(
        "Mentors keep their profile, the queue and their claims with /mentor-tools, "
        "which Discord shows to the mentor role alone",
        w.alice,
        "mentor-tools",
    )

    t.say("Two mentors describe what they can help with.")
    await t.slash(
        w.mentor,
        w.general,
        "mentor-tools profile",
        topics="flask, testing, first-contribution",
        languages="English, French",
        timezone="Europe/Paris",
        capacity=2,
    )
    await t.slash(
        w.mentor2,
        w.general,
        "mentor-tools profile",
        topics="jinja, click",
        languages="English",
        timezone="America/New_York",
        capacity=1,
    )

    t.say("A timezone that does not exist gets a clear answer, and nothing is saved:")
    await t.slash(
        w.alice,
        w.general,
        "mentor request",
        topics="flask",
        goal="Land my first Flask pull request",
        timezone="Mars/Olympus",
    )
    t.say("Members ask for mentors; only their mentor and organisers see the goal.")
    await t.slash(
        w.alice,
        w.general,
        "mentor request",
        topics="flask, first-contribution",
        goal="Land my first Flask pull request",
        timezone="Europe/Berlin",
        languages="English",
    )
    await t.slash(
        w.bob,
        w.general,
        "mentor request",
        topics="jinja",
        goal="Understand Jinja's compiler",
        timezone="America/Chicago",
    )
    await t.slash(
        w.carol,
        w.general,
        "mentor request",
        topics="testing",
        goal="Write better tests for my Flask app",
        timezone="Asia/Tokyo",
    )

    t.say("Maya's queue puts the best fit first: shared topics, then nearby timezones.")
    queue = await t.slash(w.mentor, w.general, "mentor-tools queue")
    t.say("She claims Alice's request: a private thread opens for the two of them.")
    shown = _last_followup(queue)
    if shown is not None:
        await t.click(w.mentor, shown, "Claim #1")
    t.say("Milo tries the same request a moment later and is told politely:")
    await t.slash(w.mentor2, w.general, "mentor-tools claim", request=1)

    t.say("Two weeks later the pair gets a check-in in their thread.")
    # The extension watch's weekly fetch waits on real sockets, which never settle
    # under the simulated clock (reported to that job); mentoring does not need it.
    await t.bot.scheduler.cancel_prefix("extwatch:")
    await t.advance(days=14, minutes=5)
    thread = w.mentorship.threads[0] if w.mentorship.threads else None
    checkin = thread.last_message if thread is not None else None
    if checkin is not None and checkin.components:
        t.say("Alice asks for help; organisers hear about it in the log channel.")
        await t.click(w.alice, checkin, "Need help")

    t.say(
        "An organiser proposes a cohort assignment; nothing is created until they "
        "confirm all the pairs, or only those they choose in the list."
    )
    proposal = await t.slash(w.organiser, w.general, "mentor-admin match")
    shown = _last_followup(proposal)
    if shown is not None and shown.components:
        options = [
            option["value"]
            for row in shown.components
            for child in row["components"]
            for option in child.get("options", [])
        ]
        if options:
            await t.select(
                w.organiser, shown, options[:1], f"request #{options[0]} only"
            )

    t.say("Alice and Maya finish; both are asked for optional feedback.")
    ended = await t.slash(w.alice, w.general, "mentor end")
    shown = _last_followup(ended)
    if shown is not None and shown.components:
        form = await t.click(w.alice, shown, "Give feedback")
        if form.modal is not None:
            await t.submit(w.alice, form, {"feedback": "Maya was patient and clear."})

    t.say_hidden(
        "Organisers see the numbers with /mentor-admin, which Discord shows to the "
        "organiser role alone",
        w.carol,
        "mentor-admin",
    )
    await t.slash(w.organiser, w.general, "mentor-admin stats")
