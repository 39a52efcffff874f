"""Playground: the extension watch, as a member and an organiser use it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.devtools.fake_upstream import ecosystem
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import Fault
from bot.devtools.fake_upstream import use_fake
from cogs.extwatch._cog import ExtWatchCog
from cogs.extwatch._engine import weekly_prefix
from cogs.extwatch._logic import next_weekly

if TYPE_CHECKING:
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
    t.say("Only organisers may make the bot fetch:")
    await t.slash(w.alice, w.general, "ext refresh")
    await t.slash(w.organiser, w.general, "ext refresh")
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
        "ext watch-add",
        name="Flask-Old",
        repo="example/flask-old",
        notes="Asked about in #questions",
    )
    await t.slash(w.organiser, w.general, "ext watch-remove", name="Flask-Old")

    t.say(
        "GitHub starts answering garbage. The refresh keeps the last good data and "
        "marks it stale:"
    )
    fake.fail("/repos/maxcountryman/flask-login", Fault.MALFORMED, times=None)
    await t.advance(hours=3)
    await t.slash(w.organiser, w.general, "ext refresh", name="Flask-Login")
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
    t.say(
        "The tour then stops the fake server and cancels the next weekly check, so "
        "nothing later tries the network; at the prompt, /ext status and /ext report "
        "still answer from the cache, and /ext refresh reports the data as stale."
    )
    await bot.scheduler.cancel_prefix(weekly_prefix(w.guild.id))
    cog = bot.get_cog(ExtWatchCog.__cog_name__)
    assert isinstance(cog, ExtWatchCog)
    # simcord detaches the bot without unloading cogs: close the PyPI/OSV session.
    await cog.engine.client.close()
    await fake.stop()
