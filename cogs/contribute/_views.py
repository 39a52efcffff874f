"""Buttons and forms of the contribute job: they draw and parse, nothing else.

What a click does is an action on ``bot.actions``, registered by the engine:
``contribute.offer`` (an organiser accepts or declines a volunteer's offer),
``contribute.help_answer`` (a mentor takes a sprint help call) and
``contribute.volunteer`` (the volunteer form was sent).
"""

from __future__ import annotations

from typing import ClassVar

import discord

from bot.i18n import _
from bot.ui import AnswerButton
from bot.ui import DynamicButton
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View

OFFER_ACTION = "contribute.offer"
HELP_ACTION = "contribute.help_answer"
VOLUNTEER_ACTION = "contribute.volunteer"


class OfferButton(
    AnswerButton,
    template=r"pallets:contribute:offer:(?P<id>[0-9]+):(?P<answer>[yn])",
):
    """Accept or decline a volunteer's offer (organisers, in the log channel)."""

    action: ClassVar[str] = OFFER_ACTION
    owner = ("contribute_volunteers", "id")
    prefix = "pallets:contribute:offer"
    keeps_label = True

    @classmethod
    def label(cls, first: bool) -> str:
        return _("Accept") if first else _("Decline")


class HelpAnswerButton(
    DynamicButton, template=r"pallets:contribute:help:(?P<id>[0-9]+)"
):
    """A mentor on duty takes a sprint attendee's call for help."""

    action: ClassVar[str] = HELP_ACTION
    owner = ("contribute_help_calls", "id")
    keeps_label = True

    def __init__(self, call_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or _("I'm on it"),
                style=discord.ButtonStyle.primary,
                custom_id=f"pallets:contribute:help:{call_id}",
            )
        )
        self.args = (call_id,)


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (OfferButton, HelpAnswerButton)


class VolunteerForm(Modal):
    """What a volunteer offers (caretakers offer with /ext volunteer instead)."""

    action: ClassVar[str] = VOLUNTEER_ACTION

    def __init__(self, kind: str) -> None:
        super().__init__(title=_("Volunteer")[:45], timeout=900)
        self.kind = kind
        self.note: discord.ui.TextInput[VolunteerForm] = discord.ui.TextInput(
            label=_("What you would like to do, and how much time"),
            custom_id="note",
            style=discord.TextStyle.paragraph,
            max_length=500,
            required=False,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await interaction.client.actions.run(
            self.action, interaction, self.kind, "", self.note.value
        )


class _FormButton(discord.ui.Button["VolunteerChoice"]):
    def __init__(self, kind: str, label: str) -> None:
        super().__init__(label=label, style=discord.ButtonStyle.primary)
        self.kind = kind

    async def callback(self, interaction: UiInteraction) -> None:
        await interaction.response.send_modal(VolunteerForm(self.kind))


class VolunteerChoice(View):
    """Each kind of help opens the form (a short-lived, ephemeral choice)."""

    def __init__(self, labels: dict[str, str]) -> None:
        super().__init__(timeout=600)
        for kind, label in labels.items():
            self.add_item(_FormButton(kind, label))
