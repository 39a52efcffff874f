from __future__ import annotations

from typing import Any

import discord
import simcord

from bot import PalletsBot
from bot.settings import Settings
from bot.testing import post_question
from bot.testing import restart
from bot.testing import World

DAY = 86_400

SQLA_TITLE = "Flask-SQLAlchemy session does not commit"
SQLA_BODY = (
    "I use flask_sqlalchemy with db.session.add(user) but after the request the row "
    "is not in the database. Using Flask 3.1."
)


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


def bot_messages(
    thread: simcord.ChannelHandle, env: simcord.Env
) -> list[discord.Message]:
    me = bot_of(env).user
    assert me is not None
    return [m for m in thread.history() if m.author.id == me.id]


def checklists(
    thread: simcord.ChannelHandle, env: simcord.Env
) -> list[discord.Message]:
    return [m for m in bot_messages(thread, env) if "Thanks for asking" in m.content]


async def question_row(env: simcord.Env, thread_id: int) -> Any:
    return await bot_of(env).db.fetchone(
        "SELECT * FROM triage_questions WHERE thread_id = ?", (thread_id,)
    )


def tag_names(
    env: simcord.Env, world: World, thread: simcord.ChannelHandle
) -> list[str]:
    backend = env.backend
    forum = backend.get_channel(world.questions.id)
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [by_id[t] for t in backend.get_channel(thread.id).applied_tags]


async def test_new_question_gets_tags_and_one_checklist(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    assert set(tag_names(simcord_env, world, thread)) >= {"Flask-SQLAlchemy", "Flask"}
    assert len(checklists(thread, simcord_env)) == 1
    row = await question_row(simcord_env, thread.id)
    assert row["author_id"] == world.alice.id
    assert row["title"] == SQLA_TITLE
    assert "db.session.add" in row["body"]
    # Another message from the asker is not a new starter.
    await world.alice.send(thread, "Here is more code: db.session.commit()")
    assert len(checklists(thread, simcord_env)) == 1


async def test_posts_outside_the_forum_are_ignored(
    simcord_env: simcord.Env, world: World
) -> None:
    before = len(simcord_env.http_requests)
    await world.alice.send(world.general, "thanks, flask-sqlalchemy rocks")
    posts = [e for e in simcord_env.http_requests[before:] if e.method == "POST"]
    assert posts == []
    assert (
        await bot_of(simcord_env).db.fetchval("SELECT count(*) FROM triage_questions")
        == 0
    )


async def solve_first_question(env: simcord.Env, world: World) -> simcord.ChannelHandle:
    first = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    answer = await world.helper.send(
        first, "You never call db.session.commit(); add it after db.session.add()."
    )
    result = await world.alice.slash(first, "solved", helper=world.helper)
    assert result.response is not None and not result.ephemeral
    assert "Marked as solved" in result.response.content
    row = await question_row(env, first.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id
    assert row["answer_message_id"] == answer.id
    assert "commit" in row["solution"]
    return first


async def test_similar_solved_question_is_suggested(
    simcord_env: simcord.Env, world: World
) -> None:
    first = await solve_first_question(simcord_env, world)
    assert "Solved" in tag_names(simcord_env, world, first)
    second = await post_question(
        world,
        world.bob,
        "db.session.add does not save my user",
        "With flask_sqlalchemy the user row is missing after the request.",
    )
    [checklist] = checklists(second, simcord_env)
    assert f"<#{first.id}>" in checklist.content
    unrelated = await post_question(
        world, world.carol, "Jinja macro with default arguments", "{% macro x(a=1) %}"
    )
    [checklist] = checklists(unrelated, simcord_env)
    assert f"<#{first.id}>" not in checklist.content
    assert "look similar" not in checklist.content


async def test_fts_syntax_in_a_title_cannot_break_the_search(
    simcord_env: simcord.Env, world: World
) -> None:
    await solve_first_question(simcord_env, world)
    thread = await post_question(
        world,
        world.bob,
        'NEAR("db" session) OR title:* AND "unterminated ^col -x',
        'db.session" OR 1=1; -- ) ( * : ^ {title solution}: commit',
    )
    assert len(checklists(thread, simcord_env)) == 1
    assert simcord_env.errors == [] if hasattr(simcord_env, "errors") else True


async def test_stranger_solved_only_asks_the_asker(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Call db.session.commit().")
    result = await world.bob.slash(thread, "solved", helper=world.helper)
    assert result.response is not None and not result.ephemeral
    assert f"<@{world.alice.id}>" in result.response.content
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "open"
    assert "Solved" not in tag_names(simcord_env, world, thread)
    request = next(
        e
        for e in reversed(simcord_env.http_requests)
        if isinstance(e.json, dict) and "thinks your question is solved" in str(e.json)
    )
    assert request.json is not None
    mentions = request.json.get("allowed_mentions") or request.json["data"].get(
        "allowed_mentions"
    )
    assert mentions["users"] == [str(world.alice.id)] or mentions["users"] == [
        world.alice.id
    ]
    # Only the asker can confirm.
    refused = await world.bob.click(result.response, label="Yes, it is solved")
    assert refused.ephemeral
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    confirmed = await world.alice.click(result.response, label="Yes, it is solved")
    assert not confirmed.ephemeral
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id
    assert "Solved" in tag_names(simcord_env, world, thread)


async def test_thank_you_offers_the_button_once(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Call db.session.commit().")
    await world.alice.send(thread, "Thanks, that worked!")
    await world.alice.send(thread, "danke nochmal")
    offers = [m for m in bot_messages(thread, simcord_env) if m.components]
    assert len(offers) == 1
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    result = await world.alice.click(offers[0], label="Mark as solved")
    assert not result.ephemeral
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id


async def test_thanks_in_advance_offers_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.alice.send(thread, "Any idea? Thanks in advance")
    assert [m for m in bot_messages(thread, simcord_env) if m.components] == []


async def test_restart_does_not_repeat_the_checklist(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await restart(simcord_env, settings)
    await world.alice.send(
        thread, "Still stuck, here is my model: class User(db.Model)"
    )
    await world.helper.send(thread, "Show the view please.")
    assert len(checklists(thread, simcord_env)) == 1


async def test_a_week_of_quiet_posts_exactly_one_nudge_and_closes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Did you call db.session.commit()?")
    for _ in range(8):
        await simcord_env.advance_time(DAY)
        await simcord_env.settle()
    nudges = [m for m in bot_messages(thread, simcord_env) if "a week" in m.content]
    assert len(nudges) == 1
    assert f"<@{world.alice.id}>" in nudges[0].content
    await simcord_env.advance_time(14 * DAY)
    await simcord_env.settle()
    nudges = [m for m in bot_messages(thread, simcord_env) if "a week" in m.content]
    assert len(nudges) == 1
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "open"
    metadata = simcord_env.backend.get_channel(thread.id).thread_metadata
    assert metadata is not None
    assert not metadata.archived
    assert not metadata.locked
    # The buttons work: still need help puts it back in the queue.
    result = await world.alice.click(nudges[0], label="Still need help")
    assert not result.ephemeral
    queue = await world.helper.slash(world.general, "triage queue")
    assert queue.response is not None
    assert f"<#{thread.id}>" in str(queue.response.embeds[0].description)
