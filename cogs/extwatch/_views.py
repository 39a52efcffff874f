"""The extension watch's persistent buttons: they draw and parse their custom_id.

What a click does is registered by :class:`cogs.extwatch._engine.ExtWatchEngine`
under the button's :attr:`~bot.ui.DynamicButton.action`.
"""

from __future__ import annotations

from bot.i18n import _
from bot.ui import AnswerButton
from bot.ui import DynamicButton
from bot.ui import View
from bot.ui import view_of

OFFER = "extwatch.offer"
STILL_IN = "extwatch.still_in"


class OfferButton(
    AnswerButton, template=r"pallets:ext:offer:(?P<id>[0-9]+):(?P<answer>[ad])"
):
    """Accept or decline an offer of help (in the organisers' log channel)."""

    action = OFFER
    owner = ("ext_offers", "id")
    prefix = "pallets:ext:offer"
    letters = ("a", "d")

    @classmethod
    def label(cls, first: bool) -> str:
        return _("Accept") if first else _("Decline")


class StillInButton(
    AnswerButton, template=r"pallets:ext:still:(?P<id>[0-9]+):(?P<answer>[yn])"
):
    """A caretaker answers whether they still look after an extension (in a DM)."""

    action = STILL_IN
    owner = ("ext_caretakers", "id")
    prefix = "pallets:ext:still"

    @classmethod
    def label(cls, first: bool) -> str:
        return _("Yes, I am still in") if first else _("No, I step down")


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (OfferButton, StillInButton)


def offer_view(offer_id: int) -> View:
    """Under an offer of help, for organisers."""
    return view_of(OfferButton(offer_id, True), OfferButton(offer_id, False))


def still_in_view(caretaker_id: int) -> View:
    """Under the question a quiet caretaker gets by DM."""
    return view_of(
        StillInButton(caretaker_id, True), StillInButton(caretaker_id, False)
    )
