"""The grant request form: draws its fields and reads them, nothing else.

What a submitted form does is the action ``grants.request``, registered by the
engine on ``bot.actions``.
"""

from __future__ import annotations

from typing import ClassVar

import discord

from bot.i18n import _
from bot.ui import Modal
from bot.ui import UiInteraction
from cogs.grants._logic import EVENT_TEXT_LIMIT
from cogs.grants._logic import PURPOSE_LIMIT

FormValues = dict[str, str]


class GrantForm(Modal):
    #: The action in ``bot.actions`` a submitted form runs, with its values.
    action: ClassVar[str] = "grants.request"

    def __init__(self) -> None:
        super().__init__(title=_("Event grant request")[:45], timeout=900)
        self.event: discord.ui.TextInput[GrantForm] = discord.ui.TextInput(
            label=_("Event (its number, or its name)"),
            custom_id="event",
            max_length=EVENT_TEXT_LIMIT,
        )
        self.amount: discord.ui.TextInput[GrantForm] = discord.ui.TextInput(
            label=_("Amount"), custom_id="amount", max_length=20, placeholder="1500"
        )
        self.currency: discord.ui.TextInput[GrantForm] = discord.ui.TextInput(
            label=_("Currency (ISO code)"),
            custom_id="currency",
            min_length=3,
            max_length=3,
            placeholder="EUR",
        )
        self.purpose: discord.ui.TextInput[GrantForm] = discord.ui.TextInput(
            label=_("What it pays for"),
            custom_id="purpose",
            style=discord.TextStyle.paragraph,
            max_length=PURPOSE_LIMIT,
        )
        self.attendance: discord.ui.TextInput[GrantForm] = discord.ui.TextInput(
            label=_("Expected attendance"),
            custom_id="attendance",
            max_length=7,
            placeholder="40",
        )
        for item in (
            self.event,
            self.amount,
            self.currency,
            self.purpose,
            self.attendance,
        ):
            self.add_item(item)

    def values(self) -> FormValues:
        return {
            "event": self.event.value,
            "amount": self.amount.value,
            "currency": self.currency.value,
            "purpose": self.purpose.value,
            "attendance": self.attendance.value,
        }

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await interaction.client.actions.run(self.action, interaction, self.values())
