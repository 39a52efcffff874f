"""/ext end to end: simcord for Discord, the fake PyPI/GitHub/OSV on loopback."""

from __future__ import annotations

from typing import Any

import pytest
import simcord

from bot import Settings
from bot.app import PalletsBot
from bot.clock import from_ts
from bot.db import Database
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import Fault
from bot.devtools.testing import restart
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from bot.github import GitHub
from bot.http_cache import HttpCache
from bot.scheduler import Job
from cogs.extwatch import _queries as q
from cogs.extwatch._client import ApiClient
from cogs.extwatch._cog import ExtWatchCog
from cogs.extwatch._engine import ExtWatchEngine
from cogs.extwatch._engine import weekly_key
from cogs.extwatch._logic import Status
from tests.cogs.extwatch.conftest import text_of

DAY = 86400

# A weekly check fetches the whole list (about 70 requests) on loopback while
# simcord advances time; under a loaded machine that takes more than the default
# five real seconds to settle.
pytestmark = pytest.mark.simcord(settle_timeout=60)


def engine_of(env: simcord.Env) -> ExtWatchEngine:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    cog = bot.get_cog(ExtWatchCog.__cog_name__)
    assert isinstance(cog, ExtWatchCog)
    return cog.engine


def use_fast_client(env: simcord.Env, fake: FakeApis) -> None:
    """Short timeout and backoff, so fault tests take a second, not a minute."""
    engine = engine_of(env)
    engine.client = ApiClient(
        HttpCache(engine.bot.db), timeout=0.5, attempts=2, backoff=0.05
    )
    engine.bot.github = GitHub(
        HttpCache(engine.bot.db),
        base_url=fake.url,
        timeout=0.5,
        attempts=2,
        backoff=0.05,
    )


def log_posts(world: World) -> list[str]:
    return [
        m.content
        for m in world.log.history()
        if m.content and m.content.startswith("Extension watch")
    ]


async def watched_names(env: simcord.Env, world: World) -> set[str]:
    engine = engine_of(env)
    await engine.ensure_guild(world.guild.id)
    return {w.display_name for w in await q.watched(engine.bot.db, world.guild.id)}


# -- reading ---------------------------------------------------------------------------------
async def test_status_answers_from_the_cache_without_fetching(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    refreshed = await world.organiser.slash(world.general, "ext-admin refresh")
    assert refreshed.ephemeral
    assert "Checked 55 extensions." in text_of(refreshed)
    asked = len(fake.requests)

    result = await world.alice.slash(world.general, "ext status", name="Flask-Login")

    assert result.ephemeral
    text = text_of(result)
    assert "Flask-Login: watch" in text
    assert "no release in 16 months" in text
    assert "0.6.3" in text
    assert "https://github.com/maxcountryman/flask-login" in text
    assert len(fake.requests) == asked  # answered from SQLite


async def test_status_shows_each_warning_sign(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.organiser.slash(world.general, "ext-admin refresh")
    security = text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-Security")
    )
    assert "Flask-Security: at risk" in security
    assert "the repository is archived" in security
    assert "no release in 78 months" in security
    cors = text_of(
        await world.alice.slash(world.general, "ext status", name="flask_cors")
    )
    assert "Flask-Cors: at risk" in cors
    assert "CVE-2024-1681" in cors
    healthy = text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-SQLAlchemy")
    )
    assert "Flask-SQLAlchemy: healthy" in healthy
    assert "accepts the current major" in healthy


