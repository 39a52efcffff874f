"""Release announcements: once, with the changelog, pinging only the opt-in role."""

from __future__ import annotations

from pathlib import Path

import pytest
import simcord

from bot import Settings
from bot.clock import utcnow
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeRelease
from bot.devtools.fake_upstream import Fault
from bot.devtools.testing import test_settings as make_settings
from bot.devtools.testing import World

pytestmark = pytest.mark.simcord(settle_timeout=60)
HOURS = 3600


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, pypi_base_url=fake.url)


def posts(world: World) -> list[str]:
    return [m.content for m in world.announcements.history() if "is out" in m.content]


async def opt_in(env: simcord.Env, world: World) -> simcord.RoleHandle:
    role = world.guild.create_role("Release pings")
    await world.admin.slash(world.general, "setup roles", releases=role)
    await world.admin.slash(world.general, "setup start-here", channel=world.general)
    start = world.general.last_message
    assert start is not None
    await world.alice.click(start, label="Get notified")
    return role


async def test_a_new_release_is_announced_once_pinging_only_the_opt_in_role(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    role = await opt_in(simcord_env, world)
    # The first look records what is already out (Flask 3.1.0, click 8.1.8): no post.
    await simcord_env.advance_time(6 * HOURS + 60)
    assert posts(world) == []
    fake.repo("pallets/flask").releases.append(
        FakeRelease("3.1.1", utcnow(), "davidism")
    )
    fake.repo("pallets/flask").releases.append(
        FakeRelease("3.2.0rc1", utcnow(), "davidism", prerelease=True)
    )
    await simcord_env.advance_time(6 * HOURS)
    (post,) = posts(world)
    assert post.startswith(f"<@&{role.id}> Flask 3.1.1 is out.")
    assert "https://github.com/pallets/flask/releases/tag/3.1.1" in post
    sent = [
        e.json
        for e in simcord_env.http_requests
        if e.method == "POST"
        and isinstance(e.json, dict)
        and e.json.get("content") == post
    ]
    assert sent[0]["allowed_mentions"] == {"parse": [], "roles": [role.id]}
    # Announced once, however often the bot looks again.
    await simcord_env.advance_time(12 * HOURS)
    assert len(posts(world)) == 1


async def test_pypi_is_the_fallback_when_github_has_no_release(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await opt_in(simcord_env, world)
    await simcord_env.advance_time(6 * HOURS + 60)
    fake.packages["click"].version = "8.2.0"
    # GitHub is down for Flask meanwhile: nothing is announced twice or wrongly.
    fake.fail("/repos/pallets/flask/releases", Fault.SERVER_ERROR, times=None)
    await simcord_env.advance_time(6 * HOURS)
    (post,) = posts(world)
    assert "click 8.2.0 is out" in post
    assert "https://pypi.org/project/click/8.2.0/" in post


async def test_no_role_chosen_means_no_ping(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.alice.slash(world.general, "contribute issues")
    await simcord_env.advance_time(6 * HOURS + 60)
    fake.repo("pallets/flask").releases.append(
        FakeRelease("3.1.1", utcnow(), "davidism")
    )
    await simcord_env.advance_time(6 * HOURS)
    (post,) = posts(world)
    assert post.startswith("Flask 3.1.1 is out.")
    assert "<@&" not in post
