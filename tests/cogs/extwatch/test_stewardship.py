"""Issue 17 end to end: the real list, caretakers, adoption, followers, releases.

simcord for Discord, the fake PyPI/GitHub/OSV (bot/devtools/fake_upstream.py) on
loopback. Each test is one "done when" item of the issue, or the bad input around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import simcord

from bot import Settings
from bot.app import PalletsBot
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeCommit
from bot.devtools.fake_upstream import FakePackage
from bot.devtools.fake_upstream import FakeRelease
from bot.devtools.fake_upstream import FakeRepo
from bot.devtools.fake_upstream import vulnerability
from bot.devtools.testing import post_question
from bot.devtools.testing import restart
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from tests.cogs.extwatch.conftest import add_caretaker
from tests.cogs.extwatch.conftest import ghost_goes_quiet
from tests.cogs.extwatch.conftest import START
from tests.cogs.extwatch.conftest import text_of

DAY = 86400

pytestmark = pytest.mark.simcord(settle_timeout=60)


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


def texts(channel: Any) -> list[str]:
    return [m.content for m in channel.history() if m.content]


def tag_names(
    env: simcord.Env, world: World, thread: simcord.ChannelHandle
) -> list[str]:
    backend = env.backend
    forum = backend.get_channel(world.questions.id)
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [by_id[t] for t in backend.get_channel(thread.id).applied_tags]


async def count(env: simcord.Env, sql: str, *params: Any) -> int:
    return int(await bot_of(env).db.fetchval(sql, params))


async def extensions_channel(world: World) -> simcord.ChannelHandle:
    channel = world.guild.create_text_channel("extensions")
    await world.admin.slash(world.general, "setup channels", extensions=channel)
    return channel


# -- the real list ----------------------------------------------------------------------------
async def test_the_list_covers_every_repository_of_the_organisation(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    fake.add(
        FakePackage(
            "Flask-Gizmo", "1.0.0", START, ["Flask>=3"], "pallets-eco/flask-gizmo"
        )
    )
    fake.add_repo(FakeRepo("pallets-eco/flask-gizmo", pushed=START))
    fake.add_repo(FakeRepo("pallets-eco/notes-not-a-package", pushed=START))
    fake.add_repo(FakeRepo("pallets-eco/.github", pushed=START))
    fake.add_repo(FakeRepo("pallets-eco/flask-fork", pushed=START, fork=True))

    await world.organiser.slash(world.general, "ext-admin refresh")

    listed = []
    result = await world.alice.slash(world.general, "ext report")
    while True:
        assert result.response is not None
        listed.append(result.response.embeds[0].description or "")
        page = result.response.embeds[0].footer.text or ""
        if not page or page.startswith("Page 6"):
            break
        result = await world.alice.click(result.response, label="Next")
    report = "\n".join(listed)
    # Nobody looks after them yet: the report says so, not only /ext status.
    assert "**Flask-Gizmo**" in report
    gizmo = next(line for line in report.splitlines() if "**Flask-Gizmo**" in line)
    assert "⚠️ needs caretakers: 0/2" in gizmo
    every_org_repo = [
        r for r in fake.repos.values() if r.owner == "pallets-eco" and not r.fork
    ]
    for repo in every_org_repo:
        if repo.name.startswith("."):
            continue
        entry = await bot_of(simcord_env).flask_extensions.by_repo(
            world.guild.id, repo.full_name
        )
        assert entry is not None and entry.watched, repo.full_name
        assert f"**{entry.display_name}**" in report
    assert "**Flask-Gizmo**" in report  # its PyPI name, from PyPI
    assert "**notes-not-a-package**" in report  # no PyPI package: GitHub only
    notices = [t for t in texts(world.log) if t.startswith("New in pallets-eco")]
    assert len(notices) == 2
    # Announced once: a second refresh, a restart and a weekly check add nothing.
    await world.organiser.slash(world.general, "ext-admin refresh")
    await restart(simcord_env, settings)
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)
    assert len([t for t in texts(world.log) if t.startswith("New in pallets-eco")]) == 2

    # The new extension has its forum tag and escalation target at once.
    thread = await post_question(
        world, world.bob, "Gizmo breaks", "I use flask_gizmo with Flask 3."
    )
    assert "Flask-Gizmo" in tag_names(simcord_env, world, thread)
    escalated = await world.helper.slash(thread, "triage escalate")
    assert "pallets-eco/flask-gizmo" in text_of(escalated)


async def test_a_flask_mail_question_is_tagged_and_escalates(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(
        world,
        world.bob,
        "Flask-Mail does not send",
        "from flask_mail import Mail, Message; mail.send(msg) does nothing.",
    )
    assert "Flask-Mail" in tag_names(simcord_env, world, thread)
    guessed = await world.helper.slash(thread, "triage escalate")
    assert "https://github.com/pallets-eco/flask-mail/issues/new?" in text_of(guessed)
    named = await world.helper.slash(
        thread, "triage escalate", repo="pallets-eco/flask-mail"
    )
    assert "pallets-eco/flask-mail" in text_of(named)
    rule = await world.helper.slash(
        world.general, "triage tag-rule-add", tag="Flask-Mail", keyword="smtplib"
    )
    assert "Unknown tag" not in text_of(rule)


async def test_specific_extensions_win_over_what_they_build_on(
    simcord_env: simcord.Env, world: World
) -> None:
    lite = await post_question(
        world,
        world.bob,
        "Flask-SQLAlchemy-Lite engine per request",
        "With flask_sqlalchemy_lite, db.session is not the same object twice.",
    )
    tags = tag_names(simcord_env, world, lite)
    assert "SQLAlchemy-Lite" in tags and "Flask-SQLAlchemy" not in tags
    alembic = await post_question(
        world,
        world.carol,
        "Flask-Alembic revision is empty",
        "flask_alembic generates an empty alembic revision for my models.",
    )
    tags = tag_names(simcord_env, world, alembic)
    assert "Flask-Alembic" in tags and "Flask-Migrate" not in tags


async def test_organisers_edit_an_extension_and_it_applies_at_once(
    simcord_env: simcord.Env, world: World
) -> None:
    edited = await world.organiser.slash(
        world.general,
        "ext-admin edit",
        name="Flask-Mail",
        keywords="flask-mail, smtp relay",
        docs="https://flask-mail.readthedocs.io/en/latest/",
    )
    assert "Keywords: flask-mail, smtp relay" in text_of(edited)
    thread = await post_question(
        world, world.bob, "Mails vanish", "Our smtp relay drops every message."
    )
    assert "Flask-Mail" in tag_names(simcord_env, world, thread)


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        (
            {"name": "Flask-Nope", "tag": "Nope"},
            "I know no extension called Flask-Nope",
        ),
        (
            {"name": "Flask-Mail", "repo": "gitlab.com/x/y"},
            "is not a GitHub repository",
        ),
        ({"name": "Flask-Mail", "docs": "ftp://x"}, "is not a link"),
        ({"name": "Flask-Mail"}, "Name at least one thing to change."),
    ],
)
async def test_bad_edits_are_refused_and_change_nothing(
    simcord_env: simcord.Env, world: World, options: dict[str, str], refusal: str
) -> None:
    before = await bot_of(simcord_env).flask_extensions.find(
        world.guild.id, "Flask-Mail"
    )
    result = await world.organiser.slash(world.general, "ext-admin edit", **options)
    assert result.ephemeral
    assert refusal in text_of(result)
    bot_of(simcord_env).flask_extensions.forget(world.guild.id)
    after = await bot_of(simcord_env).flask_extensions.find(
        world.guild.id, "Flask-Mail"
    )
    assert after == before


# -- caretakers -------------------------------------------------------------------------------
async def test_a_member_volunteers_and_is_accepted(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    offered = await world.alice.slash(
        world.general,
        "ext volunteer",
        name="Flask-Mail",
        help="triage",
        hours="few",
        github="alice-gh",
    )
    assert offered.ephemeral
    assert "Organisers will look at your offer" in text_of(offered)
    posts = [m for m in world.log.history() if "offers to help" in (m.content or "")]
    assert len(posts) == 1
    assert "triaging issues, a few hours a month" in posts[0].content

    twice = await world.alice.slash(
        world.general, "ext volunteer", name="Flask-Mail", help="docs", hours="few"
    )
    assert "You already offered to help with Flask-Mail" in text_of(twice)
    assert await count(simcord_env, "SELECT count(*) FROM ext_offers") == 1

    await restart(simcord_env, settings)  # the buttons outlive a restart
    accepted = await world.organiser.click(posts[0], label="Accept")
    assert accepted.response is not None
    assert "now helps look after Flask-Mail" in accepted.response.content
    dms = texts(world.alice.user.dm_channel)
    assert sum("Good news" in t for t in dms) == 1

    status = text_of(
        await world.bob.slash(world.general, "ext status", name="Flask-Mail")
    )
    assert f"<@{world.alice.id}> (triager · GitHub alice-gh)" in status
    assert accepted.response.components == []  # decided: no more buttons


async def test_the_caretaker_minimum_is_a_policy_per_extension(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.organiser.slash(world.general, "ext-admin refresh")

    async def status(name: str) -> str:
        return text_of(await world.bob.slash(world.general, "ext status", name=name))

    assert "Needs caretakers" in await status("Flask-Mail")  # pallets-eco: 2
    assert "Needs caretakers" not in await status("Flask-Login")  # outside: none
    await world.organiser.slash(
        world.general, "ext-admin edit", name="Flask-Login", caretakers=1
    )
    await world.organiser.slash(
        world.general, "ext-admin edit", name="Flask-Mail", caretakers=0
    )
    login = await status("Flask-Login")
    assert "Needs caretakers" in login and "0 active of the 1" in login
    assert "Needs caretakers" not in await status("Flask-Mail")


async def test_an_organiser_cannot_accept_their_own_offer(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.organiser.slash(
        world.general,
        "ext volunteer",
        name="Flask-Mail",
        help="maintain",
        hours="weekly",
    )
    post = next(m for m in world.log.history() if "offers to help" in (m.content or ""))
    refused = await world.organiser.click(post, label="Accept")
    assert refused.ephemeral
    assert "You cannot decide on your own offer" in text_of(refused)
    state = await bot_of(simcord_env).db.fetchval("SELECT state FROM ext_offers")
    assert state == "pending"
    assert await count(simcord_env, "SELECT count(*) FROM ext_caretakers") == 0


async def test_a_declined_volunteer_with_closed_dms_hears_where_they_asked(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.bob.slash(
        world.general, "ext volunteer", name="Flask-Admin", help="review", hours="more"
    )
    dm = world.bob.user.dm_channel
    simcord_env.inject_error(
        "POST", f"/channels/{dm.id}/messages", status=403, code=50007, times=None
    )
    post = next(m for m in world.log.history() if "offers to help" in (m.content or ""))
    declined = await world.organiser.click(post, label="Decline")
    assert "was declined" in text_of(declined)
    told = [t for t in texts(world.general) if t.startswith(f"<@{world.bob.id}>")]
    assert len(told) == 1
    assert "Organisers cannot take it up this time" in told[0]
    assert "could not send you a direct message" in told[0]


async def test_volunteering_for_an_unknown_extension_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.alice.slash(
        world.general, "ext volunteer", name="Flask-Nope", help="docs", hours="few"
    )
    assert "I know no extension called Flask-Nope" in text_of(result)
    bad = await world.alice.slash(
        world.general,
        "ext volunteer",
        name="Flask-Mail",
        help="docs",
        hours="few",
        github="not a user!",
    )
    assert "is not a GitHub user name" in text_of(bad)
    assert await count(simcord_env, "SELECT count(*) FROM ext_offers") == 0


async def test_dropping_below_the_minimum_reaches_followers_and_the_channel_once(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    public = await extensions_channel(world)
    followed = await world.carol.slash(world.general, "ext follow", name="Flask-Mail")
    assert "You follow Flask-Mail" in text_of(followed)
    for member in (world.helper, world.mentor):
        await add_caretaker(world, member)
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    assert texts(public) == []  # two caretakers: nothing to say

    await world.organiser.slash(
        world.general,
        "ext-admin caretaker-remove",
        name="Flask-Mail",
        member=world.mentor,
    )

    posts = [t for t in texts(public) if "Flask-Mail" in t]
    assert len(posts) == 1
    assert "it needs caretakers: 1 active of the 2 it should have" in posts[0]
    assert "/ext volunteer name:Flask-Mail" in posts[0]
    dms = [t for t in texts(world.carol.user.dm_channel) if "Flask-Mail" in t]
    assert len(dms) == 1
    # Once: refreshing, restarting and the weekly check repeat nothing.
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    await restart(simcord_env, settings)
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)
    assert len([t for t in texts(public) if "Flask-Mail" in t]) == 1
    assert (
        len([t for t in texts(world.carol.user.dm_channel) if "Flask-Mail" in t]) == 1
    )

    status = text_of(
        await world.bob.slash(world.general, "ext status", name="Flask-Mail")
    )
    assert "Needs caretakers" in status and "1 member follows it" in status


async def test_a_quiet_caretaker_is_asked_first_and_stepping_down_is_told(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    public = await extensions_channel(world)
    await world.bob.slash(world.general, "ext follow", name="Flask-Mail")
    # Half a year on the roster without a commit or release by "ghost":
    await ghost_goes_quiet(simcord_env, world, fake)

    asked = [
        m
        for m in world.mentor.user.dm_channel.history()
        if "Are you still in" in m.content
    ]
    assert len(asked) == 1
    assert texts(public) == []  # asked first: nobody is told yet
    answered = await world.mentor.user.click(asked[0], label="No, I step down")
    assert answered.response is not None
    assert "no longer on its roster" in answered.response.content
    posts = [t for t in texts(public) if "Flask-Mail" in t]
    assert len(posts) == 1 and "1 active of the 2" in posts[0]
    assert sum("Flask-Mail" in t for t in texts(world.bob.user.dm_channel)) == 1


async def test_a_caretaker_who_never_answers_counts_as_inactive(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    public = await extensions_channel(world)
    await ghost_goes_quiet(simcord_env, world, fake)
    await bot_of(simcord_env).db.execute(
        "UPDATE ext_caretakers SET asked_at = asked_at - 15 * 86400"
    )
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    posts = [t for t in texts(public) if "Flask-Mail" in t]
    assert len(posts) == 1
    # Said in public without naming them; the roster in /ext status shows who.
    assert "a caretaker had no activity on the repository for 6 months" in posts[0]
    assert "ghost" not in posts[0]
    status = text_of(
        await world.bob.slash(world.general, "ext status", name="Flask-Mail")
    )
    assert "ghost had no activity on the repository for 6 months" in status


async def test_commits_and_releases_from_one_person_need_caretakers(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    mail = fake.repo("pallets-eco/flask-mail")
    mail.commits = [FakeCommit("solo", START, "Fix"), FakeCommit("solo", START, "Docs")]
    mail.releases = [FakeRelease("2.0.0", START, "solo")]
    for member in (world.helper, world.mentor):
        await add_caretaker(world, member, role="triager")
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    status = text_of(
        await world.alice.slash(world.general, "ext status", name="Flask-Mail")
    )
    assert "recent commits and releases all come from one person" in status
    assert "2 commits by 1 person in 6 months" in status


async def test_the_monthly_thanks_name_the_caretakers(
    simcord_env: simcord.Env, world: World
) -> None:
    # The server uses the contributing job, whose monthly post thanks everyone.
    await world.mentor.slash(
        world.general,
        "contribute-mentor task post",
        title="Review the Flask-Mail README",
        description="Read it as a newcomer would.",
        kind="review",
    )
    for name in ("Flask-Mail", "Flask-Admin"):
        await add_caretaker(world, world.carol, name=name)
    await add_caretaker(world, world.bob, role="triager")
    await simcord_env.advance_time(DAY)
    await world.organiser.slash(
        world.general, "ext-admin caretaker-remove", name="Flask-Mail", member=world.bob
    )
    # The thanks for January come on the first of February.
    await simcord_env.advance_time(32 * DAY)
    (post,) = [m.content for m in world.announcements.history() if m.content]
    assert "January 2026" in post
    assert f"<@{world.carol.id}> cared for 2 extensions" in post
    assert f"<@{world.bob.id}> cared for 1 extension" in post


async def test_following_twice_or_unfollowing_a_stranger_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.alice.slash(world.general, "ext follow", name="Flask-WTF")
    again = await world.alice.slash(world.general, "ext follow", name="flask_wtf")
    assert "You already follow Flask-WTF" in text_of(again)
    unknown = await world.alice.slash(world.general, "ext follow", name="Flask-Nope")
    assert "I know no extension called Flask-Nope" in text_of(unknown)
    await world.alice.slash(world.general, "ext unfollow", name="Flask-WTF")
    not_following = await world.alice.slash(
        world.general, "ext unfollow", name="Flask-WTF"
    )
    assert "You do not follow Flask-WTF" in text_of(not_following)
    assert await count(simcord_env, "SELECT count(*) FROM ext_followers") == 0


# -- adoption ---------------------------------------------------------------------------------
async def test_an_adoption_case_goes_through_its_steps(
    simcord_env: simcord.Env, world: World
) -> None:
    inside = await world.organiser.slash(
        world.general, "ext-admin adoption-open", name="Flask-Mail"
    )
    assert "already in pallets-eco" in text_of(inside)
    show_to_everyone(world, "ext-admin")  # hidden; the bot refuses too
    member = await world.alice.slash(
        world.general, "ext-admin adoption-open", name="Flask-Login"
    )
    assert "Only members with the organiser role" in text_of(member)
    opened = await world.organiser.slash(
        world.general, "ext-admin adoption-open", name="Flask-Login"
    )
    assert "Adoption case opened for Flask-Login" in text_of(opened)
    early = await world.organiser.slash(
        world.general, "ext-admin adoption-step", name="Flask-Login", step="answer"
    )
    assert "Record this step first: contact the maintainer" in text_of(early)
    bad_repo = await world.organiser.slash(
        world.general,
        "ext-admin adoption-step",
        name="Flask-Login",
        step="contact",
        repo="https://gitlab.com/x/y",
    )
    assert "is not a GitHub repository" in text_of(bad_repo)

    steps = [
        ("contact", {"note": "Emailed the maintainer"}),
        ("answer", {"note": "Happy to hand it over"}),
        ("repository", {"repo": "pallets-eco/flask-login"}),
        ("pypi", {}),
        ("ci", {}),
    ]
    for step, options in steps:
        await world.organiser.slash(
            world.general,
            "ext-admin adoption-step",
            name="Flask-Login",
            step=step,
            **options,
        )
        await simcord_env.advance_time(DAY)
    twice = await world.organiser.slash(
        world.general, "ext-admin adoption-step", name="Flask-Login", step="ci"
    )
    assert "That step is already recorded" in text_of(twice)
    last = await world.organiser.slash(
        world.general, "ext-admin adoption-step", name="Flask-Login", step="release"
    )
    assert "Adoption of Flask-Login: done" in text_of(last)

    shown = text_of(
        await world.bob.slash(world.general, "ext adoption", name="Flask-Login")
    )
    assert shown.count("✅") == 6
    assert f"contact the maintainer: <@{world.organiser.id}>" in shown
    assert "Happy to hand it over" in shown
    entry = await bot_of(simcord_env).flask_extensions.find(
        world.guild.id, "Flask-Login"
    )
    assert entry is not None and entry.repo == "pallets-eco/flask-login"
    none = await world.bob.slash(world.general, "ext adoption", name="Flask-WTF")
    assert "Flask-WTF has no open adoption case" in text_of(none)


# -- telling users ----------------------------------------------------------------------------
async def test_a_question_about_an_extension_at_risk_gets_one_note(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.organiser.slash(
        world.general, "ext-admin refresh", name="Flask-Security"
    )
    thread = await post_question(
        world,
        world.bob,
        "Flask-Security login view",
        "I use flask-security and the login view 404s.",
    )
    await world.bob.send(thread, "Also flask-security's register view.")
    notes = [t for t in texts(thread) if t.startswith("Heads-up")]
    assert len(notes) == 1
    assert notes[0].startswith("Heads-up: Flask-Security is at risk (")
    assert "its repository is archived" in notes[0]
    assert "Consider Flask-Security-Too instead." in notes[0]
    healthy = await post_question(
        world, world.carol, "Flask-WTF csrf", "flask_wtf CSRFProtect fails."
    )
    assert not [t for t in texts(healthy) if t.startswith("Heads-up")]


async def test_a_new_flask_minor_release_lists_the_extensions_that_exclude_it(
    simcord_env: simcord.Env, world: World, fake: FakeApis, settings: Settings
) -> None:
    public = await extensions_channel(world)
    await world.organiser.slash(world.general, "ext-admin refresh")
    await simcord_env.advance_time(3 * 3600 + 60)  # first check: a baseline
    assert not [t for t in texts(public) if "is out" in t]

    fake.packages["flask"].version = "3.2.0"
    await simcord_env.advance_time(3 * 3600)

    posts = [t for t in texts(public) if "is out" in t]
    assert len(posts) == 1
    assert posts[0].startswith(
        "Flask 3.2.0 is out. 1 watched extension declares a requirement that "
        "excludes it:"
    )
    assert "• Flask-Classful (Flask<3.2,>=2.0)" in posts[0]
    fake.packages["flask"].version = "3.2.1"  # a patch release: nothing to say
    await restart(simcord_env, settings)
    await simcord_env.advance_time(6 * 3600)
    assert len([t for t in texts(public) if "is out" in t]) == 1


async def test_a_new_werkzeug_minor_release_lists_the_extensions_pinned_below_it(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    public = await extensions_channel(world)
    fake.add(
        FakePackage(
            "Flask-Pinned",
            "1.0.0",
            START,
            ["Flask>=3", "Werkzeug<3.2,>=3.0"],
            "example/flask-pinned",
        )
    )
    fake.add_repo(FakeRepo("example/flask-pinned", pushed=START))
    await world.organiser.slash(
        world.general,
        "ext-admin watch-add",
        name="Flask-Pinned",
        repo="example/flask-pinned",
    )
    await simcord_env.advance_time(3 * 3600 + 60)  # first check: a baseline

    fake.packages["jinja2"].version = "3.1.7"  # a patch: nothing to say
    fake.packages["werkzeug"].version = "3.2.0"
    await simcord_env.advance_time(3 * 3600)

    posts = [t for t in texts(public) if "is out" in t]
    assert len(posts) == 1
    assert posts[0].startswith("Werkzeug 3.2.0 is out. 1 watched extension")
    assert "• Flask-Pinned (Werkzeug<3.2,>=3.0)" in posts[0]


async def test_what_githubs_rate_limit_left_out_is_fetched_after_the_reset(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    monday = START.timestamp() + 4 * DAY + 6 * 3600  # the first weekly check
    fake.budget["core"] = 30
    fake.reset_at = int(monday) + 1800
    await world.alice.slash(world.general, "ext report")  # the server uses the watch
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)

    db = bot_of(simcord_env).db
    stale = await count(
        simcord_env,
        "SELECT count(*) FROM extwatch_snapshots WHERE error = 'rate_limited'",
    )
    assert stale > 0
    resume = await db.fetchone(
        "SELECT due_at, state FROM jobs WHERE kind = 'extwatch.resume'"
    )
    assert resume is not None and resume["due_at"] == int(monday) + 1800 + 60

    fake.budget["core"] = None  # GitHub's limit was reset
    await simcord_env.advance_time(3600)

    assert (
        await count(
            simcord_env,
            "SELECT count(*) FROM extwatch_snapshots WHERE error = 'rate_limited'",
        )
        == 0
    )


# -- the weekly check -------------------------------------------------------------------------
async def test_the_weekly_check_adds_new_organisation_repositories_and_tells_once(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.alice.slash(world.general, "ext report")  # the server uses the watch
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)  # the first weekly check
    assert not [t for t in texts(world.log) if t.startswith("New in pallets-eco")]

    # During the week, the organisation takes in a new extension.
    fake.add(
        FakePackage(
            "Flask-Newbie", "0.1.0", START, ["Flask>=3"], "pallets-eco/flask-newbie"
        )
    )
    fake.add_repo(FakeRepo("pallets-eco/flask-newbie", pushed=START))
    await simcord_env.advance_time(7 * DAY)

    notices = [t for t in texts(world.log) if t.startswith("New in pallets-eco")]
    assert len(notices) == 1
    assert "Flask-Newbie" in notices[0]
    entry = await bot_of(simcord_env).flask_extensions.by_repo(
        world.guild.id, "pallets-eco/flask-newbie"
    )
    assert entry is not None and entry.watched
    status = text_of(
        await world.bob.slash(world.general, "ext status", name="Flask-Newbie")
    )
    assert "Flask-Newbie" in status and "not checked yet" not in status.lower()
    await simcord_env.advance_time(7 * DAY)
    assert len([t for t in texts(world.log) if t.startswith("New in pallets-eco")]) == 1


def archive(fake: FakeApis) -> None:
    fake.repo("pallets-eco/flask-sqlalchemy").archived = True


def disclose(fake: FakeApis) -> None:
    fake.packages["flask-sqlalchemy"].vulns = [
        vulnerability("PYSEC-2026-1", "CVE-2026-0001", "Session fixation")
    ]


@pytest.mark.parametrize(
    ("happen", "reason"),
    [
        (archive, "its repository is archived"),
        (disclose, "a known vulnerability in its latest release (CVE-2026-0001)"),
    ],
)
async def test_a_new_risk_reaches_followers_once_from_the_weekly_check(
    simcord_env: simcord.Env,
    world: World,
    fake: FakeApis,
    happen: Callable[[FakeApis], None],
    reason: str,
) -> None:
    public = await extensions_channel(world)
    await world.carol.slash(world.general, "ext follow", name="Flask-SQLAlchemy")
    await simcord_env.advance_time(4 * DAY + 6 * 3600 + 60)  # first check: a baseline
    assert not [t for t in texts(public) if "Flask-SQLAlchemy" in t]
    assert not [
        t for t in texts(world.carol.user.dm_channel) if "Flask-SQLAlchemy" in t
    ]

    happen(fake)
    await simcord_env.advance_time(7 * DAY)

    posts = [t for t in texts(public) if "Flask-SQLAlchemy" in t]
    assert len(posts) == 1 and reason in posts[0]
    dms = [t for t in texts(world.carol.user.dm_channel) if "Flask-SQLAlchemy" in t]
    assert len(dms) == 1 and reason in dms[0]
    assert any("Flask-SQLAlchemy" in t for t in texts(world.log))  # organisers too
    await simcord_env.advance_time(7 * DAY)
    assert len([t for t in texts(public) if "Flask-SQLAlchemy" in t]) == 1
    assert (
        len([t for t in texts(world.carol.user.dm_channel) if "Flask-SQLAlchemy" in t])
        == 1
    )
