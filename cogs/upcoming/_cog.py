"""/upcoming: one list of what is coming, from the community calendar's sources."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.ui import Interaction
from bot.ui import show_page
from cogs.upcoming._engine import LIST
from cogs.upcoming._engine import UpcomingEngine


@app_commands.guild_only()
class UpcomingCog(commands.Cog):
    """What is coming up in the community."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.engine = UpcomingEngine(bot)

    async def cog_load(self) -> None:
        self.engine.register()

    async def cog_unload(self) -> None:
        self.engine.unregister()

    @app_commands.command(name="upcoming")
    async def upcoming(self, interaction: Interaction) -> None:
        """Show the next chats and events, in your own time."""
        await show_page(interaction, LIST)
