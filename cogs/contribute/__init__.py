"""Contributing: GitHub references, newcomer issues and claims, sprints, tasks,
release announcements, the start-here answers and the monthly thanks."""

from bot.app import PalletsBot
from cogs.contribute._cog import ContributeCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(ContributeCog(bot))
