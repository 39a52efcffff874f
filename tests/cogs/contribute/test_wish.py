"""A member who writes "I want to contribute" gets the way in, not a bug checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
import simcord

from bot import Settings
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.testing import post_question
from bot.devtools.testing import test_settings as make_settings
from bot.devtools.testing import World

pytestmark = pytest.mark.simcord(settle_timeout=60)
POLL = 20 * 60


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, pypi_base_url=fake.url)


def bot_says(channel: simcord.ChannelHandle) -> list[str]:
    """The bot's messages in a channel or thread, as text (content and embeds)."""
    out = []
    for message in channel.history():
        if message.author.bot:
            parts = [message.content or ""]
            for embed in message.embeds:
                parts += [embed.title or "", embed.description or ""]
                parts += [f"{f.name}: {f.value}" for f in embed.fields]
            out.append("\n".join(p for p in parts if p))
    return out


def tag_names(
    env: simcord.Env, world: World, thread: simcord.ChannelHandle
) -> list[str]:
    forum = env.backend.get_channel(world.questions.id)
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [by_id[t] for t in env.backend.get_channel(thread.id).applied_tags]


async def first_poll(env: simcord.Env, world: World) -> None:
    await world.alice.slash(world.general, "contribute issues")
    await env.advance_time(POLL + 5)


async def test_a_forum_post_wanting_to_contribute_gets_the_way_in(
    simcord_env: simcord.Env, world: World
) -> None:
    await first_poll(simcord_env, world)
    thread = await post_question(
        world,
        world.carol,
        "I want to contribute to Flask",
        "Hi! Any good first issue for me?",
    )
    (answer,) = bot_says(thread)
    assert "Contributing to Pallets" in answer
    assert "pallets/flask#5000" in answer and "/contribute claim" in answer
    # Flask was named: Flask's issues and guide, not the extensions'.
    assert "flask-wtf" not in answer
    assert "flask.palletsprojects.com/en/stable/contributing" in answer
    # Triage still tags the post, but gives it no checklist for reporting a bug.
    assert "Thanks for asking!" not in answer
    assert "Flask" in tag_names(simcord_env, world, thread)
    # The asker's next message is a conversation: the way in is not repeated.
    await world.carol.send(thread, "How do I start contributing, then?")
    assert len(bot_says(thread)) == 1


async def test_a_bug_report_in_the_forum_still_gets_the_checklist(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(
        world, world.carol, "Flask app crashes", "KeyError on startup, see below."
    )
    (answer,) = bot_says(thread)
    assert "Thanks for asking!" in answer and "Contributing to Pallets" not in answer
    # Later in the thread, wanting to contribute the fix is a conversation.
    await simcord_env.advance_time(11 * 60)
    await world.carol.send(thread, "Found it! I'd like to contribute a fix.")
    assert len(bot_says(thread)) == 1


async def test_in_a_text_channel_once_an_hour_and_only_for_a_wish(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.alice.send(world.general, "Thanks to everyone who contribute here!")
    await world.alice.send(world.general, "```\nI want to contribute\n```")
    await world.alice.send(world.general, "> how can I contribute?")
    assert bot_says(world.general) == []

    await world.bob.send(world.general, "Hello! How can I contribute to Pallets?")
    (answer,) = bot_says(world.general)
    assert "Contributing to Pallets" in answer
    assert "/contribute issues" in answer and "flask-wtf" in answer
    await world.carol.send(world.general, "I'd love to contribute too")
    assert len(bot_says(world.general)) == 1
    await simcord_env.advance_time(3601)
    await world.carol.send(world.general, "Je voudrais contribuer à Jinja")
    assert len(bot_says(world.general)) == 2
