"""Public pages: each member decides whether their name shows, and can take their
content off the pages at once."""

from bot.app import PalletsBot
from cogs.pages._cog import PagesCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(PagesCog(bot))
