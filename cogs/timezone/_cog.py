"""/timezone set, show and clear: the zone commands use when a member gives none.

The zones, their names in each language and the defaults live in ``bot.timezones``;
this job only lets a member choose theirs.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from discord import app_commands
from discord.ext import commands

from bot import timezones
from bot.app import PalletsBot
from bot.clock import utcnow
from bot.replies import reply
from bot.timezones import Timezone
from bot.ui import Interaction
from cogs.timezone import _render as render


@app_commands.guild_only()
class TimezoneCog(commands.GroupCog, group_name="timezone"):
    """Your own timezone."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    def _label(self, interaction: Interaction, key: str) -> str:
        return timezones.label(key, timezones.language_of(interaction))

    @app_commands.command(name="set")
    @app_commands.describe(
        timezone="Your city, country or timezone, for example Paris, Brazil or CET"
    )
    async def set_zone(self, interaction: Interaction, timezone: Timezone) -> None:
        """Set your timezone: commands use it when you give none."""
        assert interaction.guild_id is not None
        await timezones.set_member_zone(
            self.bot.db, interaction.guild_id, interaction.user.id, timezone.key
        )
        now = utcnow().astimezone(timezone)
        await reply(
            interaction, render.saved(self._label(interaction, timezone.key), now)
        )

    @app_commands.command(name="show")
    async def show(self, interaction: Interaction) -> None:
        """Show the timezone commands use for you."""
        assert interaction.guild_id is not None
        own = await timezones.member_zone(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        server = (await self.bot.guild_config.get(interaction.guild_id)).timezone
        key = own or server
        now = utcnow().astimezone(ZoneInfo(key)) if key else None
        await reply(
            interaction,
            render.shown(
                self._label(interaction, own) if own else None,
                self._label(interaction, server) if server else None,
                now,
            ),
        )

    @app_commands.command(name="clear")
    async def clear(self, interaction: Interaction) -> None:
        """Forget your timezone; commands use the server's again."""
        assert interaction.guild_id is not None
        await timezones.set_member_zone(
            self.bot.db, interaction.guild_id, interaction.user.id, None
        )
        server = (await self.bot.guild_config.get(interaction.guild_id)).timezone
        await reply(
            interaction,
            render.cleared(self._label(interaction, server) if server else None),
        )
