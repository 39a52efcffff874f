"""Base classes for views, modals and persistent buttons.

They set the member's language before a callback runs and send every error through
:func:`bot.errors.report`, so a button or modal behaves like a slash command.
Use them instead of ``discord.ui.View``/``Modal``/``DynamicItem`` directly.
"""

from __future__ import annotations

import re
from typing import Any
from typing import ClassVar
from typing import Self

import discord

from bot.errors import report

Interaction = discord.Interaction[Any]


async def enter_interaction(interaction: discord.Interaction[Any]) -> None:
    """Make the member's language current for the rest of this interaction."""
    await interaction.client.enter_interaction(interaction)


class View(discord.ui.View):
    async def interaction_check(self, interaction: Interaction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def on_error(
        self, interaction: Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report(interaction, error)


class Modal(discord.ui.Modal):
    async def interaction_check(self, interaction: Interaction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def on_error(  # type: ignore[override]  # discord.py's Modal narrows it too
        self, interaction: Interaction, error: Exception, /
    ) -> None:
        await report(interaction, error)


class DynamicButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"(?!)",  # matches nothing: only subclasses are registered
):
    """A persistent button whose ``custom_id`` carries its state.

    Subclasses declare ``template=r"pallets:<job>:<action>:(?P<id>[0-9]+)"`` and
    implement :meth:`run`; they are registered with ``bot.add_dynamic_items``.
    """

    #: Rebuild with the label the message was posted with (``cls(id, label)``): for
    #: buttons whose label was written for that message, e.g. in the guild's language.
    keeps_label: ClassVar[bool] = False

    @classmethod
    async def from_custom_id(
        cls,
        interaction: Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Build the button from its id: by default one integer group, ``cls(id)``.

        Buttons whose custom_id carries more than one number override this.
        """
        (value,) = match.groups()
        if cls.keeps_label:
            label = getattr(item, "label", None)
            return cls(int(value), label)  # type: ignore[arg-type, call-arg]  # (id, label)
        return cls(int(value))  # type: ignore[arg-type]  # subclasses take an id

    async def interaction_check(self, interaction: Interaction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def callback(self, interaction: Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:  # noqa: BLE001 - every error is reported once
            await report(interaction, error)

    async def run(self, interaction: Interaction) -> None:
        raise NotImplementedError
