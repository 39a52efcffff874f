"""The bot: built by :func:`create_bot`, wired in ``setup_hook``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import pkgutil
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import backups
from bot import creates
from bot import happenings
from bot import i18n
from bot import logs
from bot import start_here
from bot import ui
from bot.calendar import CalendarSources
from bot.command_sync import sync_if_changed
from bot.db import Database
from bot.errors import report
from bot.extensions import Extensions
from bot.github import GitHub
from bot.guilds import GuildConfig
from bot.http_cache import HttpCache
from bot.i18n import BabelTranslator
from bot.metrics import Metrics
from bot.notices import Notices
from bot.outbox import Outbox
from bot.pacing import HttpPacer
from bot.pages import Pages
from bot.reach import Reach
from bot.safety import NO_MENTIONS
from bot.scheduler import Job
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.ui import Actions

if TYPE_CHECKING:
    from bot.web import WebServer

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Only what the cogs need.

    ``message_content`` (privileged) is for question triage alone: it reads a new
    question's text to tag it and find similar solved ones, and a thank-you from the
    asker to offer the Solved button. ``guild_scheduled_events`` follows the chats' and
    events' Discord events; ``guild_messages`` sees replies in the questions forum.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    wanted.guild_scheduled_events = True
    return wanted


def cog_names() -> list[str]:
    """Every cog package under ``cogs/``, in a stable order."""
    return sorted(
        f"cogs.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if module.ispkg and not module.name.startswith("_")
    )


class PalletsTree(app_commands.CommandTree["PalletsBot"]):
    async def interaction_check(
        self, interaction: discord.Interaction[PalletsBot], /
    ) -> bool:
        await interaction.client.enter_interaction(interaction)
        interaction.client.metrics.command_started(interaction)
        return True

    async def on_error(
        self,
        interaction: discord.Interaction[PalletsBot],
        error: app_commands.AppCommandError,
        /,
    ) -> None:
        interaction.client.metrics.command_finished(interaction, error)
        await report(interaction, error)


class PalletsBot(commands.Bot):
    """The pallets-bot client, with its services."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        # The bot has no voice: discord.py's switches for "PyNaCl/davey is not
        # installed, voice will NOT be supported" are turned off, not the warnings
        # filtered out of the log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # A thread or event Discord made but answered 5xx must reach the outbox,
        # not be made again by discord.py's own retry (see bot.creates).
        options.setdefault("http_trace", creates.once_only())
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=NO_MENTIONS,
            tree_cls=PalletsTree,
            help_command=None,
            **options,
        )
        self.settings = settings
        self.db = Database(settings.database_path)
        self.guild_config = GuildConfig(self.db)
        self.scheduler = Scheduler(
            self.db, default_catch_up=timedelta(hours=settings.catch_up_hours)
        )
        self.notices = Notices(self)
        self.calendar_sources = CalendarSources()
        #: The public pages' sections, registered by the jobs' engines.
        self.pages = Pages()
        #: What buttons do and how lists page, registered by the jobs' engines.
        self.actions = Actions()
        self.scheduler.on_failure = self.notices.job_failed
        self.scheduler.run_context = self._job_context
        self.outbox = Outbox(self, self.db)
        self.outbox.install(self.scheduler)
        #: DMs with a fallback when a member's DMs are closed (see bot.reach).
        self.reach = Reach(self)
        self.metrics = Metrics()
        #: Each server's extensions: what the watch watches and triage tags.
        self.flask_extensions = Extensions(self.db)
        token = settings.github_token
        #: The one GitHub client (conditional requests cached in SQLite, rate
        #: limits respected); jobs ask it, never GitHub directly.
        self.github = GitHub(
            HttpCache(self.db),
            base_url=settings.github_api_url,
            token=token.get_secret_value() if token else None,
        )
        #: Paces every REST request (members' work included) under Discord's limits.
        self.http_pacer = HttpPacer()
        self.web: WebServer | None = None
        self._recovery: asyncio.Task[None] | None = None

    # -- life cycle -----------------------------------------------------------------
    async def setup_hook(self) -> None:
        # Before any request of ours: everything the bot sends is paced.
        self.http_pacer.install(self.http)
        # First, so Discord errors during start-up (the command sync) are counted.
        self.metrics.attach(self)
        await self.db.open()
        await self.db.migrate()
        await self.tree.set_translator(BabelTranslator())
        self.add_dynamic_items(*ui.PERSISTENT_ITEMS, *start_here.PERSISTENT_ITEMS)
        happenings.listen_for_interest(self)
        for name in cog_names():
            await self.load_extension(name)
        await self.scheduler.start()
        await backups.install(self)
        if self.settings.sync_commands:
            await sync_if_changed(self)
        if self.settings.http_port is not None:
            # Imported only here: the web server and its templates (aiohttp's server,
            # jinja2) are a tenth of the bot's import, for a deployment that asks.
            from bot.web import WebServer

            self.web = WebServer(self)
            await self.web.start()
        self._recovery = asyncio.create_task(self._recover_when_ready())
        # What start-up built (modules, cogs, the command tree, catalogues) lives as
        # long as the bot: out of the cyclic collector's sight, a full collection
        # walks only what was made since, a few milliseconds instead of a pause of
        # 100 to 300 ms in the event loop. Handed back when the bot stops.
        gc.freeze()

    async def _recover_when_ready(self) -> None:
        await self.wait_until_ready()
        await self.scheduler.recover()
        # After the scheduler's: it resets interrupted jobs and records what was
        # missed, and the outbox settles only the sends no job will finish.
        await self.outbox.recover()
        self.dispatch("pallets_ready")

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[PalletsBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        self.metrics.command_finished(interaction)

    async def stop_services(self) -> None:
        """Stop the HTTP server and scheduler, close the database (idempotent)."""
        if self.web is not None:
            await self.web.stop()
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        await self.scheduler.shutdown()
        await self.github.close()
        await self.db.close()
        gc.unfreeze()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            await self.stop_services()

    # -- context for each piece of work ------------------------------------------------
    async def enter_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Set the member's language and the log ids for this interaction's task."""
        guild_language = None
        if interaction.guild_id is not None:
            guild_language = (
                await self.guild_config.get(interaction.guild_id)
            ).language
        member, guild = i18n.resolve(
            interaction.locale.value, guild_language, self.settings.default_locale
        )
        i18n.activate(member, guild, interaction.locale.value)
        command = interaction.command.qualified_name if interaction.command else None
        logs.bind(
            guild_id=interaction.guild_id, user_id=interaction.user.id, command=command
        )

    async def guild_language(self, guild_id: int | None) -> str:
        setting = (await self.guild_config.get(guild_id)).language if guild_id else None
        return i18n.resolve(None, setting, self.settings.default_locale)[1]

    @contextlib.asynccontextmanager
    async def _job_context(self, job: Job) -> AsyncIterator[None]:
        # Scheduled posts have no member to speak to: they use the guild's language.
        language = await self.guild_language(job.guild_id)
        with (
            logs.bound(guild_id=job.guild_id, job=job.key),
            i18n.scope(language, language),
        ):
            yield

    async def schedule(
        self, kind: str, key: str, due_at: Any, *, guild_id: int | None, **kwargs: Any
    ) -> int:
        """Schedule a job; the shortcut cogs use (see :meth:`Scheduler.schedule`)."""
        return await self.scheduler.schedule(
            kind, key, due_at, guild_id=guild_id, **kwargs
        )


class ShardedPalletsBot(PalletsBot, commands.AutoShardedBot):
    """The same bot, split over several gateway shards for many servers."""


def create_bot(settings: Settings | None = None) -> PalletsBot:
    """Build the bot; with no settings, read them from the environment."""
    settings = settings or Settings.load()
    if settings.shard_count:
        return ShardedPalletsBot(settings, shard_count=settings.shard_count)
    return PalletsBot(settings)


@contextlib.asynccontextmanager
async def offline_bot() -> AsyncIterator[PalletsBot]:
    """A bot with every cog loaded and nothing connected: for tools that read the tree."""
    bot = create_bot(Settings.model_validate({"token": None}))
    # Closing unloads the extensions, and discord.py then drops their modules from sys.modules:
    # the next load would make new classes, unequal to those the caller's process already holds
    # (isinstance against an imported cog class fails). Put the modules back as they were.
    loaded = {
        name: module for name, module in sys.modules.items() if name.startswith("cogs.")
    }
    try:
        for name in cog_names():
            await bot.load_extension(name)
        yield bot
    finally:
        await bot.close()
        sys.modules.update(loaded)
