from __future__ import annotations

import asyncio

import pytest

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
