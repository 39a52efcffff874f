"""Triage's persistent buttons: they draw and parse their custom_id, nothing else.

What a click does is registered by :class:`cogs.triage._engine.TriageEngine` under
the button's :attr:`~bot.ui.DynamicButton.action`.
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

SOLVE = "triage.solve"
CONFIRM_SOLVED = "triage.confirm_solved"
STILL_NEED_HELP = "triage.still_need_help"


class SolveButton(DynamicButton, template=r"pallets:triage:solve:(?P<thread>[0-9]+)"):
    """Mark as solved (offered after a thank-you, and in the 7-day nudge)."""

    action = SOLVE
    owner = ("triage_questions", "thread_id")
    keeps_label = True

    def __init__(self, thread_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or _("Mark as solved"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:triage:solve:{thread_id}",
            )
        )
        self.args = (thread_id,)


class ConfirmSolvedButton(
    DynamicButton,
    template=r"pallets:triage:confirm:(?P<thread>[0-9]+):(?P<helper>[0-9]+):(?P<answer>[0-9]+)",
):
    """The asker confirms a /solved that someone else proposed (0: nobody named)."""

    action = CONFIRM_SOLVED
    owner = ("triage_questions", "thread_id")

    def __init__(self, thread_id: int, helper_id: int, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Yes, it is solved"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:triage:confirm:{thread_id}:{helper_id}:{answer_id}",
            )
        )
        self.args = (thread_id, helper_id or None, answer_id or None)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ConfirmSolvedButton:
        return cls(int(match["thread"]), int(match["helper"]), int(match["answer"]))


class NeedHelpButton(
    DynamicButton, template=r"pallets:triage:needhelp:(?P<thread>[0-9]+)"
):
    """The asker still needs help (in the 7-day nudge)."""

    action = STILL_NEED_HELP
    owner = ("triage_questions", "thread_id")

    def __init__(self, thread_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Still need help"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:triage:needhelp:{thread_id}",
            )
        )
        self.args = (thread_id,)


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (
    SolveButton,
    ConfirmSolvedButton,
    NeedHelpButton,
)


def thanks_view(thread_id: int) -> View:
    """Under the reply to the asker's thank-you."""
    return view_of(SolveButton(thread_id))


def nudge_view(thread_id: int) -> View:
    """Under the 7-day nudge."""
    return view_of(SolveButton(thread_id, _("Solved")), NeedHelpButton(thread_id))


def confirm_view(thread_id: int, helper_id: int | None, answer_id: int | None) -> View:
    """Under a stranger's /solved, for the asker."""
    return view_of(ConfirmSolvedButton(thread_id, helper_id or 0, answer_id or 0))
