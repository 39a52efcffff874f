"""Buttons and the feedback form of the mentorship job.

Every button is persistent: its ``custom_id`` carries what it acts on, and a click
runs the action the engine registered under the button's ``action`` name, so a click
after a restart behaves like one before it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import discord

from bot.i18n import _
from bot.safety import clip
from bot.safety import SELECT_OPTION_LIMIT
from bot.ui import DynamicButton
from bot.ui import DynamicSelect
from bot.ui import Interaction
from bot.ui import Modal
from bot.ui import UiInteraction
from cogs.mentorship._logic import FEEDBACK_LENGTH

FEEDBACK_FIELD = "feedback"


class ClaimButton(DynamicButton, template=r"pallets:mentorship:claim:(?P<id>[0-9]+)"):
    action = "mentorship.claim"
    owner = ("mentor_requests", "id")
    keeps_label = True

    def __init__(self, request_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or _("Claim #{id}", id=request_id),
                style=discord.ButtonStyle.primary,
                custom_id=f"pallets:mentorship:claim:{request_id}",
            )
        )
        self.args = (request_id,)


class CheckinButton(
    DynamicButton,
    template=r"pallets:mentorship:checkin:(?P<pairing>[0-9]+):(?P<seq>[0-9]+):(?P<answer>well|help)",
):
    action = "mentorship.checkin"
    owner = ("mentor_pairings", "id")

    def __init__(self, pairing_id: int, seq: int, answer: str) -> None:
        well = answer == "well"
        super().__init__(
            discord.ui.Button(
                label=_("Going well") if well else _("Need help"),
                style=discord.ButtonStyle.success
                if well
                else discord.ButtonStyle.danger,
                custom_id=f"pallets:mentorship:checkin:{pairing_id}:{seq}:{answer}",
            )
        )
        self.args = (pairing_id, seq, answer)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CheckinButton:
        return cls(int(match["pairing"]), int(match["seq"]), match["answer"])


class FeedbackButton(
    DynamicButton, template=r"pallets:mentorship:feedback:(?P<pairing>[0-9]+)"
):
    action = "mentorship.feedback"
    owner = ("mentor_pairings", "id")

    def __init__(self, pairing_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Give feedback"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:mentorship:feedback:{pairing_id}",
            )
        )
        self.args = (pairing_id,)


class MatchConfirmButton(
    DynamicButton, template=r"pallets:mentorship:match:(?P<id>[0-9]+)"
):
    """Make every pair of a proposal still waiting."""

    action = "mentorship.match_confirm"
    owner = ("mentor_match_proposals", "id")

    def __init__(self, proposal_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Confirm all"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:mentorship:match:{proposal_id}",
            )
        )
        self.args = (proposal_id,)


class MatchPickSelect(
    DynamicSelect, template=r"pallets:mentorship:match-pick:(?P<id>[0-9]+)"
):
    """Make only the chosen pairs of a proposal (each option is a request id)."""

    action = "mentorship.match_pick"
    owner = ("mentor_match_proposals", "id")

    def __init__(
        self, proposal_id: int, options: Sequence[tuple[int, str, str]] = ()
    ) -> None:
        """``options``: (request id, label, description) per proposed pair."""
        choices = [
            discord.SelectOption(
                label=clip(label, SELECT_OPTION_LIMIT),
                value=str(request_id),
                description=clip(description, SELECT_OPTION_LIMIT) or None,
            )
            for request_id, label, description in options[:25]
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"pallets:mentorship:match-pick:{proposal_id}",
                placeholder=_("Or confirm only some pairs…"),
                min_values=1,
                max_values=max(len(choices), 1),
                options=choices
                or [discord.SelectOption(label="-", value="0")],  # rebuilt from id
            )
        )
        self.args = (proposal_id,)


#: What submitting the feedback form runs: ``save(interaction, pairing_id, text)``.
SaveFeedback = Callable[[Interaction, int, str], Awaitable[None]]


class FeedbackModal(Modal):
    """The optional feedback text; the form is short-lived and calls ``save``."""

    def __init__(self, pairing_id: int, save: SaveFeedback) -> None:
        super().__init__(title=_("Feedback on your mentoring"), timeout=600)
        self.pairing_id = pairing_id
        self.save = save
        self.text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
            label=_("How did it go? (optional)"),
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=FEEDBACK_LENGTH,
            custom_id=FEEDBACK_FIELD,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self.save(interaction, self.pairing_id, self.text.value or "")


#: The persistent buttons, registered with ``bot.add_dynamic_items`` by the engine.
PERSISTENT_ITEMS: tuple[type[DynamicButton | DynamicSelect], ...] = (
    ClaimButton,
    CheckinButton,
    FeedbackButton,
    MatchConfirmButton,
    MatchPickSelect,
)
