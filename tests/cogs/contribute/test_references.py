"""GitHub references in messages: one compact answer, Pallets only, no noise."""

from __future__ import annotations

from pathlib import Path

import pytest
import simcord

from bot import Settings
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import Fault
from bot.devtools.testing import post_question
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import test_settings as make_settings
from bot.devtools.testing import World

#: A request to the fake server is real I/O: give the bot real seconds to settle.
pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, pypi_base_url=fake.url)


def answers(channel: simcord.ChannelHandle) -> list[str]:
    """The bot's answers in a channel, as text."""
    out = []
    for message in channel.history():
        if message.author.bot and message.reference is not None:
            parts = [message.content or ""]
            parts += [embed.description or "" for embed in message.embeds]
            out.append("\n".join(p for p in parts if p))
    return out


async def test_references_share_one_compact_answer(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.alice.send(
        world.general,
        "Is flask#5000 still open? And pallets-eco/flask-wtf#123, "
        "https://github.com/pallets/flask/pull/5002",
    )
    (answer,) = answers(world.general)
    assert (
        "[pallets/flask#5000](https://github.com/pallets/flask/issues/5000)" in answer
    )
    assert "Document the application factory's config loading" in answer
    assert "open · good first issue, docs · by davidism" in answer
    assert "pallets-eco/flask-wtf#123" in answer and "help wanted" in answer
    assert "open pull request" in answer and "by newcomer" in answer
    # Nobody is pinged by the answer, and it replies without pinging the author.
    sent = [
        e.json
        for e in simcord_env.http_requests
        if e.method == "POST" and isinstance(e.json, dict) and e.json.get("embeds")
    ]
    assert sent[-1]["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_a_reference_is_answered_once_an_hour_per_channel(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.alice.send(world.general, "flask#5000 please")
    await world.bob.send(world.general, "yes flask#5000")
    assert len(answers(world.general)) == 1
    await world.bob.send(world.events, "flask#5000 here too")
    assert len(answers(world.events)) == 1
    await simcord_env.advance_time(3601)
    await world.bob.send(world.general, "flask#5000 again")
    assert len(answers(world.general)) == 2


async def test_code_quotes_and_outside_repositories_get_nothing(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.alice.send(world.general, "```\nflask#5000\n```\n> flask#5001")
    await world.alice.send(world.general, "see django/django#1")
    await world.alice.send(
        world.general, "missing: flask#9999, private: pallets/secret#1"
    )
    assert answers(world.general) == []
    assert not fake.paths("/repos/django")
    # An organiser allows another owner: now it is answered.
    show_to_everyone(world, "contribute-admin")  # hidden; the bot refuses too
    refused = await world.alice.slash(
        world.general, "contribute-admin allow", owner="django", allowed=True
    )
    assert refused.response is not None and refused.response.ephemeral
    await world.organiser.slash(
        world.general, "contribute-admin allow", owner="django", allowed=True
    )
    await world.alice.send(world.general, "see django/django#1 now")
    (answer,) = answers(world.general)
    assert "Outside the Pallets orgs" in answer


async def test_github_down_is_a_short_notice_never_a_trace(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    fake.fail("/repos/pallets/flask/issues/5000", Fault.SERVER_ERROR, times=None)
    await world.alice.send(world.general, "what about flask#5000?")
    assert answers(world.general) == ["Could not reach GitHub just now."]
    # Said once an hour in a channel, not at every mention.
    await world.alice.send(world.general, "flask#5000??")
    assert len(answers(world.general)) == 1
    fake.clear_faults()
    await world.alice.send(world.general, "flask#5000!")
    assert "Document the application factory" in answers(world.general)[-1]


async def test_a_forum_question_gets_its_references_answered(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(
        world,
        world.alice,
        "I want to contribute to Flask",
        "Is pallets/flask#5001 a good first issue?",
    )
    found = [
        embed.description or ""
        for message in thread.history()
        for embed in message.embeds
        if message.author.bot
    ]
    assert any(r"Explain blueprint url\_prefix" in text for text in found), found


async def test_bad_allow_input_is_refused_and_changes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    bad = await world.organiser.slash(
        world.general, "contribute-admin allow", owner="not an owner!", allowed=True
    )
    assert bad.response is not None
    assert "is not a GitHub user or organisation name" in bad.response.content
    rows = await simcord_env.bot.db.fetchval(  # type: ignore[attr-defined]
        "SELECT count(*) FROM contribute_settings"
    )
    assert rows == 0
