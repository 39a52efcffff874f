"""The extension watch's persistent buttons: they draw and parse their custom_id.

What a click does is registered by :class:`cogs.extwatch._engine.ExtWatchEngine`
under the button's :attr:`~bot.ui.DynamicButton.action`.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.i18n import _
from bot.ui import DynamicButton
from bot.ui import UiInteraction
from bot.ui import View
from bot.ui import view_of

OFFER = "extwatch.offer"
STILL_IN = "extwatch.still_in"


class OfferButton(
    DynamicButton, template=r"pallets:ext:offer:(?P<id>[0-9]+):(?P<choice>[ad])"
):
    """Accept or decline an offer of help (in the organisers' log channel)."""

    action = OFFER
    owner = ("ext_offers", "id")

    def __init__(self, offer_id: int, accept: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Accept") if accept else _("Decline"),
                style=discord.ButtonStyle.success
                if accept
                else discord.ButtonStyle.secondary,
                custom_id=f"pallets:ext:offer:{offer_id}:{'a' if accept else 'd'}",
            )
        )
        self.args = (offer_id, accept)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OfferButton:
        return cls(int(match["id"]), match["choice"] == "a")


class StillInButton(
    DynamicButton, template=r"pallets:ext:still:(?P<id>[0-9]+):(?P<choice>[yn])"
):
    """A caretaker answers whether they still look after an extension (in a DM)."""

    action = STILL_IN
    owner = ("ext_caretakers", "id")

    def __init__(self, caretaker_id: int, still_in: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Yes, I am still in") if still_in else _("No, I step down"),
                style=discord.ButtonStyle.success
                if still_in
                else discord.ButtonStyle.secondary,
                custom_id=f"pallets:ext:still:{caretaker_id}:{'y' if still_in else 'n'}",
            )
        )
        self.args = (caretaker_id, still_in)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StillInButton:
        return cls(int(match["id"]), match["choice"] == "y")


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (OfferButton, StillInButton)


def offer_view(offer_id: int) -> View:
    """Under an offer of help, for organisers."""
    return view_of(OfferButton(offer_id, True), OfferButton(offer_id, False))


def still_in_view(caretaker_id: int) -> View:
    """Under the question a quiet caretaker gets by DM."""
    return view_of(
        StillInButton(caretaker_id, True), StillInButton(caretaker_id, False)
    )
