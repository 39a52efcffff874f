"""Buttons and forms of the chats job: they draw and parse, the engine acts.

The persistent buttons name an action the engine registers on ``bot.actions``; the
forms and the delete confirmation are short-lived and get the coroutine they call
from whoever builds them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import discord

from bot.i18n import _
from bot.i18n import guild_language
from bot.safety import BUTTON_LABEL_LIMIT
from bot.safety import clip
from bot.safety import MODAL_TITLE_LIMIT
from bot.safety import SELECT_OPTION_LIMIT
from bot.ui import DynamicButton
from bot.ui import DynamicSelect
from bot.ui import Interaction
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View
from bot.ui import view_of
from cogs.chats import _logic as logic
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Proposal

#: The actions the persistent buttons run (registered by the engine).
INTEREST = "chats.interest"
PROPOSE = "chats.propose"
VOTE = "chats.vote"
PIN = "chats.pin"
REMOVE = "chats.remove"
PIN_PICK = "chats.pin-pick"
REMOVE_PICK = "chats.remove-pick"
#: The paged lists.
HISTORY = "chats.history"
TOPICS = "chats.topics"
SERIES = "chats.series"

#: What a form calls with what was typed.
OnProposal = Callable[[Interaction, int, str, str], Awaitable[None]]
OnNotes = Callable[[Interaction, int, str], Awaitable[None]]
OnClick = Callable[[Interaction], Awaitable[None]]
OnText = Callable[[Interaction, str], Awaitable[None]]


def _button(
    label: str, custom_id: str, style: discord.ButtonStyle
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=clip(label, BUTTON_LABEL_LIMIT), custom_id=custom_id, style=style
    )


# -- the announcement ------------------------------------------------------------------
class InterestButton(DynamicButton, template=r"pallets:chats:interest:(?P<id>[0-9]+)"):
    action = INTEREST
    owner = ("chat_occurrences", "id")

    def __init__(self, occurrence_id: int) -> None:
        with guild_language():
            label = _("Interested")
        super().__init__(
            _button(
                label,
                f"pallets:chats:interest:{occurrence_id}",
                discord.ButtonStyle.primary,
            )
        )
        self.args = (occurrence_id,)


class ProposeButton(DynamicButton, template=r"pallets:chats:propose:(?P<id>[0-9]+)"):
    action = PROPOSE
    owner = ("chat_occurrences", "id")

    def __init__(self, occurrence_id: int) -> None:
        with guild_language():
            label = _("Propose a topic")
        super().__init__(
            _button(
                label,
                f"pallets:chats:propose:{occurrence_id}",
                discord.ButtonStyle.secondary,
            )
        )
        self.args = (occurrence_id,)


def announcement_view(occ: Occurrence) -> View:
    return view_of(InterestButton(occ.id), ProposeButton(occ.id))


class ProposeModal(Modal):
    def __init__(self, occurrence_id: int, on_submit: OnProposal) -> None:
        super().__init__(
            title=clip(_("Propose a topic"), MODAL_TITLE_LIMIT),
            custom_id=f"pallets:chats:propose-form:{occurrence_id}",
        )
        self.occurrence_id = occurrence_id
        self._on_submit = on_submit
        self.topic: discord.ui.TextInput[ProposeModal] = discord.ui.TextInput(
            label=_("Topic"), custom_id="title", max_length=logic.TITLE_LIMIT
        )
        self.details: discord.ui.TextInput[ProposeModal] = discord.ui.TextInput(
            label=_("Details (optional)"),
            custom_id="details",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=logic.DETAILS_LIMIT,
        )
        self.add_item(self.topic)
        self.add_item(self.details)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(
            interaction, self.occurrence_id, self.topic.value, self.details.value or ""
        )


# -- proposals -----------------------------------------------------------------------------
class VoteButton(DynamicButton, template=r"pallets:chats:vote:(?P<id>[0-9]+)"):
    action = VOTE
    owner = ("chat_proposals", "id")

    def __init__(self, proposal_id: int, votes: int = 0) -> None:
        with guild_language():
            label = _("Upvote ({votes})", votes=votes)
        super().__init__(
            _button(
                label, f"pallets:chats:vote:{proposal_id}", discord.ButtonStyle.success
            )
        )
        self.args = (proposal_id,)


# Posts made before topics moved to the chat's thread carry Pin and Remove buttons:
# they keep working (for organisers), but new posts only have Upvote.
class PinButton(DynamicButton, template=r"pallets:chats:pin:(?P<id>[0-9]+)"):
    action = PIN
    owner = ("chat_proposals", "id")

    def __init__(self, proposal_id: int) -> None:
        with guild_language():
            label = _("Pin")
        super().__init__(
            _button(
                label, f"pallets:chats:pin:{proposal_id}", discord.ButtonStyle.secondary
            )
        )
        self.args = (proposal_id,)


class RemoveButton(DynamicButton, template=r"pallets:chats:remove:(?P<id>[0-9]+)"):
    action = REMOVE
    owner = ("chat_proposals", "id")

    def __init__(self, proposal_id: int) -> None:
        with guild_language():
            label = _("Remove")
        super().__init__(
            _button(
                label, f"pallets:chats:remove:{proposal_id}", discord.ButtonStyle.danger
            )
        )
        self.args = (proposal_id,)


def proposal_view(proposal: Proposal) -> View:
    """A topic's post in the chat's thread: members vote; organisers pin and remove
    from /chat topics, so nobody sees buttons they may not press."""
    return view_of(VoteButton(proposal.id, proposal.votes))


def _topic_options(topics: Sequence[Proposal]) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=clip(p.title, SELECT_OPTION_LIMIT), value=str(p.id))
        for p in topics[:25]
    ] or [discord.SelectOption(label="-", value="0")]  # rebuilt from the id alone


class TopicPinSelect(DynamicSelect, template=r"pallets:chats:pin-pick:(?P<id>[0-9]+)"):
    """Under an organiser's /chat topics: pin or unpin the chosen topics of the
    occurrence in the custom_id (each option is a proposal id)."""

    action = PIN_PICK
    owner = ("chat_occurrences", "id")

    def __init__(self, occurrence_id: int, topics: Sequence[Proposal] = ()) -> None:
        options = _topic_options(topics)
        super().__init__(
            discord.ui.Select(
                custom_id=f"pallets:chats:pin-pick:{occurrence_id}",
                placeholder=_("Pin or unpin topics…"),
                min_values=1,
                max_values=len(options),
                options=options,
            )
        )
        self.args = (occurrence_id,)


class TopicRemoveSelect(
    DynamicSelect, template=r"pallets:chats:remove-pick:(?P<id>[0-9]+)"
):
    """Under an organiser's /chat topics: take the chosen topics off the agenda."""

    action = REMOVE_PICK
    owner = ("chat_occurrences", "id")

    def __init__(self, occurrence_id: int, topics: Sequence[Proposal] = ()) -> None:
        options = _topic_options(topics)
        super().__init__(
            discord.ui.Select(
                custom_id=f"pallets:chats:remove-pick:{occurrence_id}",
                placeholder=_("Remove topics from the agenda…"),
                min_values=1,
                max_values=len(options),
                options=options,
            )
        )
        self.args = (occurrence_id,)


