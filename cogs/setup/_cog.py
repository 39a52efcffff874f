"""/setup: configure channels, roles and language (members who can manage the server)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.errors import UserError
from bot.guilds import Channel
from bot.guilds import GuildSettings
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import available_languages
from bot.i18n import normalise_language
from bot.permissions import require_manage_guild
from bot.replies import reply
from bot.ui import Interaction


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
        helpers="Where helpers get the daily digest",
        log="Where the bot tells organisers what needs attention",
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
    ) -> None:
        """Choose the channels the bot works in."""
        chosen = {
            Channel.ANNOUNCEMENTS: announcements,
            Channel.QUESTIONS: questions,
            Channel.EVENTS: events,
            Channel.MENTORSHIP: mentorship,
            Channel.HELPERS: helpers,
            Channel.LOG: log,
        }
        changes = {
            self.bot.guild_config.channel_column(which): channel.id
            for which, channel in chosen.items()
            if channel is not None
        }
        if not changes:
            raise UserError(_("Name at least one channel to set."))
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.update(interaction.guild_id, **changes)
        await reply(
            interaction,
            _("Channels saved.") + "\n" + describe(settings) + self._log_note(settings),
        )

    @app_commands.command(name="roles")
    @app_commands.describe(
        organiser="Runs chats and events, sees mentorship and grants overviews",
        helper="Triages and closes questions",
        mentor="Can claim mentees",
        grants_reviewer="Reviews event grant requests",
    )
    async def roles(
        self,
        interaction: Interaction,
        organiser: discord.Role | None = None,
        helper: discord.Role | None = None,
        mentor: discord.Role | None = None,
        grants_reviewer: discord.Role | None = None,
    ) -> None:
        """Choose the roles that may organise, help, mentor and review grants."""
        chosen = {
            Role.ORGANISER: organiser,
            Role.HELPER: helper,
            Role.MENTOR: mentor,
            Role.GRANTS_REVIEWER: grants_reviewer,
        }
        if any(role is not None and role.is_default() for role in chosen.values()):
            raise UserError(_("@everyone cannot be one of the bot's roles."))
        changes = {
            self.bot.guild_config.role_column(which): role.id
            for which, role in chosen.items()
            if role is not None
        }
        if not changes:
            raise UserError(_("Name at least one role to set."))
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.update(interaction.guild_id, **changes)
        await reply(interaction, _("Roles saved.") + "\n" + describe(settings))

    @app_commands.command(name="language")
    @app_commands.describe(language="Language code, for example de, es, fr or pt-BR")
    async def language(self, interaction: Interaction, language: str) -> None:
        """Choose the language of the bot's public posts in this server."""
        code = normalise_language(language)
        if code is None:
            raise UserError(
                _(
                    "I have no translation for {language}. Available: {available}.",
                    language=language,
                    available=", ".join(available_languages()),
                )
            )
        assert interaction.guild_id is not None
        await self.bot.guild_config.update(interaction.guild_id, language=code)
        await reply(
            interaction, _("Public posts will now be in {language}.", language=code)
        )

    @language.autocomplete("language")
    async def _language_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=code, value=code)
            for code in available_languages()
            if current.lower() in code.lower()
        ][:25]

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
            await reply(interaction, _("The calendar feed is now off."))
            return
        path = f"/calendar/{interaction.guild_id}.ics"
        base = self.bot.settings.public_url
        if base:
            text = _(
                "The calendar feed is on. Members can subscribe to {url} in their calendar app.",
                url=base.rstrip("/") + path,
            )
        elif self.bot.settings.http_port is not None:
            text = _(
                "The calendar feed is on, at {path} on the bot's web server. "
                "Ask the bot's host for the public address.",
                path=path,
            )
        else:
            text = _(
                "The calendar feed is on, but the bot's web server is off: "
                "ask the bot's host to set it up ({path}).",
                path=path,
            )
        await reply(interaction, text)

    @app_commands.command(name="show")
    async def show(self, interaction: Interaction) -> None:
        """Show how the bot is set up in this server."""
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        await reply(interaction, describe(settings) + self._log_note(settings))

    def _log_note(self, settings: GuildSettings) -> str:
        """A warning when every member can read the log channel."""
        log_id = settings.channel(Channel.LOG)
        if log_id is None or not self.bot.notices.readable_by_everyone(
            settings.guild_id, log_id
        ):
            return ""
        return "\n" + _(
            "Every member can read the log channel, so mentoring feedback, check-in "
            "answers and grant requests are not posted there. Make it private to "
            "organisers to see them."
        )


def describe(settings: GuildSettings) -> str:
    """A readable summary of a guild's settings (channels and roles as mentions)."""
    unset = _("not set")

    def channel(which: Channel) -> str:
        value = settings.channel(which)
        return f"<#{value}>" if value else unset

    def role(which: Role) -> str:
        value = settings.role(which)
        return f"<@&{value}>" if value else unset

    lines = [
        _("Announcements: {value}", value=channel(Channel.ANNOUNCEMENTS)),
        _("Questions forum: {value}", value=channel(Channel.QUESTIONS)),
        _("Events: {value}", value=channel(Channel.EVENTS)),
        _("Mentorship: {value}", value=channel(Channel.MENTORSHIP)),
        _("Helpers: {value}", value=channel(Channel.HELPERS)),
        _("Log: {value}", value=channel(Channel.LOG)),
        _("Organiser role: {value}", value=role(Role.ORGANISER)),
        _("Helper role: {value}", value=role(Role.HELPER)),
        _("Mentor role: {value}", value=role(Role.MENTOR)),
        _("Grants reviewer role: {value}", value=role(Role.GRANTS_REVIEWER)),
        _("Language: {value}", value=settings.language or unset),
        _(
            "Calendar feed: {value}",
            value=_("on") if settings.calendar_enabled else _("off"),
        ),
    ]
    return "\n".join(lines)
