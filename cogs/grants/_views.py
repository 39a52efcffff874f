"""The grant request form."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

import discord

from bot.i18n import _
from bot.ui import Modal
from bot.ui import UiInteraction
from cogs.grants._logic import EVENT_TEXT_LIMIT
from cogs.grants._logic import PURPOSE_LIMIT

FormValues = dict[str, str]
OnSubmit = Callable[[UiInteraction, FormValues], Awaitable[None]]


class GrantForm(Modal):
    def __init__(self, on_submit: OnSubmit) -> None:
        super().__init__(title=_("Event grant request")[:45], timeout=900)
        self._on_submit = on_submit
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

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(
            interaction,
            {
                "event": self.event.value,
                "amount": self.amount.value,
                "currency": self.currency.value,
                "purpose": self.purpose.value,
                "attendance": self.attendance.value,
            },
        )
