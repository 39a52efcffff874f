"""/ext: keep an eye on Flask extensions whose maintainers may have gone quiet."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.guilds import Role
from bot.permissions import requires
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.ui import Interaction
from bot.ui import show_page
from cogs.extwatch import _queries as q
from cogs.extwatch import _render as render
from cogs.extwatch._engine import ExtWatchEngine
from cogs.extwatch._engine import REPORT_PAGES
from cogs.extwatch._logic import check_new_watch


@app_commands.guild_only()
class ExtWatchCog(commands.GroupCog, group_name="ext"):
    """Watch the health of Flask extensions."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.engine = ExtWatchEngine(bot)

    async def cog_load(self) -> None:
        self.engine.register()

    async def cog_unload(self) -> None:
        self.engine.unregister()
        await self.engine.close()

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        # Only servers that use the watch: the first /ext command there seeds the
        # list and starts the weekly check. So a server (or another job's test)
        # that never uses /ext never causes a request to PyPI, GitHub or OSV.
        await self.engine.start_weekly_checks()

    async def _name_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        await self.engine.ensure_guild(interaction.guild_id)
        wanted = current.lower()
        return [
            app_commands.Choice(name=item.display_name, value=item.display_name)
            for item in await q.watched(self.bot.db, interaction.guild_id)
            if wanted in item.display_name.lower()
        ][:25]

    # -- commands --------------------------------------------------------------------------
    @app_commands.command(name="status")
    @app_commands.describe(name="The extension's package name, e.g. Flask-Login")
    async def status(self, interaction: Interaction, name: str) -> None:
        """Show an extension's health, reasons, latest release and links."""
        assert interaction.guild_id is not None
        await self.engine.ensure_guild(interaction.guild_id)
        embed = await self.engine.status_embed(interaction.guild_id, name)
        await reply(interaction, embed=embed)

    @status.autocomplete("name")
    async def _status_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)

    @app_commands.command(name="report")
    async def report(self, interaction: Interaction) -> None:
        """List every watched extension, grouped by status."""
        assert interaction.guild_id is not None
        await self.engine.ensure_guild(interaction.guild_id)
        await show_page(interaction, REPORT_PAGES)

    @app_commands.command(name="watch-add")
    @app_commands.describe(
        name="The package name on PyPI, e.g. Flask-Login",
        repo="Its source repository on GitHub: owner/name or the URL",
        notes="Anything organisers should remember about it",
    )
    @requires(Role.ORGANISER)
    async def watch_add(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 100],
        repo: str | None = None,
        notes: app_commands.Range[str, 0, 300] | None = None,
    ) -> None:
        """Add an extension to the watch list and check it now."""
        assert interaction.guild_id is not None
        name = name.strip()
        package, parsed_repo = check_new_watch(name, repo)
        await self.engine.ensure_guild(interaction.guild_id)
        await self.engine.add(
            interaction.guild_id,
            package,
            name,
            parsed_repo,
            clean_text(notes or ""),
            interaction.user.id,
        )
        await defer(interaction)
        await self.engine.refresh({package: parsed_repo})
        embed = await self.engine.status_embed(interaction.guild_id, name)
        await reply(interaction, render.added(name), embed=embed)

    @app_commands.command(name="watch-remove")
    @app_commands.describe(name="The extension to stop watching")
    @requires(Role.ORGANISER)
    async def watch_remove(self, interaction: Interaction, name: str) -> None:
        """Remove an extension from the watch list."""
        assert interaction.guild_id is not None
        await self.engine.ensure_guild(interaction.guild_id)
        item = await self.engine.remove(interaction.guild_id, name)
        await reply(interaction, render.removed(item.display_name))

    @watch_remove.autocomplete("name")
    async def _remove_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)

    @app_commands.command(name="refresh")
    @app_commands.describe(name="Only this extension (default: the whole list)")
    @requires(Role.ORGANISER)
    async def refresh_command(
        self, interaction: Interaction, name: str | None = None
    ) -> None:
        """Fetch fresh data for the watch list now."""
        assert interaction.guild_id is not None
        await self.engine.ensure_guild(interaction.guild_id)
        if name:
            items = [await self.engine.watched(interaction.guild_id, name)]
        else:
            items = await q.watched(self.bot.db, interaction.guild_id)
        await defer(interaction)
        result, changes = await self.engine.refresh_watched(interaction.guild_id, items)
        summary = render.refresh_summary(
            result.checked, result.failed_packages, changes
        )
        await reply(interaction, summary)

    @refresh_command.autocomplete("name")
    async def _refresh_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)
