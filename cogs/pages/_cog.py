"""/pages: a member's own choices about the community's public pages."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.job import JobCog
from bot.replies import reply
from bot.ui import Interaction
from cogs.pages import _render as render
from cogs.pages._engine import PagesEngine


@app_commands.guild_only()
class PagesCog(JobCog[PagesEngine], commands.GroupCog, group_name="pages"):
    """Your questions and answers on the community's public pages."""

    engine_type = PagesEngine

    @app_commands.command(name="names")
    @app_commands.describe(
        show="Show your server name next to your questions and answers (true), or "
        "'a member' (false)"
    )
    async def names(self, interaction: Interaction, show: bool) -> None:
        """Choose whether the public pages show your name or "a member"."""
        assert interaction.guild_id is not None
        name = await self.engine.show_name(
            interaction.guild_id,
            interaction.user.id,
            interaction.user.display_name,
            show,
        )
        await reply(interaction, render.names_saved(name))

    @app_commands.command(name="remove")
    async def remove(self, interaction: Interaction) -> None:
        """Take every question and answer you wrote off the public pages, now."""
        assert interaction.guild_id is not None
        changed = await self.engine.set_removed(
            interaction.guild_id, interaction.user.id, True
        )
        await reply(interaction, render.removed(changed))

    @app_commands.command(name="restore")
    async def restore(self, interaction: Interaction) -> None:
        """Put your questions and answers back on the public pages."""
        assert interaction.guild_id is not None
        changed = await self.engine.set_removed(
            interaction.guild_id, interaction.user.id, False
        )
        await reply(interaction, render.restored(changed))

    @app_commands.command(name="mine")
    async def mine(self, interaction: Interaction) -> None:
        """Show what the public pages show of you."""
        assert interaction.guild_id is not None
        choices = await self.engine.choices(interaction.guild_id, interaction.user.id)
        await reply(interaction, render.mine(choices))
