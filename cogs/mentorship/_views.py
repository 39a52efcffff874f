"""Buttons and the feedback form of the mentorship job.

Every button is persistent (its ``custom_id`` carries what it acts on) and hands the
work to the cog, so a click after a restart behaves like one before it.
"""

from __future__ import annotations

import re
from typing import Any
from typing import TYPE_CHECKING

import discord

from bot.i18n import _
from bot.ui import DynamicButton
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View
from cogs.mentorship._logic import FEEDBACK_LENGTH

if TYPE_CHECKING:
    from cogs.mentorship._cog import MentorshipCog

FEEDBACK_FIELD = "feedback"


def _cog(interaction: UiInteraction) -> MentorshipCog:
    from cogs.mentorship._cog import MentorshipCog as Cog

    cog = interaction.client.get_cog("MentorshipCog")
    assert isinstance(cog, Cog)
    return cog


class ClaimButton(DynamicButton, template=r"pallets:mentorship:claim:(?P<id>[0-9]+)"):
    keeps_label = True

    def __init__(self, request_id: int, label: str | None = None) -> None:
        self.request_id = request_id
        super().__init__(
            discord.ui.Button(
                label=label or _("Claim #{id}", id=request_id),
                style=discord.ButtonStyle.primary,
                custom_id=f"pallets:mentorship:claim:{request_id}",
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).claim_request(interaction, self.request_id)


class QueuePageButton(
    DynamicButton,
    template=r"pallets:mentorship:queue:(?P<page>[0-9]+):(?P<dir>prev|next)",
):
    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        self.page = page
        label = _("Previous") if direction == "prev" else _("Next")
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:mentorship:queue:{page}:{direction}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> QueuePageButton:
        return cls(int(match["page"]), match["dir"])

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).show_queue(interaction, self.page, edit=True)


class CheckinButton(
    DynamicButton,
    template=r"pallets:mentorship:checkin:(?P<pairing>[0-9]+):(?P<seq>[0-9]+):(?P<answer>well|help)",
):
    def __init__(self, pairing_id: int, seq: int, answer: str) -> None:
        self.pairing_id = pairing_id
        self.seq = seq
        self.answer = answer
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

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CheckinButton:
        return cls(int(match["pairing"]), int(match["seq"]), match["answer"])

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).answer_checkin(
            interaction, self.pairing_id, self.seq, self.answer
        )


class FeedbackButton(
    DynamicButton, template=r"pallets:mentorship:feedback:(?P<pairing>[0-9]+)"
):
    def __init__(self, pairing_id: int) -> None:
        self.pairing_id = pairing_id
        super().__init__(
            discord.ui.Button(
                label=_("Give feedback"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:mentorship:feedback:{pairing_id}",
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).open_feedback(interaction, self.pairing_id)


class MatchConfirmButton(
    DynamicButton, template=r"pallets:mentorship:match:(?P<id>[0-9]+)"
):
    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        super().__init__(
            discord.ui.Button(
                label=_("Confirm"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:mentorship:match:{proposal_id}",
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).confirm_match(interaction, self.proposal_id)


class FeedbackModal(Modal):
    def __init__(self, pairing_id: int) -> None:
        super().__init__(title=_("Feedback on your mentoring"), timeout=600)
        self.pairing_id = pairing_id
        self.text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
            label=_("How did it go? (optional)"),
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=FEEDBACK_LENGTH,
            custom_id=FEEDBACK_FIELD,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await _cog(interaction).save_feedback(
            interaction, self.pairing_id, self.text.value or ""
        )


def persistent_items() -> tuple[type[DynamicButton], ...]:
    return (
        ClaimButton,
        QueuePageButton,
        CheckinButton,
        FeedbackButton,
        MatchConfirmButton,
    )


def view_of(*items: discord.ui.Item[Any]) -> View:
    view = View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
