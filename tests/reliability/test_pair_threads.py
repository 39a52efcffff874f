"""A mentoring pair's private thread is made once, whatever Discord or a crash does.

The thread goes through the outbox (``bot.outbox.Outbox.create_thread``): its first
try is recorded, and a try whose answer was lost is found on Discord (by name,
parent and owner) instead of made again. The claim's own job
(``mentorship.space``) finishes what a crash or Discord trouble left: the members,
the welcome, the check-ins.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot.app import create_bot
from bot.app import PalletsBot
from bot.devtools.testing import World
from bot.errors import unwrap
from bot.outbox import Outbox
from bot.settings import Settings
from cogs.mentorship._engine import SPACE_AFTER
from cogs.mentorship._engine import space_key
from cogs.mentorship._engine import thread_key
from cogs.mentorship._engine import welcome_key
from tests.cogs.mentorship.test_cog import make_profile
from tests.cogs.mentorship.test_cog import make_request
from tests.cogs.mentorship.test_cog import shown
from tests.cogs.mentorship.test_cog import text_of
from tests.reliability._discord import Fidelity
from tests.reliability._discord import restore
from tests.reliability._discord import snapshot

HOUR = 3600


@pytest.fixture
def discord_fidelity(monkeypatch: pytest.MonkeyPatch) -> Fidelity:
    return Fidelity().install(monkeypatch)


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


def threads_path(world: World) -> str:
    return f"/channels/{world.mentorship.id}/threads"


async def assert_one_space_per_pairing(env: simcord.Env, world: World) -> None:
    """Every active pairing has exactly one thread, with the pair in it, welcomed
    once, recorded; no thread belongs to no pairing; nothing is left open."""
    bot = bot_of(env)
    pairings = await bot.db.fetchall(
        "SELECT id, mentor_id, mentee_id, thread_id FROM mentor_pairings "
        "WHERE state = 'active' ORDER BY id"
    )
    assert pairings
    threads = [
        c for c in env.backend.channels.values() if c.parent_id == world.mentorship.id
    ]
    assert sorted(t.id for t in threads) == sorted(p["thread_id"] for p in pairings)
    assert len({t.name for t in threads}) == len(threads)
    me = bot.user
    assert me is not None
    for pairing in pairings:
        thread = env.backend.channels[pairing["thread_id"]]
        assert thread.name == f"Mentoring #{pairing['id']}"
        assert {pairing["mentor_id"], pairing["mentee_id"]} <= set(
            thread.thread_members
        )
        welcomes = [
            m
            for m in env.backend.messages[thread.id].values()
            if m.author_id == me.id and "Welcome" in (m.content or "")
        ]
        assert len(welcomes) == 1, [m.content for m in welcomes]
        for key in (thread_key(pairing["id"]), welcome_key(pairing["id"])):
            status = await bot.outbox.status(key)
            assert status is not None and status.message_id is not None, key
    open_work = await bot.db.fetchall(
        "SELECT key, state FROM jobs WHERE kind = 'mentorship.space' "
        "AND state IN ('pending', 'running')"
    )
    assert open_work == []
    pending = await bot.db.fetchall("SELECT key FROM outbox WHERE state = 'pending'")
    assert pending == []


async def test_a_claim_whose_thread_answer_was_lost_opens_one_thread(
    simcord_env: simcord.Env, world: World, discord_fidelity: Fidelity
) -> None:
    """Discord makes the pair's thread and the answer is lost (a 502): the claim
    finds the thread instead of failing (and leaving it empty), and a claim tried
    again makes no second one."""
    await make_profile(world, world.mentor)
    request_id = await make_request(world, world.alice)
    discord_fidelity.lose_answers("POST", threads_path(world))
    result = await world.mentor.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert discord_fidelity.lost, "the thread's answer was never lost"
    assert "You are now mentoring" in text_of(result), text_of(result)
    again = await world.mentor.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "You are now mentoring" not in text_of(again)
    await simcord_env.advance_time(SPACE_AFTER.total_seconds() + 600)
    await assert_one_space_per_pairing(simcord_env, world)
    status = await bot_of(simcord_env).outbox.status(thread_key(1))
    assert status is not None and status.adopted


async def test_a_match_whose_thread_answers_were_lost_opens_one_thread_each(
    simcord_env: simcord.Env, world: World, discord_fidelity: Fidelity
) -> None:
    await make_profile(world, world.mentor, topics="flask, jinja", capacity=1)
    await make_profile(world, world.mentor2, topics="flask", capacity=1)
    await make_request(world, world.alice, topics="flask, jinja")
    await make_request(world, world.bob, topics="jinja")
    proposal = await world.organiser.slash(world.general, "mentor-admin match")
    discord_fidelity.lose_answers("POST", threads_path(world), times=2)
    confirm = await world.organiser.click(shown(proposal), label="Confirm all")
    assert len(discord_fidelity.lost) == 2
    assert "2 pairs created" in text_of(confirm), text_of(confirm)
    await simcord_env.advance_time(SPACE_AFTER.total_seconds() + 600)
    await assert_one_space_per_pairing(simcord_env, world)


async def test_a_claim_that_cannot_find_its_lost_thread_is_undone_and_claimed_again(
    simcord_env: simcord.Env, world: World, discord_fidelity: Fidelity
) -> None:
    """The thread is made but its answer lost, and looking for it fails too: the
    claim is undone (the mentor is told); the claim's job later finds that thread,
    which holds only the bot, and deletes it. A new claim makes its own thread,
    welcomed once, and no thread is left that belongs to no pairing."""
    await make_profile(world, world.mentor)
    request_id = await make_request(world, world.alice)
    discord_fidelity.lose_answers("POST", threads_path(world))
    simcord_env.inject_error(
        "GET", f"/guilds/{world.guild.id}/threads/active", status=503, times=1
    )
    result = await world.mentor.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "You are now mentoring" not in text_of(result)
    state = await bot_of(simcord_env).db.fetchval(
        "SELECT state FROM mentor_requests WHERE id = ?", (request_id,)
    )
    assert state == "open"
    # The claim's Discord error, answered with an apology; nothing else went wrong.
    assert all(
        isinstance(unwrap(e), discord.HTTPException) for e in simcord_env.errors
    ), simcord_env.errors
    simcord_env.errors.clear()
    again = await world.mentor.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "You are now mentoring" in text_of(again), text_of(again)
    await simcord_env.advance_time(SPACE_AFTER.total_seconds() + 600)
    bot = bot_of(simcord_env)
    [(pairing_id, thread_id)] = await bot.db.fetchall(
        "SELECT id, thread_id FROM mentor_pairings WHERE state = 'active'"
    )
    welcomes = [
        m
        for m in simcord_env.backend.messages[thread_id].values()
        if "Welcome" in (m.content or "")
    ]
    assert len(welcomes) == 1
    assert pairing_id == 2
    await assert_one_space_per_pairing(simcord_env, world)
    deleted = [
        e
        for e in simcord_env.http_requests
        if e.method == "DELETE" and e.path.startswith("/channels/")
    ]
    assert len(deleted) == 1


@pytest.mark.parametrize("downtime", [0, HOUR])
async def test_a_kill_after_discord_made_the_pairs_thread_makes_no_second(
    simcord_env: simcord.Env,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    downtime: int,
) -> None:
    """Killed after Discord made the thread and before the bot recorded it: after
    the restart (at once, or an hour later) the pairing has that one thread, with
    the pair in it and welcomed once."""
    await make_profile(world, world.mentor)
    request_id = await make_request(world, world.alice)
    spare = tmp_path / "at-the-kill.sqlite3"
    killed = asyncio.Event()
    recorded = Outbox._sent

    async def sent(self: Outbox, key: str, *args: Any, **kwargs: Any) -> Any:
        if key.startswith("mentorship:thread:") and not killed.is_set():
            snapshot(settings.database_path, spare)  # what a SIGKILL leaves
            killed.set()
            await asyncio.sleep(10**7)  # the killed process does nothing more
        return await recorded(self, key, *args, **kwargs)

    monkeypatch.setattr(Outbox, "_sent", sent)
    await world.mentor.slash(world.general, "mentor-tools claim", request=request_id)
    assert killed.is_set()
    dead = bot_of(simcord_env)
    await dead.stop_services()
    await simcord_env.restart_bot(discord.Client(intents=discord.Intents(guilds=True)))
    restore(spare, settings.database_path)
    if downtime:
        await simcord_env.advance_time(downtime)
    monkeypatch.setattr(Outbox, "_sent", recorded)
    await simcord_env.restart_bot(create_bot(settings))
    await simcord_env.settle()
    await simcord_env.advance_time(SPACE_AFTER.total_seconds() + 600)
    await assert_one_space_per_pairing(simcord_env, world)
    job = await bot_of(simcord_env).scheduler.get(space_key(1))
    assert job is not None and job["state"] == "done"
