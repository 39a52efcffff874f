"""The paginated report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.i18n import _
from bot.ui import UiInteraction
from bot.ui import View


def page_embed(title: str, pages: Sequence[str], index: int) -> discord.Embed:
    embed = discord.Embed(title=title, description=pages[index])
    embed.set_footer(text=_("Page {page} of {pages}", page=index + 1, pages=len(pages)))
    return embed


class ReportPages(View):
    """Previous/Next over pages already worded; only the member who asked can turn them."""

    def __init__(self, owner_id: int, title: str, pages: Sequence[str]) -> None:
        super().__init__(timeout=600)
        self.owner_id = owner_id
        self.title = title
        self.pages = list(pages)
        self.index = 0
        self.previous.label = _("Previous")
        self.next.label = _("Next")
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    def embed(self) -> discord.Embed:
        return page_embed(self.title, self.pages, self.index)

    async def interaction_check(self, interaction: UiInteraction, /) -> bool:
        await super().interaction_check(interaction)
        return interaction.user.id == self.owner_id

    async def _turn(self, interaction: UiInteraction, step: int) -> None:
        self.index = max(0, min(self.index + step, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: UiInteraction, button: discord.ui.Button[Any]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: UiInteraction, button: discord.ui.Button[Any]
    ) -> None:
        await self._turn(interaction, 1)
