"""/timezone: a member's own timezone, the default of every command that needs one."""

from bot.app import PalletsBot
from cogs.timezone._cog import TimezoneCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(TimezoneCog(bot))
