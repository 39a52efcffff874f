"""Rendered pages and feeds, kept until what they show may have changed.

Rendering the calendar feed or a page of a big server reads and writes thousands of
entries (a third of a second for the feed at ten times a big community's size), and
feed readers, calendar apps and crawlers ask for the same few addresses again and
again. So each answer is kept with the *version* it was rendered at, and served again
while the version is the same:

- the database's: SQLite's ``PRAGMA data_version`` on the bot's reading connection
  changes with every commit by any other connection (the bot's writer, the command
  line, another process), so a member's removed content, a new event or a changed
  setting shows on the next request;
- the minute of the clock, so what has ended leaves "upcoming" within a minute;
- what the caller adds from Discord's side (the server's name and vanity invite,
  whether the questions forum is public) and the registries' generations (a job loaded or unloaded).

The version is read before rendering: a change that lands during a render makes the
next request render again, never serves older data as newer. Readers asking for the
same address while it renders share that render. Each kept answer carries its ETag,
computed once. Bounded by :data:`ENTRIES` answers and :data:`MAX_BYTES` bytes (the
least recently used go first); an answer bigger than a quarter of that is not kept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Hashable
from typing import TYPE_CHECKING

from bot.clock import now_ts
from bot.pages import Rendered

if TYPE_CHECKING:
    from bot.db import Database

#: How many rendered answers are kept, and how many bytes of them at most.
ENTRIES = 256
MAX_BYTES = 16 * 2**20


def etag_of(body: bytes) -> str:
    """A strong validator for ``body`` (a digest, quoted as HTTP wants it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def data_version(db: Database) -> int:
    """Changes whenever another connection commited to the database (see above)."""
    return int(await db.fetchval("PRAGMA data_version"))


def minute() -> int:
    return now_ts() // 60


class RenderCache:
    """Rendered answers by address, each valid for the version it was rendered at."""

    def __init__(self, *, entries: int = ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries = entries
        self._max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, tuple[Hashable, Rendered]] = OrderedDict()
        self._bytes = 0
        self._running: dict[tuple[Hashable, Hashable], asyncio.Task[Rendered]] = {}
        #: Answers rendered and served from the cache (for the tests and metrics).
        self.renders = 0
        self.hits = 0

    async def get(
        self,
        key: Hashable,
        version: Hashable,
        render: Callable[[], Awaitable[Rendered]],
    ) -> Rendered:
        """The answer kept for ``key`` at ``version``, else ``render()``'s (kept)."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(key)
            self.hits += 1
            return kept[1]
        running = self._running.get((key, version))
        if running is None:
            running = asyncio.ensure_future(self._render(key, version, render))
            self._running[(key, version)] = running
            running.add_done_callback(lambda _: self._running.pop((key, version), None))
        # A reader that gives up (a timeout) does not cancel the others' render.
        return await asyncio.shield(running)

    async def _render(
        self,
        key: Hashable,
        version: Hashable,
        render: Callable[[], Awaitable[Rendered]],
    ) -> Rendered:
        rendered = await render()
        self.renders += 1
        rendered = dataclasses.replace(rendered, etag=etag_of(rendered.body))
        self._keep(key, version, rendered)
        return rendered

    def _keep(self, key: Hashable, version: Hashable, rendered: Rendered) -> None:
        old = self._kept.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1].body)
        if len(rendered.body) > self._max_bytes // 4:
            return
        self._kept[key] = (version, rendered)
        self._bytes += len(rendered.body)
        while len(self._kept) > self._entries or self._bytes > self._max_bytes:
            _, (_, dropped) = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)

    def clear(self) -> None:
        self._kept.clear()
        self._bytes = 0
