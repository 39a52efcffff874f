"""The mentorship job's engine: its in-memory queue index.

The engine is built by the cog (``self.engine = MentorshipEngine(bot)``) and holds
what outlives one command.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from bot.db import Database
from cogs.mentorship import _queries as q
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import page_count
from cogs.mentorship._logic import QUEUE_PAGE_SIZE
from cogs.mentorship._logic import QueueIndex

if TYPE_CHECKING:
    from bot.app import PalletsBot

#: Changed requests above which the index is reloaded rather than patched.
QUEUE_PATCH_LIMIT = 2000


class MentorshipEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self._queues: dict[int, QueueIndex] = {}
        self._queue_lock = asyncio.Lock()

    @property
    def db(self) -> Database:
        return self.bot.db

    # -- the ranked queue ---------------------------------------------------------------
    async def queue_page(
        self,
        mentor: MentorProfile,
        at: datetime,
        page: int,
        size: int = QUEUE_PAGE_SIZE,
    ) -> tuple[int, list[MentorRequest], int]:
        """One page of the open requests ranked for ``mentor`` (as ``rank_queue``).

        Returns the page number (clamped to the pages there are), its requests and
        how many requests the mentor's queue holds. The ranking runs over the guild's
        queue index, kept in step through the change log; only the page is read.
        """
        async with self._queue_lock:
            index = await self._synced_queue(mentor.guild_id)
            number = max(page, 0)
            ranked, total = index.rank(mentor, at, (number + 1) * size)
            if number >= page_count(total, size):  # past the end: the last page
                number = page_count(total, size) - 1
                ranked, total = index.rank(mentor, at, (number + 1) * size)
        ids = [int(i) for i in ranked[number * size : (number + 1) * size]]
        shown = await q.requests_by_id(self.db, mentor.guild_id, ids)
        return number, shown, total

    async def warm_queue(self, guild_id: int) -> None:
        """Build the guild's queue index ahead of the first /mentor queue."""
        async with self._queue_lock:
            await self._synced_queue(guild_id)

    async def _synced_queue(self, guild_id: int) -> QueueIndex:
        lo, hi = await q.queue_change_bounds(self.db)
        index = self._queues.get(guild_id)
        if index is not None and index.seq >= lo - 1:
            if hi > index.seq:
                ids = await q.queue_changes(self.db, guild_id, index.seq, hi)
                if len(ids) > QUEUE_PATCH_LIMIT:
                    index = None
                else:
                    requests = await q.queue_reread(self.db, ids)
                    for request_id in ids:
                        index.discard(request_id)
                    for request in requests:
                        if request.state == "open" and request.guild_id == guild_id:
                            index.put(request)
            if index is not None:
                index.seq = hi
                return index
        # First use in this process, or too far behind: read the whole queue once.
        # ``hi`` was read first, so a change made meanwhile is applied next time.
        index = QueueIndex()
        async for chunk in q.open_queue(self.db, guild_id):
            for request in chunk:
                index.put(request)
            # A big queue loads in slices, so commands keep being answered.
            index.flush()
            await asyncio.sleep(0)
        index.seq = hi
        self._queues[guild_id] = index
        return index
