"""/upcoming: one list of what is coming, from the community calendar's sources."""

from __future__ import annotations

from discord import app_commands

from bot.job import JobCog
from bot.ui import Interaction
from bot.ui import show_page
from cogs.upcoming._engine import LIST
from cogs.upcoming._engine import UpcomingEngine


@app_commands.guild_only()
class UpcomingCog(JobCog[UpcomingEngine]):
    """What is coming up in the community."""

    engine_type = UpcomingEngine

    @app_commands.command(name="upcoming")
    async def upcoming(self, interaction: Interaction) -> None:
        """Show the next chats and events, in your own time."""
        await show_page(interaction, LIST)
