"""The list behind /upcoming: the calendar's entries still to come, a page at a time.

It reads ``bot.calendar_sources``, the one source of the .ics file and the public
feed, so the three never disagree about what is planned.
"""

from __future__ import annotations

from bot import calendar
from bot.app import PalletsBot
from bot.clock import utcnow
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.upcoming import _render as render

#: The paged list of /upcoming.
LIST = "upcoming.list"
PAGE_SIZE = 10


class UpcomingEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    def register(self) -> None:
        self.bot.actions.register_pages(LIST, self.page)

    def unregister(self) -> None:
        self.bot.actions.unregister(LIST)

    async def page(self, interaction: Interaction, number: int, arg: str) -> Page:
        """Page ``number`` of the guild's upcoming chats and events."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        now = utcnow()
        entries = calendar.upcoming(
            await self.bot.calendar_sources.collect(self.bot, guild_id), now
        )
        number, count, offset = page_bounds(number, len(entries), PAGE_SIZE)
        settings = await self.bot.guild_config.get(guild_id)
        feed = (
            calendar.feed_url(self.bot.settings.public_url, guild_id)
            if settings.calendar_enabled
            else None
        )
        shown = entries[offset : offset + PAGE_SIZE]
        return Page(render.page(shown, len(entries), now, feed), number, count)
