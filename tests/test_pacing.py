from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord
from hypothesis import given
from hypothesis import strategies as st
from simcord import interactions as sim_interactions
from simcord.backend import serializers
from simcord.http import router

from bot.devtools.testing import World
from bot.pacing import in_scheduled_work
from bot.pacing import Pacer
from bot.pacing import scheduled_work
from bot.pacing import Window


def most_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    most = start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - period:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_window_never_lets_more_than_its_limit_through_in_any_period() -> None:
    window = Window(3, 0.2)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def take() -> None:
        await window.acquire()
        times.append(loop.time())

    started = loop.time()
    await asyncio.gather(*(take() for _ in range(9)))
    assert len(times) == 9
    assert most_in_window(times, 0.2) <= 3
    # Nine through a 3-per-0.2 s window: the last waits two periods.
    assert loop.time() - started >= 0.39


def through_a_full_window(
    first: float, period: float, then: float
) -> tuple[list[float], float]:
    """A one-request window takes a request at ``first``, then another at ``then``
    on a clock that moves only when the window sleeps: the sleeps, and the time
    the second request went."""
    clock = [first]
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        assert delay > 0, "the window spins instead of waiting"
        assert len(waits) < 3, "the window keeps waiting"
        waits.append(delay)
        clock[0] += delay

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.time = lambda: clock[0]  # type: ignore[method-assign]
        window = Window(1, period)
        await window.acquire()
        clock[0] = then
        await window.acquire()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.pacing.asyncio.sleep", sleep)
        asyncio.run(run())
    return waits, clock[0]


@pytest.mark.parametrize(
    ("first", "period"), [(255.29404008730594, 5.0), (255.76508460859228, 1.0)]
)
def test_a_window_lets_a_request_through_when_its_period_ends_whatever_the_rounding(
    first: float, period: float
) -> None:
    """At these clock values ``first + period`` rounds so that ``now - period`` is
    below ``first`` but ``first + period - now`` is 0: the window neither let the
    request through nor waited, and ``asyncio.sleep(0)`` spun forever on a clock
    that only moves when the loop waits (simcord's, as the bench's catch-up found)."""
    waits, _ = through_a_full_window(first, period, first + period)
    assert waits == []


@given(
    first=st.floats(0, 1e10, allow_nan=False),
    period=st.floats(0.001, 100, allow_nan=False),
    early=st.floats(0, 1),
)
def test_a_window_always_waits_a_positive_time_until_its_period_ends(
    first: float, period: float, early: float
) -> None:
    """Wherever the clock is, a full window waits (never ``sleep(0)``) and lets the
    request through once the period has passed, in a few waits at most."""
    _, went = through_a_full_window(first, period, first + period * (1 - early))
    assert went >= first + period or went == first


async def test_a_busy_channel_does_not_hold_up_another() -> None:
    pacer = Pacer(100, channel_limit=2, channel_period=0.3)
    loop = asyncio.get_running_loop()
    for _ in range(2):
        await pacer.acquire(("channel", 1))
    busy = asyncio.create_task(pacer.acquire(("channel", 1)))
    started = loop.time()
    await pacer.acquire(("channel", 2))
    assert loop.time() - started < 0.1
    assert not busy.done()
    await busy
    assert loop.time() - started >= 0.25


async def test_overall_window_counts_every_request_of_a_send() -> None:
    pacer = Pacer(4)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Two DMs (two requests each) fill the second; the third waits for the next.
    await pacer.acquire(("user", 1), requests=2)
    await pacer.acquire(("user", 2), requests=2)
    assert loop.time() - started < 0.1
    await pacer.acquire(("user", 3), requests=2)
    assert loop.time() - started >= 0.95


async def test_only_scheduled_work_is_marked_for_pacing() -> None:
    assert not in_scheduled_work()
    with scheduled_work():
        assert in_scheduled_work()
        # A task started from scheduled work inherits the mark.
        assert await asyncio.create_task(_marked())
    assert not in_scheduled_work()


async def _marked() -> bool:
    return in_scheduled_work()


def test_window_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        Window(0, 1.0)
    with pytest.raises(ValueError):
        Window(1, 0)