PERSISTENT_ITEMS: tuple[type[DynamicButton | DynamicSelect], ...] = (
    InterestButton,
    ProposeButton,
    VoteButton,
    PinButton,
    RemoveButton,
    TopicPinSelect,
    TopicRemoveSelect,
)


# -- organiser forms ---------------------------------------------------------------------------
class NotesModal(Modal):
    def __init__(
        self, occurrence_id: int, current: str | None, on_submit: OnNotes
    ) -> None:
        super().__init__(
            title=clip(_("Notes of the chat"), MODAL_TITLE_LIMIT),
            custom_id=f"pallets:chats:notes-form:{occurrence_id}",
        )
        self.occurrence_id = occurrence_id
        self._on_submit = on_submit
        self.summary: discord.ui.TextInput[NotesModal] = discord.ui.TextInput(
            label=_("Summary"),
            custom_id="summary",
            style=discord.TextStyle.paragraph,
            max_length=logic.NOTES_LIMIT,
            default=current,
        )
        self.add_item(self.summary)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(interaction, self.occurrence_id, self.summary.value)


class WhenForm(Modal):
    """Edit what was typed for a date or time (opened from Edit under what the bot
    understood); ``on_submit`` reads it again."""

    def __init__(self, *, label: str, typed: str, on_submit: OnText) -> None:
        super().__init__(title=clip(_("Change the time"), MODAL_TITLE_LIMIT))
        self._on_submit = on_submit
        self.when: discord.ui.TextInput[WhenForm] = discord.ui.TextInput(
            label=clip(label, 45),
            custom_id="when",
            max_length=40,
            default=typed[:40],
            placeholder=_("e.g. fri 18:00, tomorrow 17:30 or 2026-03-05 17:00"),
        )
        self.add_item(self.when)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(interaction, self.when.value)


def when_label() -> str:
    """The field of the reschedule form."""
    return _("New date and time")


def time_label() -> str:
    """The field of the series form."""
    return _("Local start time, HH:MM")


class ConfirmDeleteView(View):
    """Delete the series, or keep it: what each does is given by the cog."""

    def __init__(self, series_id: int, *, confirm: OnClick, cancel: OnClick) -> None:
        super().__init__(timeout=300)
        self._confirm = confirm
        self._cancel = cancel
        yes: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            label=_("Delete the series"),
            style=discord.ButtonStyle.danger,
            custom_id=f"pallets:chats:delete-confirm:{series_id}",
        )
        no: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            label=_("Keep it"),
            style=discord.ButtonStyle.secondary,
            custom_id=f"pallets:chats:delete-cancel:{series_id}",
        )
        yes.callback = self._yes  # type: ignore[method-assign]
        no.callback = self._no  # type: ignore[method-assign]
        self.add_item(yes)
        self.add_item(no)

    async def _yes(self, interaction: UiInteraction) -> None:
        await self._confirm(interaction)
        self.stop()

    async def _no(self, interaction: UiInteraction) -> None:
        self.stop()
        await self._cancel(interaction)