async def test_status_before_any_fetch_says_not_checked_yet(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    result = await world.alice.slash(world.general, "ext status", name="Flask-WTF")
    assert "not checked yet" in text_of(result)
    assert fake.requests == []


async def test_status_of_an_unwatched_package_is_a_clear_error(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.alice.slash(world.general, "ext status", name="Flask-Nope")
    assert result.ephemeral
    assert result.response is not None
    assert "Flask-Nope is not on the watch list" in result.response.content


async def test_autocomplete_offers_the_watch_list(
    simcord_env: simcord.Env, world: World
) -> None:
    choices = await world.alice.autocomplete(world.general, "ext status", "name", "sql")
    assert [c["value"] for c in choices] == [
        "Flask-SQLAlchemy",
        "Flask-SQLAlchemy-Lite",
        "WTForms-SQLAlchemy",
    ]
    everything = await world.alice.autocomplete(world.general, "ext status", "name", "")
    assert len(everything) == 25  # Discord shows at most 25


async def test_status_and_its_autocomplete_write_nothing_once_seeded(
    simcord_env: simcord.Env,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first use seeds the list (one write); a restarted bot finds it seeded.
    await world.alice.slash(world.general, "ext status", name="Flask-Login")
    bot = await restart(simcord_env, settings)
    writes: list[str] = []
    original = Database.transaction

    def counted(self: Database) -> Any:
        writes.append("transaction")
        return original(self)

    monkeypatch.setattr(Database, "transaction", counted)
    for typed in ("f", "fl", "fla"):
        await world.alice.autocomplete(world.general, "ext status", "name", typed)
    result = await world.alice.slash(world.general, "ext status", name="Flask-Login")

    assert "Flask-Login" in text_of(result)
    assert writes == []
    assert await bot.db.fetchval("SELECT count(*) FROM extwatch_seeded") == 1


async def test_report_is_grouped_worst_first_and_paginated(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.organiser.slash(world.general, "ext-admin refresh")
    result = await world.alice.slash(world.general, "ext report")
    assert result.ephemeral and result.response is not None
    first = result.response.embeds[0]
    assert first.description is not None
    assert first.description.startswith("__at risk (2)__")
    assert "**Flask-Cors**" in first.description
    assert "__watch (1)__" in first.description
    assert first.footer.text == "Page 1 of 6"

    turned = await world.alice.click(result.response, label="Next")

    assert turned.response is not None
    page_two = turned.response.embeds[0]
    assert page_two.footer.text == "Page 2 of 6"
    assert "__healthy (52)__" in (page_two.description or "")


async def test_report_pages_turn_back_after_a_restart(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    await world.organiser.slash(world.general, "ext-admin refresh")
    result = await world.alice.slash(world.general, "ext report")
    assert result.response is not None
    turned = await world.alice.click(result.response, label="Next")
    assert turned.response is not None
    assert turned.response.embeds[0].footer.text == "Page 2 of 6"

    await restart(simcord_env, settings)
    back = await world.alice.click(turned.response, label="Previous")

    assert back.response is not None
    first = back.response.embeds[0]
    assert first.footer.text == "Page 1 of 6"
    assert (first.description or "").startswith("__at risk (2)__")


# -- permissions and input -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("ext-admin refresh", {}),
        ("ext-admin watch-add", {"name": "Flask-Old"}),
        ("ext-admin watch-remove", {"name": "Flask-Login"}),
    ],
)
async def test_members_without_the_organiser_role_are_refused(
    simcord_env: simcord.Env,
    world: World,
    fake: FakeApis,
    command: str,
    options: dict[str, str],
) -> None:
    before = await watched_names(simcord_env, world)
    show_to_everyone(world, "ext-admin")  # hidden; the bot refuses too
    result = await world.helper.slash(world.general, command, **options)
    assert result.ephemeral
    assert result.response is not None
    assert "Only members with the organiser role" in result.response.content
    assert await watched_names(simcord_env, world) == before
    assert fake.requests == []


async def test_watch_add_checks_the_new_extension_at_once(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    result = await world.organiser.slash(
        world.general,
        "ext-admin watch-add",
        name="Flask-Old",
        repo="https://github.com/example/flask-old",
        notes="Asked about in #questions",
    )
    assert result.ephemeral
    text = text_of(result)
    assert "Flask-Old is now on the watch list." in text
    assert "Flask-Old: at risk" in text
    assert "excludes Flask 3" in text
    assert "Asked about in #questions" in text
    assert set(fake.paths()) >= {
        "/pypi/flask-old/json",
        "/repos/example/flask-old",
        "/v1/query",
    }
    assert "Flask-Old" in await watched_names(simcord_env, world)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "flask login"}, "is not a valid package name"),
        ({"name": "Flask-Old", "repo": "gitlab.com/x"}, "is not a GitHub repository"),
        ({"name": "flask_login"}, "is already on the watch list"),
    ],
)
async def test_watch_add_bad_input_changes_nothing(
    simcord_env: simcord.Env,
    world: World,
    fake: FakeApis,
    options: dict[str, str],
    message: str,
) -> None:
    before = await watched_names(simcord_env, world)
    result = await world.organiser.slash(
        world.general, "ext-admin watch-add", **options
    )
    assert result.ephemeral
    assert message in text_of(result)
    assert await watched_names(simcord_env, world) == before
    assert fake.requests == []


async def test_watch_remove_takes_it_off_and_it_stays_off(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    result = await world.organiser.slash(
        world.general, "ext-admin watch-remove", name="Flask-Security"
    )
    assert "Flask-Security is no longer on the watch list." in text_of(result)
    again = await world.organiser.slash(
        world.general, "ext-admin watch-remove", name="Flask-Security"
    )
    assert "is not on the watch list" in text_of(again)
    await restart(simcord_env, settings)
    assert "Flask-Security" not in await watched_names(simcord_env, world)


# -- network trouble ------------------------------------------------------------------------
# Timeouts are left out here: simcord runs the bot's timers on its virtual clock, so
# aiohttp's timeout would not fire in real time. test_refresh.py covers a timeout
# keeping stale data on a real event loop.
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.SERVER_ERROR, "server error"),
        (Fault.TOO_MANY, "rate limited"),
        (Fault.MALFORMED, "unreadable answer"),
        (Fault.RATE_LIMIT, "rate limited"),
    ],
)
async def test_failed_fetch_keeps_the_last_good_data_marked_stale(
    simcord_env: simcord.Env,
    world: World,
    fake: FakeApis,
    fault: Fault,
    reason: str,
) -> None:
    use_fast_client(simcord_env, fake)
    fake.retry_after = 3600
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Login")
    await simcord_env.advance_time(3 * DAY)
    fake.fail("/repos/maxcountryman/flask-login", fault, times=None)
    fake.fail("/pypi/Flask-Login/json", fault, times=None)
    fake.fail("/pypi/flask-login/json", fault, times=None)

    refreshed = await world.organiser.slash(
        world.general, "ext-admin refresh", name="Flask-Login"
    )
    assert "could not be fetched completely" in text_of(refreshed)

    text = text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-Login")
    )
    assert "Flask-Login: watch" in text  # judged on the last good data
    assert "0.6.3" in text and "open issues: 60" in text
    assert (
        f"GitHub: stale, the last good data is 3 days old (last fetch: {reason})"
        in text
    )
    assert (
        f"PyPI: stale, the last good data is 3 days old (last fetch: {reason})" in text
    )


