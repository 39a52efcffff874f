"""Guild setup: which channels and roles the bot uses, and the guild's language."""

from bot.app import PalletsBot
from cogs.setup._cog import SetupCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(SetupCog(bot))
