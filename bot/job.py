"""What every job's cog shares: its engine registered while the cog is loaded.

A job's engine registers what runs without a command (button and form actions, timed
jobs, calendar sources, page sections) when its cog loads, and unregisters them when
it unloads; its buttons that must answer after a restart are added to the bot then too.
"""

from __future__ import annotations

from typing import Any
from typing import Generic
from typing import Protocol
from typing import TypeVar

import discord
from discord.ext import commands

from bot.app import PalletsBot


class Engine(Protocol):
    """A job's engine, as its cog needs it."""

    def __init__(self, bot: PalletsBot) -> None: ...

    def register(self) -> None: ...

    def unregister(self) -> None: ...


E = TypeVar("E", bound=Engine)


class JobCog(commands.Cog, Generic[E]):
    """A job's cog: its ``engine`` (made from ``engine_type``) and its
    ``persistent_items``, registered while the cog is loaded."""

    #: The job's engine class; the cog makes one for the bot.
    engine_type: type[E]
    #: The job's buttons and selects that must answer after a restart.
    persistent_items: tuple[type[discord.ui.DynamicItem[Any]], ...] = ()

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.engine: E = self.engine_type(bot)

    async def cog_load(self) -> None:
        self.engine.register()
        self.bot.add_dynamic_items(*self.persistent_items)

    async def cog_unload(self) -> None:
        self.engine.unregister()
        self.bot.remove_dynamic_items(*self.persistent_items)
