"""Triage's persistent buttons: they draw and parse their custom_id, nothing else.

What a click does is registered by :class:`cogs.triage._engine.TriageEngine` under
the button's :attr:`~bot.ui.DynamicButton.action`.
"""

from __future__ import annotations

import re
from typing import Any
from typing import cast
from typing import TYPE_CHECKING

import discord

from bot.i18n import _
from bot.ui import DynamicButton
from bot.ui import UiInteraction
from bot.ui import View
from bot.ui import view_of
from cogs.triage._logic import QUEUE_PAGE_SIZE
from cogs.triage._render import queue_embed

if TYPE_CHECKING:
    from cogs.triage._cog import TriageCog


def _cog(interaction: UiInteraction) -> TriageCog:
    return cast("TriageCog", interaction.client.get_cog("Triage"))


SOLVE = "triage.solve"
CONFIRM_SOLVED = "triage.confirm_solved"
STILL_NEED_HELP = "triage.still_need_help"


class SolveButton(DynamicButton, template=r"pallets:triage:solve:(?P<thread>[0-9]+)"):
    """Mark as solved (offered after a thank-you, and in the 7-day nudge)."""

    action = SOLVE
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


# -- the queue pager -------------------------------------------------------------------
class QueueView(View):
    """Previous / Next over /triage queue (ephemeral, so it need not outlive a restart)."""

    def __init__(self, guild_id: int, tag: str | None, page: int, total: int) -> None:
        super().__init__(timeout=900)
        self.guild_id = guild_id
        self.tag = tag
        self.page = page
        self.total = total
        self.previous.label = _("Previous")
        self.next.label = _("Next")
        self._sync_buttons()

    @property
    def pages(self) -> int:
        return max((self.total + QUEUE_PAGE_SIZE - 1) // QUEUE_PAGE_SIZE, 1)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: UiInteraction, button: discord.ui.Button[QueueView]
    ) -> None:
        await self._move(interaction, -1)

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: UiInteraction, button: discord.ui.Button[QueueView]
    ) -> None:
        await self._move(interaction, 1)

    async def _move(self, interaction: UiInteraction, step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        items, self.total = await _cog(interaction).engine.queue_page(
            self.guild_id, self.tag, self.page
        )
        self.page = min(self.page, self.pages - 1)
        self._sync_buttons()
        self.previous.label = _("Previous")
        self.next.label = _("Next")
        await interaction.response.edit_message(
            embed=queue_embed(items, self.tag, self.page, self.total), view=self
        )
