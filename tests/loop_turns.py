"""Counting the turns the event loop gives other work while a long step runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(slots=True)
class Turns:
    count: int = 0


@contextlib.asynccontextmanager
async def other_work() -> AsyncIterator[Turns]:
    """Other work (a member's click, the gateway) that takes every turn it gets;
    ``count`` is how many it had so far."""
    turns = Turns()

    async def spin() -> None:
        while True:
            turns.count += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(spin())
    await asyncio.sleep(0)
    try:
        yield turns
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