# -- every request, members' work included -----------------------------------------------
@dataclass
class Call:
    at: float
    method: str
    path: str


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every REST call the bot makes, with the simulated time it reached Discord."""
    made: list[Call] = []
    original = router._check_faults

    def check(backend: Any, method: str, path: str) -> None:
        if not path.startswith("/interactions/") and not path.startswith("/webhooks/"):
            made.append(Call(discord.utils.utcnow().timestamp(), method, path))
        original(backend, method, path)

    monkeypatch.setattr(router, "_check_faults", check)
    return made


def assert_under_discords_limits(calls: list[Call]) -> None:
    """Discord: 50 requests a second in all, 5 message writes per 5 s per channel."""
    assert most_in_window([c.at for c in calls], 1.0) <= 50
    writes: dict[str, list[float]] = {}
    for call in calls:
        if call.method != "GET" and "/messages" in call.path:
            channel = call.path.split("/")[2]
            writes.setdefault(channel, []).append(call.at)
    for channel, times in writes.items():
        assert most_in_window(times, 5.0) <= 5, channel


def click_without_waiting(
    env: simcord.Env, member: simcord.MemberActor, message: Any, label: str
) -> None:
    """Deliver a click as Discord would while the bot is still busy with earlier
    ones: simcord's ``click`` waits for the bot to finish each before the next."""
    stored = env.backend.get_message(message.channel.id, message.id)
    (custom_id,) = [
        item["custom_id"]
        for row in stored.components
        for item in row.get("components", [])
        if item.get("label") == label
    ]
    _record, payload = sim_interactions.base_payload(
        env.backend,
        type=discord.InteractionType.component.value,
        channel_id=stored.channel_id,
        guild_id=member.guild.id,
        user_id=member.id,
        data={"custom_id": custom_id, "component_type": 2},
    )
    payload["message"] = dict(serializers.message_payload(env.backend, stored))
    env.backend.emit("INTERACTION_CREATE", payload)


@pytest.mark.simcord(settle_timeout=120)  # 200 handlers take turns on the database
async def test_two_hundred_questions_at_once_are_answered_under_discords_limits(
    simcord_env: simcord.Env, world: World, calls: list[Call]
) -> None:
    """Members' work is paced too: 200 questions posted in the same second make 200
    checklist replies, spread under the global limit instead of all at once, and
    each question is answered once.

    The questions match no tag rule: tagging edits a post under the triage job's own
    lock, and simcord cannot move its clock while tasks wait on a lock (they are
    not timers), so the paced tag edits of 200 posts would stall the simulation.
    """
    backend = simcord_env.backend
    threads = []
    for n in range(200):
        # As Discord delivers a forum post (see post_question), all at once.
        thread = backend.create_thread(
            world.questions.id,
            f"Question {n} about my homework",
            world.alice.id,
            type=discord.ChannelType.public_thread.value,
        )
        backend.create_message(thread.id, world.alice.id, "Hello, anyone around?")
        threads.append(thread)
    await simcord_env.advance_time(60)
    me = simcord_env.bot.user
    assert me is not None
    for thread in threads:
        answers = [
            m for m in backend.messages[thread.id].values() if m.author_id == me.id
        ]
        assert len(answers) == 1, thread.name
    assert len(calls) >= 200
    assert_under_discords_limits(calls)


@pytest.mark.simcord(settle_timeout=120)
async def test_clicks_on_one_announcement_are_coalesced_and_its_reminder_paced(
    simcord_env: simcord.Env, world: World, calls: list[Call]
) -> None:
    """200 members click Interested on a chat's announcement within a second: the
    announcement is edited a few times, not 200, and shows the last count. The
    reminder then fans out 200 DMs, paced (scheduled work keeps to its share of
    Discord's limit)."""
    from tests.cogs.chats.test_cog import announcement
    from tests.cogs.chats.test_cog import create_series

    await create_series(world, week="1")  # opens at once: the chat is on 01-01
    await simcord_env.settle()
    message = announcement(world)
    members = [
        world.guild.add_member(simcord_env.create_user(f"member{n}"))
        for n in range(200)
    ]
    start = len(calls)
    for member in members:
        click_without_waiting(simcord_env, member, message, "Interested")
    await simcord_env.advance_time(30)
    edits = [
        c
        for c in calls[start:]
        if c.method == "PATCH" and c.path.endswith(f"/messages/{message.id}")
    ]
    assert 1 <= len(edits) <= 10, len(edits)
    assert "200 members interested" in (announcement(world).embeds[0].footer.text or "")
    # The 1-hour reminder (15:00 UTC) DMs every interested member once.
    fan_out = len(calls)
    await simcord_env.advance_time(15 * 3600)
    dms = [c for c in calls[fan_out:] if c.path == "/users/@me/channels"]
    assert len(dms) == 200
    for member in members[:5]:
        assert len(member.user.dm_channel.history()) == 1
    assert most_in_window([c.at for c in calls[fan_out:]], 1.0) <= 20
    assert_under_discords_limits(calls)
