"""Tasks that are not code, Code-In style: post, claim, submit, review, thanks."""

from __future__ import annotations

from typing import Any

import simcord

from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World


def text(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.content)


def response(result: simcord.InteractionResult) -> Any:
    assert result.response is not None, result
    return result.response


def embed_text(result: simcord.InteractionResult) -> str:
    return str(response(result).embeds[0].description)


def dms(member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


async def task_state(env: simcord.Env, task_id: int = 1) -> str | None:
    value = await env.bot.db.fetchval(  # type: ignore[attr-defined]
        "SELECT state FROM contribute_tasks WHERE id = ?", (task_id,)
    )
    return None if value is None else str(value)


async def post(world: World, **changes: Any) -> Any:
    options = {
        "title": "Translate the Flask tutorial's first page into German",
        "description": "docs/tutorial/index.rst; open a pull request or share a gist.",
        "kind": "translation",
    } | changes
    return await world.mentor.slash(
        world.general, "contribute-mentor task post", **options
    )


async def test_task_from_post_to_accepted(
    simcord_env: simcord.Env, world: World
) -> None:
    posted = await post(world)
    assert "#1" in text(posted) and posted.response.ephemeral

    listed = await world.alice.slash(world.general, "contribute task list")
    assert "Translate the Flask tutorial" in embed_text(listed)

    claimed = await world.alice.slash(world.general, "contribute task claim", task="1")
    assert "#1 is yours" in text(claimed)
    assert any("took your task #1" in m for m in dms(world.mentor))
    # Someone else cannot take it while alice is on it.
    other = await world.bob.slash(world.general, "contribute task claim", task="1")
    assert "already on this task" in text(other)

    bad = await world.alice.slash(
        world.general, "contribute task submit", task="1", link="my gist"
    )
    assert "https://" in text(bad) and await task_state(simcord_env) == "claimed"
    sent = await world.alice.slash(
        world.general,
        "contribute task submit",
        task="1",
        link="https://gist.github.com/alice/1",
    )
    assert "will review task #1" in text(sent)
    assert any("https://gist.github.com/alice/1" in m for m in dms(world.mentor))

    # Only the task's mentor reviews; asking for changes needs a note.
    stranger = await world.mentor2.slash(
        world.general, "contribute task review", task="1", decision="accept"
    )
    assert "Only the task's mentor or an organiser" in text(stranger)
    no_note = await world.mentor.slash(
        world.general, "contribute task review", task="1", decision="changes"
    )
    assert "Say what should change" in text(no_note)
    await world.mentor.slash(
        world.general,
        "contribute task review",
        task="1",
        decision="changes",
        note="Keep the code blocks in English.",
    )
    assert await task_state(simcord_env) == "claimed"
    assert any("Keep the code blocks in English" in m for m in dms(world.alice))

    await world.alice.slash(
        world.general,
        "contribute task submit",
        task="1",
        link="https://gist.github.com/alice/2",
    )
    done = await world.mentor.slash(
        world.general, "contribute task review", task="1", decision="accept"
    )
    assert "is done" in text(done)
    assert await task_state(simcord_env) == "done"
    assert any("was accepted" in m for m in dms(world.alice))


async def test_only_mentors_and_organisers_post_tasks(
    simcord_env: simcord.Env, world: World
) -> None:
    show_to_everyone(world, "contribute-mentor")  # hidden; the bot refuses too
    refused = await world.alice.slash(
        world.general,
        "contribute-mentor task post",
        title="Anything",
        description="Anything",
        kind="other",
    )
    assert response(refused).ephemeral
    assert await task_state(simcord_env) is None


async def test_bad_task_input_is_refused_and_changes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    too_long = await post(world, title="x" * 101)
    assert "at most 100" in text(too_long)
    pinging = await post(world, description="Ping @everyone when done")
    assert "@everyone" in text(pinging)
    assert await task_state(simcord_env) is None
    unknown = await world.alice.slash(world.general, "contribute task claim", task="42")
    assert "no such task" in text(unknown)
    await post(world)
    own = await world.mentor.slash(world.general, "contribute task claim", task="1")
    assert "cannot claim it" in text(own)
    assert await task_state(simcord_env) == "open"


async def test_member_leaves_a_task_and_mentor_withdraws_it(
    simcord_env: simcord.Env, world: World
) -> None:
    await post(world)
    await world.alice.slash(world.general, "contribute task claim", task="1")
    left = await world.alice.slash(world.general, "contribute task drop", task="1")
    assert "open again" in text(left)
    assert await task_state(simcord_env) == "open"
    stranger = await world.bob.slash(world.general, "contribute task drop", task="1")
    assert response(stranger).ephemeral and await task_state(simcord_env) == "open"
    # Not a role to get: someone else's task.
    assert text(stranger) == "You are not on this task."
    gone = await world.mentor.slash(world.general, "contribute task drop", task="1")
    assert "withdrawn" in text(gone)
    assert await task_state(simcord_env) == "withdrawn"


async def test_task_list_pages(simcord_env: simcord.Env, world: World) -> None:
    for n in range(12):
        await post(world, title=f"Task number {n}")
    listed = await world.alice.slash(world.general, "contribute task list")
    assert "Page 1 of 2" in response(listed).embeds[0].footer.text
    turned = await world.alice.click(response(listed), label="Next")
    assert "Task number 1" in embed_text(turned)
    assert "Page 2 of 2" in response(turned).embeds[0].footer.text
