"""Pacing for everything the bot sends to Discord, so that a burst never leans on 429s.

Discord allows a bot 50 requests a second in all, and about 5 messages in 5 seconds
in one channel. discord.py waits out a 429 when it gets one, but a burst should not
be a storm of them, whoever caused it: a catch-up after downtime (hundreds of
reminders at once) or members (200 questions posted at once, 200 clicks on one
announcement). Two layers:

- :class:`HttpPacer` sits under discord.py's HTTP client and paces *every* REST
  request the bot makes, members' work included: at most :data:`GLOBAL_PER_SECOND`
  a second in all, which discord.py cannot know in advance (it learns of the global
  limit from a 429), and one edit of a message per :data:`EDIT_PERIOD`, the edits in
  between coalesced (an edit waiting for its turn absorbs the ones after it: Discord
  gets the latest state, once). Per-route limits (5 messages per 5 s in a channel,
  say) are Discord's buckets, which it announces in each answer's rate-limit
  headers: discord.py follows them and waits before a bucket runs out. Interaction
  responses do not pass through the pacer (they use the interaction's webhook,
  which Discord exempts from the global limit), so members are answered at once.
- :class:`Pacer` gives scheduled work a smaller share (see :mod:`bot.outbox`), so
  that a catch-up leaves room for members' commands.

Time is the event loop's, so simcord's simulated clock drives it in the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Discord's usual bucket for messages in one channel.
CHANNEL_LIMIT = 5
CHANNEL_PERIOD = 5.0
#: Requests a second for everything the bot sends (Discord's global limit is 50; the
#: rest is margin for clock differences between the bot and Discord).
GLOBAL_PER_SECOND = 45
#: At most one edit of a message in this many seconds; edits in between coalesce.
EDIT_PERIOD = 1.0

_scheduled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pallets_bot_scheduled_work", default=False
)


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
def scheduled_work() -> Iterator[None]:
    """Mark the current task as scheduled work: its sends are paced."""
    token = _scheduled.set(True)
    try:
        yield
    finally:
        _scheduled.reset(token)


def in_scheduled_work() -> bool:
    return _scheduled.get()


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
    tests sees every waiter as a timer; time is the event loop's. The check is made
    against the times requests really went, so a waiter that wakes late never lets
    more than ``limit`` through in a period.
    """

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs a positive limit and period")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        # The same sum as the wait in acquire(): ``now - period`` can round below a
        # time whose ``time + period - now`` is 0, and the window would then neither
        # let a request through nor wait (a spin on a clock that moves only when
        # the loop waits).
        while self._times and self._times[0] + self.period <= now:
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


# -- every request -------------------------------------------------------------------------
Request = Callable[..., Awaitable[Any]]
_EDIT = ("PATCH", "/channels/{channel_id}/messages/{message_id}")


@dataclass(slots=True)
class _PendingEdit:
    """An edit of one message waiting for its turn; later edits merge into it."""

    json: dict[str, Any]
    started: bool = False
    #: Sends the edit once it is its turn; every caller awaits it (shielded).
    task: asyncio.Task[Any] | None = None


class HttpPacer:
    """Paces every REST request of one HTTP client (see the module docstring)."""

    def __init__(
        self, per_second: int = GLOBAL_PER_SECOND, *, edit_period: float = EDIT_PERIOD
    ) -> None:
        self.overall = Window(per_second, 1.0)
        self._edit_period = edit_period
        self._messages: dict[int, Window] = {}
        self._edits: dict[int, _PendingEdit] = {}
        #: Edits that were absorbed by a later one (for the tests and metrics).
        self.coalesced = 0

    def install(self, http: Any) -> None:
        """Put the pacer in front of ``http.request`` (discord.py's one funnel)."""
        original: Request = http.request
        if getattr(original, "_pallets_paced", False):
            return

        async def paced(route: Any, **kwargs: Any) -> Any:
            return await self.request(original, route, **kwargs)

        paced._pallets_paced = True  # type: ignore[attr-defined]
        http.request = paced

    async def request(self, send: Request, route: Any, **kwargs: Any) -> Any:
        if (route.method, route.path) == _EDIT and isinstance(kwargs.get("json"), dict):
            return await self._edit(send, route, kwargs)
        await self.overall.acquire()
        return await send(route, **kwargs)

    def _edit_window(self, message_id: int) -> Window:
        window = self._messages.get(message_id)
        if window is None:
            if len(self._messages) >= 1000:
                now = asyncio.get_running_loop().time()
                for old in [k for k, w in self._messages.items() if w.idle(now)]:
                    del self._messages[old]
            window = self._messages[message_id] = Window(1, self._edit_period)
        return window

    async def _edit(self, send: Request, route: Any, kwargs: dict[str, Any]) -> Any:
        """Edit a message; an edit already waiting for that message takes this one.

        An edit (PATCH) sets the fields it names and leaves the others alone, so
        applying the merged fields once is the same as applying both in order. The
        edit is sent by a task of its own that every caller awaits: a caller that
        goes away does not take the others' edit with it.
        """
        message_id = int(route.url.rstrip("/").rsplit("/", 1)[-1])
        pending = self._edits.get(message_id)
        if pending is not None and not pending.started:
            pending.json.update(kwargs["json"])
            self.coalesced += 1
        else:
            pending = self._edits[message_id] = _PendingEdit(dict(kwargs["json"]))
            pending.task = asyncio.ensure_future(
                self._send_edit(send, route, kwargs, message_id, pending)
            )
            # Read the outcome even if every caller went away, so it is not lost.
            pending.task.add_done_callback(
                lambda task: task.cancelled() or task.exception()
            )
        assert pending.task is not None
        return await asyncio.shield(pending.task)

    async def _send_edit(
        self,
        send: Request,
        route: Any,
        kwargs: dict[str, Any],
        message_id: int,
        pending: _PendingEdit,
    ) -> Any:
        try:
            await self._edit_window(message_id).acquire()
            await self.overall.acquire()
        finally:
            pending.started = True
            if self._edits.get(message_id) is pending:
                del self._edits[message_id]
        return await send(route, **{**kwargs, "json": pending.json})