async def test_recovered_fetch_clears_the_stale_mark(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    use_fast_client(simcord_env, fake)
    fake.fail("/repos/maxcountryman/flask-login", Fault.SERVER_ERROR, times=None)
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Login")
    assert "GitHub: never fetched (server error)" in text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-Login")
    )
    fake.clear_faults()
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Login")
    text = text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-Login")
    )
    assert "stale" not in text and "never fetched" not in text


async def test_a_short_outage_is_ridden_out_by_retries(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    use_fast_client(simcord_env, fake)
    fake.fail("/pypi/flask-login/json", Fault.SERVER_ERROR, times=1)
    refreshed = await world.organiser.slash(
        world.general, "ext-admin refresh", name="Flask-Login"
    )
    assert "could not be fetched" not in text_of(refreshed)
    assert fake.paths("/pypi/flask-login").count("/pypi/flask-login/json") == 2


# -- the weekly check --------------------------------------------------------------------------
async def first_weekly(env: simcord.Env, world: World) -> None:
    """Use /ext once (which starts the weekly check), then advance from Thursday
    1 January 00:00 to the first check, Monday 5 January 06:00."""
    await world.alice.slash(world.general, "ext status", name="Flask-Login")
    await env.advance_time(4 * DAY + 6 * 3600 + 60)


async def test_weekly_check_posts_only_changes_once_across_a_restart(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    await first_weekly(simcord_env, world)
    assert fake.paths("/pypi/flask-login/json")
    assert log_posts(world) == []  # the first check only sets the baseline

    fake.repo("pallets-eco/flask-sqlalchemy").archived = True
    await simcord_env.advance_time(7 * DAY)

    posts = log_posts(world)
    assert len(posts) == 1
    assert (
        "Flask-SQLAlchemy: healthy → at risk (the repository is archived)" in posts[0]
    )
    assert "Flask-Login" not in posts[0]

    await restart(simcord_env, settings)
    await simcord_env.advance_time(7 * DAY)
    assert len(log_posts(world)) == 1  # nothing changed since


async def test_a_rerun_of_the_same_weekly_check_does_not_post_twice(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    await first_weekly(simcord_env, world)
    fake.repo("pallets-eco/flask-sqlalchemy").archived = True
    await simcord_env.advance_time(7 * DAY)
    assert len(log_posts(world)) == 1

    # A crash after the post and before the statuses were recorded: the job runs
    # again after the restart with the old statuses.
    bot = await restart(simcord_env, settings)
    engine = engine_of(simcord_env)
    await q.set_reported(bot.db, world.guild.id, {"flask-sqlalchemy": Status.HEALTHY})
    row = await bot.scheduler.get(
        weekly_key(world.guild.id, from_ts(1768197600))  # Monday 12 January 06:00
    )
    assert row is not None and row["state"] == "done"
    await engine.on_weekly(Job.from_row(row, late=True))
    await simcord_env.settle()

    assert len(log_posts(world)) == 1


async def test_weekly_check_schedules_the_next_week(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await first_weekly(simcord_env, world)
    bot = engine_of(simcord_env).bot
    pending = await bot.db.fetchall(
        "SELECT key, due_at FROM jobs WHERE kind = 'extwatch.weekly' AND state = 'pending'"
    )
    assert [from_ts(r["due_at"]).isoformat() for r in pending] == [
        "2026-01-12T06:00:00+00:00"
    ]


async def test_a_server_that_never_used_ext_makes_no_requests(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await simcord_env.advance_time(14 * DAY)
    assert fake.requests == []
    bot = engine_of(simcord_env).bot
    assert (
        await bot.db.fetchval(
            "SELECT count(*) FROM jobs WHERE kind = 'extwatch.weekly'"
        )
        == 0
    )


async def test_weekly_check_resumes_after_a_restart(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    await world.alice.slash(world.general, "ext status", name="Flask-Login")
    bot = await restart(simcord_env, settings)
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)
    assert fake.paths("/pypi/flask-login/json")
    pending = await bot.db.fetchval(
        "SELECT count(*) FROM jobs WHERE kind = 'extwatch.weekly' AND state = 'pending'"
    )
    assert pending == 1
