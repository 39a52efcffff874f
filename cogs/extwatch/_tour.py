"""Playground: the extension watch, as a member and an organiser use it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.devtools.fake_upstream import ecosystem
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakePackage
from bot.devtools.fake_upstream import FakeRepo
from bot.devtools.fake_upstream import Fault
from bot.devtools.fake_upstream import use_fake
from cogs.extwatch._cog import ExtWatchCog
from cogs.extwatch._engine import weekly_prefix
from cogs.extwatch._logic import next_weekly

if TYPE_CHECKING:
    from simcord import ChannelHandle

    from bot.devtools.playground import Tour

ORDER = 50


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("Extension watch")
    t.say(
        "The playground has no network, so this step starts a tiny fake PyPI, GitHub "
        "and OSV on 127.0.0.1 inside this process (bot/devtools/fake_upstream.py, the one the "
        "tests use) and points the bot's base URLs at it. Its data is made up but "
        "shaped like the real APIs' answers."
    )
    fake = FakeApis()
    await fake.start()
    ecosystem(utcnow()).install(fake)
    bot = t.bot
    await use_fake(bot, fake)

    t.say("Before anything was fetched, a member asks about Flask-Login:")
    await t.slash(w.alice, w.general, "ext status", name="Flask-Login")
    t.say_hidden(
        "Organisers keep the watch list with /ext-admin, which Discord shows to the "
        "organiser role alone",
        w.alice,
        "ext-admin",
    )
    await t.slash(w.organiser, w.general, "ext-admin refresh")
    t.say("Now members get answers from the cache, instantly:")
    await t.slash(w.alice, w.general, "ext status", name="Flask-Login")
    await t.slash(w.alice, w.general, "ext status", name="Flask-Cors")
    result = await t.slash(w.alice, w.general, "ext report")
    if result.response is not None:
        await t.click(w.alice, result.response, "Next")

    t.say("An organiser adds an extension someone asked about, and removes it again:")
    await t.slash(
        w.organiser,
        w.general,
        "ext-admin watch-add",
        name="Flask-Old",
        repo="example/flask-old",
        notes="Asked about in #questions",
    )
    await t.slash(w.organiser, w.general, "ext-admin watch-remove", name="Flask-Old")

    t.say(
        "GitHub starts answering garbage. The refresh keeps the last good data and "
        "marks it stale:"
    )
    fake.fail("/repos/maxcountryman/flask-login", Fault.MALFORMED, times=None)
    await t.advance(hours=3)
    await t.slash(w.organiser, w.general, "ext-admin refresh", name="Flask-Login")
    await t.slash(w.alice, w.general, "ext status", name="Flask-Login")
    fake.clear_faults()

    t.say(
        "Every Monday at 06:00 UTC the bot checks the whole list again. The first "
        "check only records each status; later ones post in the log channel when a "
        "status changed, and stay silent otherwise."
    )
    first = next_weekly(utcnow())
    await t.advance(minutes=(first - utcnow()).total_seconds() / 60 + 5)
    t.say("During the week, Flask-SQLAlchemy's repository gets archived (in the fake).")
    fake.repo("pallets-eco/flask-sqlalchemy").archived = True
    await t.advance(days=7)
    await stewardship(t, fake)

    t.say(
        "The tour then stops the fake server and cancels the next weekly check, so "
        "nothing later tries the network; at the prompt, /ext status and /ext report "
        "still answer from the cache, and /ext-admin refresh reports the data as stale."
    )
    await bot.scheduler.cancel_prefix(weekly_prefix(w.guild.id))
    cog = bot.get_cog(ExtWatchCog.__cog_name__)
    assert isinstance(cog, ExtWatchCog)
    # simcord detaches the bot without unloading cogs: close the PyPI/OSV session.
    await cog.engine.client.close()
    await fake.stop()


async def stewardship(t: Tour, fake: FakeApis) -> None:
    """Issue 17: the real list, caretakers, telling users, adoption, releases."""
    w = t.world
    t.chapter("Extensions: every pallets-eco repository")
    t.say(
        "The weekly check (and an organiser's full refresh) reads GitHub's listing of "
        "the pallets-eco organisation. A repository the list lacks is added, with its "
        "PyPI name and a forum tag, and organisers hear about it once."
    )
    fake.add(
        FakePackage(
            "Flask-Gizmo", "1.0.0", utcnow(), ["Flask>=3"], "pallets-eco/flask-gizmo"
        )
    )
    fake.add_repo(FakeRepo("pallets-eco/flask-gizmo", pushed=utcnow()))
    await t.slash(w.organiser, w.general, "ext-admin refresh")
    t.say("The list now holds every repository of the organisation:")
    result = await t.slash(w.alice, w.general, "ext report")
    for _page in range(2):
        if result.response is None or not result.response.components:
            break
        result = await t.click(w.alice, result.response, "Next")
    t.say("A question about the new extension is tagged and escalates to it at once:")
    gizmo = await t.post_question(
        w.bob, "Gizmo breaks on startup", "flask_gizmo raises at import time."
    )
    t.say(f"Its forum tags: {tags_of(t, gizmo)}")
    await t.slash(w.helper, gizmo, "triage escalate")
    t.say("And so does one about Flask-Mail, which the shipped forum tags lacked:")
    mail = await t.post_question(
        w.carol, "Flask-Mail does not send", "from flask_mail import Mail: nothing."
    )
    t.say(f"Its forum tags: {tags_of(t, mail)}")
    await t.slash(w.helper, mail, "triage escalate")

    t.chapter("Extensions: caretakers")
    extensions = w.guild.create_text_channel("extensions")
    t.say("An admin picks the public channel where members read about extensions:")
    await t.slash(w.admin, w.general, "setup channels", extensions=extensions)
    t.say("Carol uses Flask-Mail and follows it:")
    await t.slash(w.carol, w.general, "ext follow", name="Flask-Mail")
    t.say("Alice offers to help; organisers see the offer with buttons in the log:")
    await t.slash(
        w.alice,
        w.general,
        "ext volunteer",
        name="Flask-Mail",
        help="triage",
        hours="few",
        github="alice-gh",
    )
    offer = w.log.last_message
    if offer is not None:
        t.say("An organiser accepts it (nobody may decide on their own offer):")
        await t.click(w.organiser, offer, "Accept")
    t.say("The organiser adds a second caretaker; Flask-Mail's policy asks for two:")
    await t.slash(
        w.organiser,
        w.general,
        "ext-admin caretaker-add",
        name="Flask-Mail",
        member=w.helper,
        role="maintainer",
        github="hugo-gh",
    )
    await t.slash(w.organiser, w.general, "ext-admin refresh", name="Flask-Mail")
    await t.slash(w.bob, w.general, "ext status", name="Flask-Mail")
    t.say(
        "Hugo steps back. Flask-Mail drops below its minimum: Carol hears by direct "
        "message and #extensions gets one post. Nothing repeats later."
    )
    await t.slash(
        w.organiser,
        w.general,
        "ext-admin caretaker-remove",
        name="Flask-Mail",
        member=w.helper,
    )
    await t.slash(w.organiser, w.general, "ext-admin refresh", name="Flask-Mail")

    t.chapter("Extensions: a question about one at risk")
    await t.slash(w.organiser, w.general, "ext-admin refresh", name="Flask-Security")
    await t.post_question(
        w.bob, "Flask-Security login", "flask-security's login view returns 404."
    )

    t.chapter("Extensions: adoption")
    t.say(
        "Flask-Login lives outside pallets-eco. Organisers open an adoption case and "
        "record each step, with who did it and when:"
    )
    await t.slash(w.organiser, w.general, "ext-admin adoption-open", name="Flask-Login")
    await t.slash(
        w.organiser,
        w.general,
        "ext-admin adoption-step",
        name="Flask-Login",
        step="answer",
    )
    steps = [
        ("contact", {"note": "Emailed the maintainer"}),
        ("answer", {"note": "Happy to hand it over"}),
        ("repository", {"repo": "pallets-eco/flask-login"}),
        ("pypi", {}),
        ("ci", {}),
        ("release", {"note": "0.7.0"}),
    ]
    for step, options in steps:
        await t.slash(
            w.organiser,
            w.general,
            "ext-admin adoption-step",
            name="Flask-Login",
            step=step,
            **options,
        )
    await t.slash(w.bob, w.general, "ext adoption", name="Flask-Login")

    t.chapter("Extensions: a new Flask release")
    t.say(
        "Every three hours the bot looks at Flask, Werkzeug and Jinja on PyPI. Flask "
        "3.2.0 comes out (in the fake): the watch lists the extensions whose declared "
        "requirement excludes it, the same day."
    )
    await t.advance(hours=3)
    fake.packages["flask"].version = "3.2.0"
    await t.advance(hours=3)


def tags_of(t: Tour, thread: ChannelHandle) -> str:
    """The forum tags of a post, by name."""
    backend = t.env.backend
    forum = backend.get_channel(t.world.questions.id)
    names = {int(tag["id"]): tag["name"] for tag in forum.available_tags}
    return ", ".join(names[i] for i in backend.get_channel(thread.id).applied_tags)
