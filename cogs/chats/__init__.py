"""Community chats: recurring series, topic voting, scheduled events, reminders, notes."""

from __future__ import annotations

from bot.app import PalletsBot
from cogs.chats._cog import ChatsCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(ChatsCog(bot))
