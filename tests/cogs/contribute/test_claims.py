"""Newcomer issues and claims, against the fake GitHub: list, claim, lapse,
release, a pull request on the claim, and thanks when it is merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import Settings
from bot.clock import utcnow
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeIssue
from bot.devtools.fake_upstream import Fault
from bot.devtools.testing import test_settings as make_settings
from bot.devtools.testing import World
from cogs.contribute._cog import ContributeCog
from cogs.contribute._engine import ContributeEngine
from cogs.contribute._engine import poll_prefix
from cogs.contribute._logic import next_recognition

pytestmark = pytest.mark.simcord(settle_timeout=60)
DAY = 86400
POLL = 20 * 60


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, pypi_base_url=fake.url)


def response(result: simcord.InteractionResult) -> Any:
    assert result.response is not None, result
    return result.response


def text(result: simcord.InteractionResult) -> str:
    """What the member was told: the answer, or the follow-up of a deferred one."""
    message = result.followups[-1] if result.followups else response(result)
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
    return "\n".join(parts)


def dms(member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


async def claim_state(env: simcord.Env, number: int = 5000) -> str | None:
    value = await env.bot.db.fetchval(  # type: ignore[attr-defined]
        "SELECT state FROM contribute_claims WHERE number = ? ORDER BY id DESC",
        (number,),
    )
    return None if value is None else str(value)


async def listed(env: simcord.Env, world: World) -> None:
    """Use the job (so it polls), then let the first poll run."""
    await world.alice.slash(world.general, "contribute mine")
    first = await world.alice.slash(world.general, "contribute issues")
    assert "known right now" in text(first)
    await env.advance_time(POLL + 5)


def engine_of(env: simcord.Env) -> ContributeEngine:
    cog = env.bot.get_cog("Contribute")  # type: ignore[attr-defined]
    assert isinstance(cog, ContributeCog)
    return cog.engine


async def stop_polling(env: simcord.Env) -> None:
    """For tests of what happens over days without GitHub changing: no polls."""
    await env.bot.scheduler.cancel_prefix(poll_prefix())  # type: ignore[attr-defined]


async def test_newcomer_issues_are_listed_newest_first_with_filters(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await listed(simcord_env, world)
    shown = text(await world.alice.slash(world.general, "contribute issues"))
    assert "3 issues for newcomers" in shown
    assert shown.index("flask#5000") < shown.index("flask-wtf#123")
    assert shown.index("flask-wtf#123") < shown.index("flask#5001")
    assert "flask#4999" not in shown and "flask#5002" not in shown
    assert "free to claim" in shown
    wtf = text(
        await world.alice.slash(world.general, "contribute issues", project="flask-wtf")
    )
    assert "1 issue for newcomers" in wtf and "CSRF token docs" in wtf
    docs = text(
        await world.alice.slash(world.general, "contribute issues", kind="docs")
    )
    assert "flask#5001" in docs and "flask-wtf#123" not in docs
    # One search request a poll, for every repository of both organisations.
    searches = fake.paths("/search/issues")
    assert len(searches) == 1
    unknown = await world.alice.slash(
        world.general, "contribute issues", project="django"
    )
    assert "I do not know the project django" in text(unknown)


async def test_a_claim_is_seen_by_others_and_lapses_without_a_pull_request(
    simcord_env: simcord.Env, world: World
) -> None:
    await listed(simcord_env, world)
    offered = await world.alice.autocomplete(
        world.general, "contribute claim", "issue", "factory"
    )
    assert [c["value"] for c in offered] == ["pallets/flask#5000"]
    claimed = await world.alice.slash(
        world.general, "contribute claim", issue="pallets/flask#5000"
    )
    assert "pallets/flask#5000 is yours" in text(claimed)
    taken = await world.bob.slash(world.general, "contribute claim", issue="flask#5000")
    assert f"already taken by <@{world.alice.id}>" in text(taken)
    shown = text(await world.bob.slash(world.general, "contribute issues"))
    assert f"taken by <@{world.alice.id}>" in shown
    # A claimed issue is no longer offered to others.
    offered = await world.bob.autocomplete(
        world.general, "contribute claim", "issue", "factory"
    )
    assert offered == []

    await stop_polling(simcord_env)
    await simcord_env.advance_time(12 * DAY + 60)
    assert any("lapses" in m and "flask#5000" in m for m in dms(world.alice))
    assert await claim_state(simcord_env) == "active"
    await simcord_env.advance_time(2 * DAY)
    assert any("lapsed" in m for m in dms(world.alice))
    assert await claim_state(simcord_env) == "expired"
    again = await world.bob.slash(world.general, "contribute claim", issue="flask#5000")
    assert "is yours" in text(again)


async def test_release_frees_the_issue(simcord_env: simcord.Env, world: World) -> None:
    await listed(simcord_env, world)
    await world.alice.slash(world.general, "contribute claim", issue="flask#5000")
    mine = await world.alice.autocomplete(
        world.general, "contribute release", "issue", ""
    )
    assert [c["value"] for c in mine] == ["pallets/flask#5000"]
    not_hers = await world.bob.slash(
        world.general, "contribute release", issue="flask#5000"
    )
    assert "You have not claimed" in text(not_hers)
    freed = await world.alice.slash(
        world.general, "contribute release", issue="flask#5000"
    )
    assert "others can claim it now" in text(freed)
    assert await claim_state(simcord_env) == "released"
    assert "free to claim" in text(
        await world.bob.slash(world.general, "contribute issues")
    )


async def test_closed_issues_pull_requests_and_outsiders_are_refused(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    cases = {
        "pallets/flask#4999": "is closed",
        "pallets/flask#5002": "is a pull request",
        "django/django#1": "outside the Pallets organisations",
        "pallets/flask#9999": "could not find that issue",
        "pallets/secret#1": "could not find that issue",
        "not an issue": "could not find that issue",
    }
    for issue, words in cases.items():
        result = await world.alice.slash(world.general, "contribute claim", issue=issue)
        assert words in text(result), issue
        assert response(result).ephemeral
    fake.fail("/repos/pallets/flask/issues/5000", Fault.SERVER_ERROR, times=None)
    down = await world.alice.slash(
        world.general, "contribute claim", issue="flask#5000"
    )
    assert "Could not reach GitHub" in text(down)
    rows = await simcord_env.bot.db.fetchval(  # type: ignore[attr-defined]
        "SELECT count(*) FROM contribute_claims"
    )
    assert rows == 0


async def test_a_pull_request_shows_on_the_claim_and_its_merge_is_celebrated(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await listed(simcord_env, world)
    await world.alice.slash(world.general, "contribute claim", issue="flask#5000")
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
    await simcord_env.advance_time(POLL)
    assert any(
        "Your pull request for pallets/flask#5000 is in" in m for m in dms(world.alice)
    )
    mine = text(await world.alice.slash(world.general, "contribute mine"))
    assert (
        "pull request [#5010](https://github.com/pallets/flask/pull/5010) open" in mine
    )
    # With a pull request open, the claim does not lapse (GitHub quiet meanwhile).
    await stop_polling(simcord_env)
    await simcord_env.advance_time(15 * DAY)
    assert await claim_state(simcord_env) == "active"
    assert not any("lapse" in m for m in dms(world.alice))

    pull.state, pull.merged, pull.updated = "closed", True, utcnow()
    await engine_of(simcord_env).schedule_poll(utcnow())
    await simcord_env.advance_time(POLL)
    assert await claim_state(simcord_env) == "merged"
    assert any("was merged. Thank you for contributing" in m for m in dms(world.alice))
    shout = world.announcements.last_message
    assert shout is not None
    assert f"<@{world.alice.id}>'s pull request for pallets/flask#5000" in shout.content
    # The month's thanks name it, from the claim the bot recorded.
    await engine_of(simcord_env).post_recognition(
        world.guild.id, next_recognition(utcnow())
    )
    thanks = world.announcements.last_message
    assert thanks is not None and "January 2026" in thanks.content
    assert f"<@{world.alice.id}> merged their first pull request" in thanks.content


async def test_members_who_opt_out_get_no_public_shout_out(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await listed(simcord_env, world)
    await world.bob.slash(world.general, "contribute thanks", public=False)
    await world.bob.slash(world.general, "contribute claim", issue="flask-wtf#123")
    fake.repo("pallets-eco/flask-wtf").add_issue(
        FakeIssue(
            130,
            "Clarify the CSRF docs",
            "bob-gh",
            is_pull=True,
            state="closed",
            merged=True,
            body="Closes pallets-eco/flask-wtf#123",
            updated=utcnow(),
        )
    )
    await simcord_env.advance_time(POLL)
    assert await claim_state(simcord_env, 123) == "merged"
    assert any("was merged" in m for m in dms(world.bob))
    assert world.announcements.last_message is None


async def test_organisers_choose_labels_and_claim_days(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.organiser.slash(
        world.general,
        "contribute-admin labels",
        project="flask-wtf",
        kind="good-first-issue",
        labels="help wanted",
    )
    refused = await world.organiser.slash(
        world.general, "contribute-admin claim-days", days=0
    )
    assert "from 1 to 90" in text(refused)
    await world.organiser.slash(world.general, "contribute-admin claim-days", days=3)
    await listed(simcord_env, world)
    first = text(
        await world.alice.slash(
            world.general, "contribute issues", kind="good-first-issue"
        )
    )
    assert "flask-wtf#123" in first and "flask#5000" in first
    claimed = await world.alice.slash(
        world.general, "contribute claim", issue="flask#5000"
    )
    assert "is yours" in text(claimed)
    await stop_polling(simcord_env)
    await simcord_env.advance_time(3 * DAY + 60)
    assert await claim_state(simcord_env) == "expired"
