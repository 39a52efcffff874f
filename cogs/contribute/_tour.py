"""Playground: from "I want to contribute" to a merged pull request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import utcnow
from cogs.contribute._cog import ContributeCog
from cogs.contribute._logic import next_recognition

if TYPE_CHECKING:
    from bot.devtools.playground import Tour

ORDER = 60


def _cog(t: Tour) -> ContributeCog:
    cog = t.bot.get_cog(ContributeCog.__cog_name__)
    assert isinstance(cog, ContributeCog)
    return cog


async def tour(t: Tour) -> None:
    w = t.world
    await _start_here(t)
    await _tasks(t)
    t.chapter("Monthly thanks")
    t.say(
        "On the first of each month at 15:00 UTC the announcements channel thanks "
        "who solved questions, mentored, completed tasks or merged pull requests "
        "last month, from the bot's own records. Members who said /contribute "
        "thanks public:False are left out, and with nobody to thank there is no post. "
        "The tour asks for this month's post now instead of waiting a month:"
    )
    await t.slash(w.bob, w.general, "contribute thanks", public=False)
    month_end = next_recognition(utcnow().replace(day=2))
    await _cog(t).engine.post_recognition(w.guild.id, month_end)
    t.show_activity()


async def _start_here(t: Tour) -> None:
    w = t.world
    t.chapter("Start here")
    t.say(
        "An organiser places the start-here message where newcomers land. It needs "
        "no member list: each click says who clicked."
    )
    await t.slash(w.admin, w.general, "setup start-here", channel=w.announcements)
    message = w.announcements.last_message
    assert message is not None
    await t.click(w.carol, message, "Ask a question")
    await t.click(w.carol, message, "I want to contribute")
    releases = w.guild.create_role("Release pings")
    await t.slash(w.admin, w.general, "setup roles", releases=releases)
    t.say("carol opts in to release pings (and could opt out the same way):")
    await t.click(w.carol, message, "Get notified")
    t.say("carol offers to answer questions; an organiser accepts:")
    asked = await t.click(w.carol, message, "Volunteer")
    assert asked.response is not None
    shown = await t.click(w.carol, asked.response, "Answer questions as a helper")
    await t.submit(w.carol, shown, {"note": "Weekday evenings, Flask and Jinja"})
    notice = w.log.last_message
    assert notice is not None
    await t.click(w.organiser, notice, "Accept")


async def _tasks(t: Tour) -> None:
    w = t.world
    t.chapter("Tasks that are not code")
    t.say(
        "Mentoring much like Google Code-In: mentors post tasks that are not GitHub "
        "issues (docs, translations, triage, reviews); a member takes one, hands in "
        "a link, and the mentor accepts it or asks for changes."
    )
    await t.slash(
        w.mentor,
        w.general,
        "contribute task post",
        title="Translate the Flask quickstart into Portuguese",
        description="docs/quickstart.rst; share a gist or open a pull request.",
        kind="translation",
    )
    await t.slash(w.alice, w.general, "contribute task list")
    await t.slash(w.alice, w.general, "contribute task claim", task="1")
    await t.slash(
        w.alice,
        w.general,
        "contribute task submit",
        task="1",
        link="https://gist.github.com/alice/quickstart-pt",
    )
    await t.slash(
        w.mentor,
        w.general,
        "contribute task review",
        task="1",
        decision="changes",
        note="Keep the code samples in English.",
    )
    await t.slash(
        w.alice,
        w.general,
        "contribute task submit",
        task="1",
        link="https://gist.github.com/alice/quickstart-pt-2",
    )
    await t.slash(
        w.mentor, w.general, "contribute task review", task="1", decision="accept"
    )
