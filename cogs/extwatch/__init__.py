"""Extension watch: the health of Flask extensions, checked weekly."""

from bot.app import PalletsBot
from cogs.extwatch._cog import ExtWatchCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(ExtWatchCog(bot))
