"""/setup: configure channels, roles, language and timezone (members who can manage the
server)."""

from __future__ import annotations

import contextlib
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import timezones
from bot.app import PalletsBot
from bot.calendar import feed_path
from bot.guilds import Channel
from bot.guilds import GuildSettings
from bot.guilds import Role
from bot.i18n import available_languages
from bot.i18n import guild_language
from bot.i18n import normalise_language
from bot.permissions import require_manage_guild
from bot.permissions import role_groups
from bot.refusals import Refused
from bot.replies import reply
from bot.start_here import start_embed
from bot.start_here import start_view
from bot.timezones import Timezone
from bot.ui import Interaction
from cogs.setup import _render as render
from cogs.setup._logic import CHANNEL_NEEDS
from cogs.setup._logic import chosen
from cogs.setup._logic import missing
from cogs.setup._logic import pages_changes
from cogs.setup._logic import pages_path
from cogs.setup._logic import Problem
from cogs.setup._logic import SERVER_NEEDS


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(commands.GroupCog, group_name="setup"):
    """Configure the bot for this server."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # default_permissions hides the commands; this check is the real gate.
        await require_manage_guild(interaction)
        return True

    @app_commands.command(name="channels")
    @app_commands.describe(
        announcements="Where chats are announced and reminded",
        questions="The forum where members ask questions",
        events="Where community events are announced",
        mentorship="Where mentoring pairs get their private threads",
        helpers="Where helpers get the questions digest",
        log="Where the bot tells organisers what needs attention",
        extensions="Where members read about extensions at risk (a public channel)",
    )
    async def channels(
        self,
        interaction: Interaction,
        announcements: discord.TextChannel | None = None,
        questions: discord.ForumChannel | None = None,
        events: discord.TextChannel | None = None,
        mentorship: discord.TextChannel | None = None,
        helpers: discord.TextChannel | None = None,
        log: discord.TextChannel | None = None,
        extensions: discord.TextChannel | None = None,
    ) -> None:
        """Choose the channels the bot works in."""
        config = self.bot.guild_config
        changes = chosen(
            {
                config.channel_column(which): channel.id if channel else None
                for which, channel in {
                    Channel.ANNOUNCEMENTS: announcements,
                    Channel.QUESTIONS: questions,
                    Channel.EVENTS: events,
                    Channel.MENTORSHIP: mentorship,
                    Channel.HELPERS: helpers,
                    Channel.LOG: log,
                    Channel.EXTENSIONS: extensions,
                }.items()
            },
            Problem.NO_CHANNEL,
        )
        assert interaction.guild_id is not None
        settings = await config.update(interaction.guild_id, **changes)
        await reply(
            interaction,
            render.channels_saved(settings, self._log_is_public(settings))
            + "\n"
            + self._permissions(settings),
        )

    @app_commands.command(name="roles")
    @app_commands.describe(
        organiser="Runs chats and events, sees mentorship and grants overviews",
        helper="Triages and closes questions",
        mentor="Can claim mentees",
        grants_reviewer="Reviews event grant requests",
        releases="The role members opt in to; release announcements ping it",
    )
    async def roles(
        self,
        interaction: Interaction,
        organiser: discord.Role | None = None,
        helper: discord.Role | None = None,
        mentor: discord.Role | None = None,
        grants_reviewer: discord.Role | None = None,
        releases: discord.Role | None = None,
    ) -> None:
        """Choose the roles that may organise, help, mentor and review grants."""
        roles = {
            Role.ORGANISER: organiser,
            Role.HELPER: helper,
            Role.MENTOR: mentor,
            Role.GRANTS_REVIEWER: grants_reviewer,
            Role.RELEASES: releases,
        }
        if any(role is not None and role.is_default() for role in roles.values()):
            raise Refused(Problem.EVERYONE_ROLE)
        config = self.bot.guild_config
        changes = chosen(
            {
                config.role_column(which): role.id if role else None
                for which, role in roles.items()
            },
            Problem.NO_ROLE,
        )
        assert interaction.guild_id is not None
        settings = await config.update(interaction.guild_id, **changes)
        user = self.bot.user
        name = user.name if user is not None else "pallets-bot"
        groups = role_groups(self.bot.tree)
        await reply(interaction, render.roles_saved(settings, groups, name))

    @app_commands.command(name="language")
    @app_commands.describe(language="Language code, for example de, es, fr or pt-BR")
    async def language(self, interaction: Interaction, language: str) -> None:
        """Choose the language of the bot's public posts in this server."""
        code = normalise_language(language)
        if code is None:
            raise Refused(
                Problem.UNKNOWN_LANGUAGE,
                language=language,
                available=", ".join(available_languages()),
            )
        assert interaction.guild_id is not None
        await self.bot.guild_config.update(interaction.guild_id, language=code)
        await reply(interaction, render.language_saved(code))

    @language.autocomplete("language")
    async def _language_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=code, value=code)
            for code in available_languages()
            if current.lower() in code.lower()
        ][:25]

    @app_commands.command(name="timezone")
    @app_commands.describe(
        timezone="The server's city, country or timezone, for example Paris or CET"
    )
    async def timezone(self, interaction: Interaction, timezone: Timezone) -> None:
        """Choose the server's timezone, for members who have not set their own."""
        assert interaction.guild_id is not None
        await self.bot.guild_config.update(interaction.guild_id, timezone=timezone.key)
        label = timezones.label(timezone.key, timezones.language_of(interaction))
        await reply(interaction, render.timezone_saved(label))

    @app_commands.command(name="calendar")
    @app_commands.describe(
        enabled="Publish the community calendar feed of this server (true) or stop (false)"
    )
    async def calendar(self, interaction: Interaction, enabled: bool) -> None:
        """Turn the public calendar feed of chats and events on or off."""
        assert interaction.guild_id is not None
        await self.bot.guild_config.update(
            interaction.guild_id, calendar_enabled=enabled
        )
        if not enabled:
            await reply(interaction, render.calendar_off())
            return
        text = render.calendar_on(
            feed_path(interaction.guild_id),
            self.bot.settings.public_url,
            web_server=self.bot.settings.http_port is not None,
        )
        await reply(interaction, text)

    @app_commands.command(name="start-here")
    @app_commands.describe(channel="Where newcomers land, e.g. #welcome or #start-here")
    async def start_here(
        self, interaction: Interaction, channel: discord.TextChannel
    ) -> None:
        """Place the "start here" message with its buttons (moves it if placed)."""
        assert interaction.guild_id is not None
        config = self.bot.guild_config
        settings = await config.get(interaction.guild_id)
        with guild_language():
            embed = start_embed(settings)
            view = start_view()
        message = await channel.send(embed=embed, view=view)
        old = (settings.start_channel_id, settings.start_message_id)
        await config.update(
            interaction.guild_id,
            start_channel_id=channel.id,
            start_message_id=message.id,
        )
        if old[0] is not None and old[1] is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.bot.http.delete_message(old[0], old[1])
        await reply(interaction, render.start_placed(channel.id))

    @app_commands.command(name="pages")
    @app_commands.describe(
        enabled="Publish this server's public pages: extension health, what's coming (true) or stop (false)",
        questions="Also publish solved questions from the public questions forum",
        search_engines="Let search engines index the pages (until then they ask not to be)",
    )
    async def pages(
        self,
        interaction: Interaction,
        enabled: bool | None = None,
        questions: bool | None = None,
        search_engines: bool | None = None,
    ) -> None:
        """Turn the community's public web pages on or off, and what they show."""
        assert interaction.guild_id is not None
        changes = pages_changes(enabled, questions, search_engines)
        settings = await self.bot.guild_config.update(interaction.guild_id, **changes)
        text = render.pages_saved(
            settings,
            pages_path(interaction.guild_id),
            self.bot.settings.public_url,
            web_server=self.bot.settings.http_port is not None,
            forum_public=self._forum_is_public(settings),
        )
        await reply(interaction, text)

    @app_commands.command(name="show")
    async def show(self, interaction: Interaction) -> None:
        """Show how the bot is set up in this server."""
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        unreachable = await self.bot.reach.count(interaction.guild_id)
        await reply(
            interaction,
            render.summary(settings, self._log_is_public(settings), unreachable)
            + "\n"
            + self._permissions(settings),
        )

    def _permissions(self, settings: GuildSettings) -> str:
        """What the bot lacks in each configured channel (read from Discord's cache
        of its role and the channels' overwrites), worded with the fix."""
        guild = self.bot.get_guild(settings.guild_id)
        me = guild.me if guild is not None else None
        if guild is None or me is None:
            return ""
        lacking: dict[Channel, list[str]] = {}
        gone: list[Channel] = []
        ids: dict[Channel, int] = {}
        for which, needed in CHANNEL_NEEDS.items():
            channel_id = settings.channel(which)
            if channel_id is None:
                continue
            channel = guild.get_channel(channel_id)
            if channel is None:
                gone.append(which)
                continue
            perms = channel.permissions_for(me)
            granted = {name: bool(getattr(perms, name)) for name in needed}
            if names := missing(needed, granted):
                lacking[which] = names
                ids[which] = channel_id
        server = missing(
            SERVER_NEEDS,
            {name: bool(getattr(me.guild_permissions, name)) for name in SERVER_NEEDS},
        )
        return render.permission_report(lacking, gone, server, ids)

    def _log_is_public(self, settings: GuildSettings) -> bool:
        """Whether the guild has a log channel that every member can read."""
        log_id = settings.channel(Channel.LOG)
        return log_id is not None and self.bot.notices.readable_by_everyone(
            settings.guild_id, log_id
        )

    def _forum_is_public(self, settings: GuildSettings) -> bool:
        """Whether every member can read the questions forum (unknown: not public)."""
        forum_id = settings.channel(Channel.QUESTIONS)
        return forum_id is not None and self.bot.notices.readable_by_everyone(
            settings.guild_id, forum_id
        )
