"""Playground: from "I want to contribute" to a merged pull request."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot import records
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeIssue
from bot.devtools.fake_upstream import FakeRelease
from bot.devtools.fake_upstream import pallets_world
from bot.devtools.fake_upstream import use_fake
from bot.devtools.testing import has_button
from bot.devtools.testing import open_event_form
from cogs.contribute._cog import ContributeCog
from cogs.contribute._engine import poll_prefix
from cogs.contribute._engine import releases_prefix
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
    t.chapter("GitHub in Discord")
    t.say(
        "The playground has no network: this chapter starts the fake GitHub and PyPI "
        "the tests use (bot/devtools/fake_upstream.py) on 127.0.0.1 and points the "
        "bot's GitHub client at it."
    )
    fake = FakeApis()
    await fake.start()
    pallets_world(fake, utcnow())
    await use_fake(t.bot, fake)
    try:
        await _references(t)
        await _claims(t, fake)
        await _sprint(t)
        await _releases(t, fake)
    finally:
        # Nothing later (the prompt) asks the stopped fake.
        await t.bot.scheduler.cancel_prefix(poll_prefix())
        await t.bot.scheduler.cancel_prefix(releases_prefix())
        await fake.stop()
    t.chapter("Monthly thanks")
    t.say(
        "On the first of each month at 15:00 UTC the announcements channel thanks "
        "who solved questions, mentored, completed tasks, merged pull requests or "
        "cared for extensions last month, from the bot's own records. Members who "
        "said /contribute "
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
        "contribute-mentor task post",
        title="Translate the Flask quickstart into Portuguese",
        description="docs/quickstart.rst; share a gist or open a pull request.",
        kind="translation",
    )
    t.say_hidden(
        "Mentors post tasks and keep sprint boards with /contribute-mentor, which "
        "Discord shows to mentors and organisers alone",
        w.alice,
        "contribute-mentor",
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


async def _references(t: Tour) -> None:
    w = t.world
    t.say(
        "Issue and pull request references in a message get one compact answer; code "
        "and quotes do not, nor repositories outside pallets and pallets-eco:"
    )
    await t.send(
        w.alice,
        w.general,
        "Has anyone looked at flask#5000 and pallets-eco/flask-wtf#123?",
    )
    await t.send(w.bob, w.general, "`flask#5000` in code, and django/django#1: nothing")


async def _claims(t: Tour, fake: FakeApis) -> None:
    w = t.world
    t.chapter("Issues for newcomers, and claims")
    t.say(
        "One search request every 20 minutes (5 with a token) lists the open "
        "newcomer issues of both organisations. The first use starts it:"
    )
    await t.slash(w.alice, w.general, "contribute issues")
    await t.advance(minutes=21)
    await t.slash(w.alice, w.general, "contribute issues")
    t.say(
        "A newcomer who only writes that they want to contribute is shown the same "
        "way in (once an hour in a channel; under a forum post, instead of the "
        "checklist for reporting a bug):"
    )
    await t.send(w.carol, w.general, "Hi! How can I contribute to Flask?")
    await t.slash(w.alice, w.general, "contribute claim", issue="pallets/flask#5000")
    t.say("Bob sees it is taken; competing pull requests are avoided:")
    await t.slash(w.bob, w.general, "contribute claim", issue="pallets/flask#5000")
    await t.slash(w.bob, w.general, "contribute claim", issue="pallets/flask#4999")
    t.say('Alice opens a pull request that says "Fixes #5000"; the next poll sees it:')
    pull = fake.repo("pallets/flask").add_issue(
        FakeIssue(
            5010,
            "Document config loading in the factory",
            "alice-gh",
            is_pull=True,
            body="Fixes #5000",
            updated=utcnow(),
        )
    )
    await t.advance(minutes=20)
    await t.slash(w.alice, w.general, "contribute mine")
    t.say("A maintainer merges it: a thank-you by DM and a shout-out.")
    pull.state, pull.merged, pull.updated = "closed", True, utcnow()
    await t.advance(minutes=20)


async def _sprint(t: Tour) -> None:
    w = t.world
    t.chapter("A sprint board")
    t.say("An organiser announces an evening sprint, as in the events chapter:")
    shown = await open_event_form(w, kind="sprint", timezone="UTC")
    start = utcnow() + timedelta(hours=2)
    form = {
        "title": "Pallets evening sprint",
        "description": "Newcomers welcome: mentors on duty all evening.",
        "start": f"{start:%Y-%m-%d %H}:00",
        "end": f"{start + timedelta(hours=3):%Y-%m-%d %H}:00",
        "location": "https://meet.example/pallets-sprint",
    }
    understood = await t.submit(w.organiser, shown, form)
    preview = understood
    if understood.response is not None and has_button(understood.response, "Confirm"):
        preview = await t.click(w.organiser, understood.response, "Confirm")
    assert preview.response is not None
    await t.click(w.organiser, preview.response, "Publish")
    sprints = await records.sprints(t.bot.db, w.guild.id, ending_after=now_ts())
    sprint = next(e for e in sprints if e.title == form["title"])
    event = str(sprint.id)
    t.say(
        "It gets a board; a mentor picks issues for it, and the board shows each "
        "repository's set-up steps (clone, the locked environment, the tests):"
    )
    await t.slash(
        w.mentor,
        w.general,
        "contribute-mentor sprint pick",
        event=event,
        issue="flask#5001",
    )
    await t.slash(
        w.mentor,
        w.general,
        "contribute-mentor sprint pick",
        event=event,
        issue="pallets-eco/flask-wtf#123",
    )
    t.say(
        "The board goes up in the sprint's channel; claims and merges keep it current:"
    )
    await t.slash(w.mentor, w.general, "contribute-mentor sprint board", event=event)
    await t.slash(
        w.bob, w.general, "contribute sprint claim", event=event, issue="flask#5001"
    )
    await t.slash(
        w.carol, w.general, "contribute sprint claim", event=event, issue="flask#5001"
    )
    await t.slash(
        w.carol,
        w.general,
        "contribute sprint help",
        event=event,
        note="The tests fail on Windows",
    )
    call = w.general.last_message
    if call is not None and call.components:
        await t.click(w.mentor, call, "I'm on it")
    t.say(
        "When the sprint ends, the board's channel hears what was merged, and thanks:"
    )
    await t.advance_to(to_ts(sprint.ends_at) + 60)


async def _releases(t: Tour, fake: FakeApis) -> None:
    t.chapter("Release announcements")
    t.say(
        "Every 6 hours (hourly with a token) the bot looks for new releases of the "
        "Pallets projects, GitHub first, PyPI when GitHub has none. What was out "
        "before it first looked is not news. Flask 3.1.1 comes out:"
    )
    await t.advance(hours=6)
    fake.repo("pallets/flask").releases.append(
        FakeRelease("3.1.1", utcnow(), "davidism")
    )
    await t.advance(hours=6)
    t.say(
        "Only the role members opted in to is pinged, and the message's "
        "allowed_mentions names that role alone."
    )
