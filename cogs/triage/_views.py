"""Buttons, the queue pager, and the embeds and texts triage posts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from typing import cast
from typing import TYPE_CHECKING

import discord

from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import format_number
from bot.i18n import ngettext
from bot.safety import quote
from bot.ui import DynamicButton
from bot.ui import UiInteraction
from bot.ui import View
from cogs.triage._logic import Digest
from cogs.triage._logic import DIGEST_LISTED
from cogs.triage._logic import QUEUE_PAGE_SIZE
from cogs.triage._queries import QueueItem
from cogs.triage._queries import Stats

if TYPE_CHECKING:
    from cogs.triage._cog import TriageCog


def _cog(interaction: UiInteraction) -> TriageCog:
    return cast("TriageCog", interaction.client.get_cog("Triage"))


# -- persistent buttons ----------------------------------------------------------------
class SolveButton(DynamicButton, template=r"pallets:triage:solve:(?P<thread>[0-9]+)"):
    """Mark as solved (offered after a thank-you, and in the 7-day nudge)."""

    keeps_label = True

    def __init__(self, thread_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or _("Mark as solved"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:triage:solve:{thread_id}",
            )
        )
        self.thread_id = thread_id

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).solve_from_button(interaction, self.thread_id)


class ConfirmSolvedButton(
    DynamicButton,
    template=r"pallets:triage:confirm:(?P<thread>[0-9]+):(?P<helper>[0-9]+):(?P<answer>[0-9]+)",
):
    """The asker confirms a /solved that someone else proposed."""

    def __init__(self, thread_id: int, helper_id: int, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Yes, it is solved"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:triage:confirm:{thread_id}:{helper_id}:{answer_id}",
            )
        )
        self.thread_id = thread_id
        self.helper_id = helper_id
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ConfirmSolvedButton:
        return cls(int(match["thread"]), int(match["helper"]), int(match["answer"]))

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).confirm_solved(
            interaction,
            self.thread_id,
            helper_id=self.helper_id or None,
            answer_id=self.answer_id or None,
        )


class NeedHelpButton(
    DynamicButton, template=r"pallets:triage:needhelp:(?P<thread>[0-9]+)"
):
    """The asker still needs help (in the 7-day nudge)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Still need help"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:triage:needhelp:{thread_id}",
            )
        )
        self.thread_id = thread_id

    async def run(self, interaction: UiInteraction) -> None:
        await _cog(interaction).still_need_help(interaction, self.thread_id)


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (
    SolveButton,
    ConfirmSolvedButton,
    NeedHelpButton,
)


def buttons(*items: discord.ui.Item[Any]) -> View:
    view = View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


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
        items, self.total = await _cog(interaction).queue_page(
            self.guild_id, self.tag, self.page
        )
        self.page = min(self.page, self.pages - 1)
        self._sync_buttons()
        self.previous.label = _("Previous")
        self.next.label = _("Next")
        await interaction.response.edit_message(
            embed=queue_embed(items, self.tag, self.page, self.total), view=self
        )


# -- texts ------------------------------------------------------------------------------
def thread_link(thread_id: int) -> str:
    return f"<#{thread_id}>"


def checklist_text(suggestions: Sequence[int]) -> str:
    lines = [
        _("Thanks for asking! Helpers can answer faster when a question has:"),
        _("- the versions of Python, Flask and the libraries involved (`pip list`)"),
        _("- a minimal example that shows the problem"),
        _("- the full traceback, in a code block (between ``` lines)"),
        _("When your question is answered, run /solved here so others can find it."),
    ]
    if suggestions:
        lines.append("")
        lines.append(_("These solved questions look similar:"))
        lines.extend(f"- {thread_link(thread_id)}" for thread_id in suggestions)
    return "\n".join(lines)


def queue_embed(
    items: Sequence[QueueItem], tag: str | None, page: int, total: int
) -> discord.Embed:
    if tag:
        title = _("Unanswered questions tagged {tag}", tag=quote(tag))
    else:
        title = _("Unanswered questions")
    embed = discord.Embed(title=title)
    if not items:
        embed.description = _("Nothing waiting. Well done!")
        return embed
    lines = []
    for item in items:
        line = _(
            "{thread}, asked {when}",
            thread=thread_link(item.thread_id),
            when=discord_timestamp(item.created_at, "R"),
        )
        if item.needs_help:
            line += " " + _("(still needs help)")
        lines.append("- " + line)
    embed.description = "\n".join(lines)
    pages = max((total + QUEUE_PAGE_SIZE - 1) // QUEUE_PAGE_SIZE, 1)
    embed.set_footer(
        text=_(
            "Page {page} of {pages}, {count} questions, oldest first",
            page=format_number(page + 1),
            pages=format_number(pages),
            count=format_number(total),
        )
    )
    return embed


def digest_embed(digest: Digest) -> discord.Embed:
    embed = discord.Embed(title=_("Questions digest"))

    def listing(items: Sequence[Any], total: int) -> str:
        shown = [f"- {thread_link(i.thread_id)}" for i in items[:DIGEST_LISTED]]
        if total > len(shown):
            more = total - len(shown)
            shown.append(ngettext("and {count} more", "and {count} more", more))
        return "\n".join(shown) or _("None")

    embed.add_field(
        name=ngettext(
            "{count} new question", "{count} new questions", digest.new_total
        ),
        value=listing(digest.new, digest.new_total),
        inline=False,
    )
    embed.add_field(
        name=ngettext(
            "{count} unanswered for more than a day",
            "{count} unanswered for more than a day",
            digest.unanswered_total,
        ),
        value=listing(digest.unanswered, digest.unanswered_total),
        inline=False,
    )
    embed.add_field(
        name=_("Solved yesterday"),
        value=format_number(digest.solved_yesterday),
        inline=False,
    )
    helpers = "\n".join(
        "- "
        + ngettext(
            "<@{user}>: {count} question",
            "<@{user}>: {count} questions",
            n,
            user=user_id,
        )
        for user_id, n in digest.top_helpers
    )
    embed.add_field(
        name=_("Top helpers this week"), value=helpers or _("None"), inline=False
    )
    return embed


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return _("no data")
    minutes = int(seconds // 60)
    if minutes < 60:
        return ngettext("{count} minute", "{count} minutes", minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("{count} hour", "{count} hours", hours)
    return ngettext("{count} day", "{count} days", hours // 24)


def stats_embed(
    stats: Stats,
    days: int,
    median_response: float | None,
    median_solved: float | None,
) -> discord.Embed:
    embed = discord.Embed(
        title=ngettext(
            "Questions of the last {count} day",
            "Questions of the last {count} days",
            days,
        )
    )
    states = [
        (_("Open"), stats.by_state.get("open", 0)),
        (_("of which unanswered"), stats.unanswered),
        (_("Solved"), stats.by_state.get("solved", 0)),
        (_("Closed"), stats.by_state.get("closed", 0)),
    ]
    embed.add_field(
        name=_("By state"),
        value="\n".join(f"{label}: {format_number(n)}" for label, n in states),
        inline=True,
    )
    embed.add_field(
        name=_("By tag"),
        value="\n".join(f"{quote(tag)}: {format_number(n)}" for tag, n in stats.by_tag)
        or _("None"),
        inline=True,
    )
    embed.add_field(
        name=_("Median time"),
        value="\n".join(
            [
                _("to a first response: {time}", time=_duration(median_response)),
                _("to solved: {time}", time=_duration(median_solved)),
            ]
        ),
        inline=False,
    )
    return embed
