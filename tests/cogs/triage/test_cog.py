from __future__ import annotations

from typing import Any

import discord
import simcord

from bot import PalletsBot
from bot.testing import post_question
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
