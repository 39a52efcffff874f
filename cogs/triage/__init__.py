"""Question triage: the questions forum tagged, answered, solved, never closed by a timer."""

from bot.app import PalletsBot
from cogs.triage._cog import TriageCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(TriageCog(bot))
