"""The members' page choices, through the core's record of them (bot.pages.people).

Nothing is cached here: the pages read the choices in the query that fills them, so
a change shows on the next view.
"""

from __future__ import annotations

from bot.app import PalletsBot
from bot.pages import people
from bot.pages.people import Choices


class PagesEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    def register(self) -> None:
        """Nothing to register: the pages read the choices where they show content."""

    def unregister(self) -> None:
        """Nothing to remove (see :meth:`register`)."""

    async def show_name(
        self, guild_id: int, user_id: int, display_name: str, show: bool
    ) -> str | None:
        """Record the choice; the name that will be shown, or ``None``."""
        name = display_name if show else None
        await people.show_name(self.bot.db, guild_id, user_id, name)
        return (await people.choices(self.bot.db, guild_id, user_id)).name

    async def set_removed(self, guild_id: int, user_id: int, removed: bool) -> bool:
        return await people.set_removed(self.bot.db, guild_id, user_id, removed)

    async def choices(self, guild_id: int, user_id: int) -> Choices:
        return await people.choices(self.bot.db, guild_id, user_id)
