"""Event grants: requests from members, reviewed by the grants reviewers."""

from bot.app import PalletsBot
from cogs.grants._cog import GrantsCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(GrantsCog(bot))
