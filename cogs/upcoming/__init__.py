"""/upcoming: the community's next chats and events together, in the member's time."""

from bot.app import PalletsBot
from cogs.upcoming._cog import UpcomingCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(UpcomingCog(bot))
