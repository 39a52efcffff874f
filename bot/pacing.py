"""Pacing for the bot's own work, so that a burst never leans on Discord's 429s.

Discord allows a bot 50 requests a second in all, and about 5 messages in 5 seconds
in one channel. discord.py waits out a 429 when it gets one, but a catch-up after
downtime (hundreds of reminders at once) should not be a storm of them: scheduled
work is paced here, before the request is made. Members' commands are never paced.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import Hashable
from collections.abc import Iterator
from dataclasses import dataclass

#: Discord's usual bucket for messages in one channel.
CHANNEL_LIMIT = 5
CHANNEL_PERIOD = 5.0

_scheduled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pallets_bot_scheduled_work", default=False
)


@contextlib.contextmanager
def scheduled_work() -> Iterator[None]:
    """Mark the current task as scheduled work: its sends are paced."""
    token = _scheduled.set(True)
    try:
        yield
    finally:
        _scheduled.reset(token)


def in_scheduled_work() -> bool:
    return _scheduled.get()


@dataclass(frozen=True, slots=True)
class RunningJob:
    """The scheduled job the current task runs (see :func:`running_job`)."""

    key: str
    #: When it was due (epoch seconds), which may be long before now.
    due_at: int


_job: contextvars.ContextVar[RunningJob | None] = contextvars.ContextVar(
    "pallets_bot_running_job", default=None
)


@contextlib.contextmanager
def running_job(key: str, due_at: int) -> Iterator[None]:
    """Name the job the current task runs, for the sends it makes (the outbox)."""
    token = _job.set(RunningJob(key, due_at))
    try:
        yield
    finally:
        _job.reset(token)


def current_job() -> RunningJob | None:
    """The job the current task runs, or ``None`` for a member's action."""
    return _job.get()


class Window:
    """At most ``limit`` acquisitions in any ``period`` seconds (a sliding window).

    Waiting is sleeping only (no locks or futures), so the simulated clock of the
    tests sees every waiter as a timer; time is the event loop's.
    """

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs a positive limit and period")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()

    def idle(self, now: float) -> bool:
        """Whether nothing was acquired in the last period (safe to forget)."""
        self._prune(now)
        return not self._times

    async def acquire(self, count: int = 1) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(count):
            while True:
                now = loop.time()
                self._prune(now)
                if len(self._times) < self.limit:
                    self._times.append(now)
                    break
                await asyncio.sleep(self._times[0] + self.period - now)


class Pacer:
    """One window for everything, and one per channel (or DM recipient)."""

    def __init__(
        self,
        per_second: int,
        *,
        channel_limit: int = CHANNEL_LIMIT,
        channel_period: float = CHANNEL_PERIOD,
    ) -> None:
        self.overall = Window(per_second, 1.0)
        self._channel_limit = channel_limit
        self._channel_period = channel_period
        self._channels: dict[Hashable, Window] = {}

    async def acquire(self, channel: Hashable, requests: int = 1) -> None:
        """Wait until ``requests`` more requests, one a message to ``channel``, fit."""
        window = self._channels.get(channel)
        if window is None:
            self._forget_idle()
            window = self._channels[channel] = Window(
                self._channel_limit, self._channel_period
            )
        await window.acquire()
        await self.overall.acquire(requests)

    def _forget_idle(self) -> None:
        if len(self._channels) < 1000:
            return
        now = asyncio.get_running_loop().time()
        for key in [k for k, w in self._channels.items() if w.idle(now)]:
            del self._channels[key]
