"""Community events: announcements, RSVPs, reminders, code of conduct, calendar."""

from bot.app import PalletsBot
from cogs.events._cog import EventsCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(EventsCog(bot))
