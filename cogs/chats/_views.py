"""Buttons and forms of the chats job: interest, proposals, votes, notes, delete."""

from __future__ import annotations

from typing import Any
from typing import TYPE_CHECKING

import discord

from bot.errors import UserError
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import guild_language
from bot.permissions import require_role
from bot.replies import reply
from bot.safety import BUTTON_LABEL_LIMIT
from bot.safety import clip
from bot.safety import MODAL_TITLE_LIMIT
from bot.ui import DynamicButton
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View
from cogs.chats import _logic as logic
from cogs.chats import _queries as q
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Proposal

if TYPE_CHECKING:
    from cogs.chats._cog import ChatsCog


def cog_of(interaction: UiInteraction) -> ChatsCog:
    from cogs.chats._cog import ChatsCog

    cog = interaction.client.get_cog(ChatsCog.__cog_name__)
    assert isinstance(cog, ChatsCog)
    return cog


def _button(
    label: str, custom_id: str, style: discord.ButtonStyle
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=clip(label, BUTTON_LABEL_LIMIT), custom_id=custom_id, style=style
    )


# -- the announcement ------------------------------------------------------------------
class InterestButton(DynamicButton, template=r"pallets:chats:interest:(?P<id>[0-9]+)"):
    def __init__(self, occurrence_id: int) -> None:
        self.occurrence_id = occurrence_id
        with guild_language():
            label = _("Interested")
        super().__init__(
            _button(
                label,
                f"pallets:chats:interest:{occurrence_id}",
                discord.ButtonStyle.primary,
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        cog = cog_of(interaction)
        occ = await open_occurrence(cog, self.occurrence_id)
        now_in = await q.toggle_interest(cog.bot.db, occ.id, interaction.user.id)
        if now_in:
            text = _(
                "You are interested: I will remind you by DM before the chat starts."
            )
        else:
            text = _("You are no longer marked as interested.")
        await reply(interaction, text)
        await cog.engine.refresh_announcement(occ.id)


class ProposeButton(DynamicButton, template=r"pallets:chats:propose:(?P<id>[0-9]+)"):
    def __init__(self, occurrence_id: int) -> None:
        self.occurrence_id = occurrence_id
        with guild_language():
            label = _("Propose a topic")
        super().__init__(
            _button(
                label,
                f"pallets:chats:propose:{occurrence_id}",
                discord.ButtonStyle.secondary,
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        cog = cog_of(interaction)
        occ = await open_occurrence(cog, self.occurrence_id)
        await interaction.response.send_modal(ProposeModal(occ.id))


def announcement_view(occ: Occurrence) -> View:
    view = View(timeout=None)
    view.add_item(InterestButton(occ.id))
    view.add_item(ProposeButton(occ.id))
    return view


async def open_occurrence(cog: ChatsCog, occurrence_id: int) -> Occurrence:
    occ = await q.occurrence(cog.bot.db, occurrence_id)
    if occ is None or not occ.upcoming or occ.voting_closed:
        raise UserError(_("This chat is over: voting and sign-ups are closed."))
    return occ


class ProposeModal(Modal):
    def __init__(self, occurrence_id: int) -> None:
        super().__init__(
            title=clip(_("Propose a topic"), MODAL_TITLE_LIMIT),
            custom_id=f"pallets:chats:propose-form:{occurrence_id}",
        )
        self.occurrence_id = occurrence_id
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
        cog = cog_of(interaction)
        occ = await open_occurrence(cog, self.occurrence_id)
        await cog.propose(interaction, occ, self.topic.value, self.details.value or "")


# -- proposals -----------------------------------------------------------------------------
class VoteButton(DynamicButton, template=r"pallets:chats:vote:(?P<id>[0-9]+)"):
    def __init__(self, proposal_id: int, votes: int = 0) -> None:
        self.proposal_id = proposal_id
        with guild_language():
            label = _("Upvote ({votes})", votes=votes)
        super().__init__(
            _button(
                label, f"pallets:chats:vote:{proposal_id}", discord.ButtonStyle.success
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        cog = cog_of(interaction)
        proposal = await live_proposal(cog, self.proposal_id)
        await open_occurrence(cog, proposal.occurrence_id)
        counted = await q.toggle_vote(cog.bot.db, proposal.id, interaction.user.id)
        fresh = await q.proposal(cog.bot.db, proposal.id)
        assert fresh is not None
        await interaction.response.edit_message(view=proposal_view(fresh))
        text = (
            _("Your vote for this topic counts.")
            if counted
            else _("Your vote for this topic is withdrawn.")
        )
        await reply(interaction, text)
        await cog.engine.refresh_announcement(proposal.occurrence_id)


class PinButton(DynamicButton, template=r"pallets:chats:pin:(?P<id>[0-9]+)"):
    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        with guild_language():
            label = _("Pin")
        super().__init__(
            _button(
                label, f"pallets:chats:pin:{proposal_id}", discord.ButtonStyle.secondary
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        await require_role(interaction, Role.ORGANISER)
        cog = cog_of(interaction)
        proposal = await live_proposal(cog, self.proposal_id)
        await open_occurrence(cog, proposal.occurrence_id)
        pinned = not proposal.pinned
        await q.set_proposal_flags(cog.bot.db, proposal.id, pinned=pinned)
        text = (
            _("Pinned: this topic stays at the top of the agenda.")
            if pinned
            else _("Unpinned: this topic is ranked by votes again.")
        )
        await reply(interaction, text)
        await cog.engine.refresh_announcement(proposal.occurrence_id)


class RemoveButton(DynamicButton, template=r"pallets:chats:remove:(?P<id>[0-9]+)"):
    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        with guild_language():
            label = _("Remove")
        super().__init__(
            _button(
                label, f"pallets:chats:remove:{proposal_id}", discord.ButtonStyle.danger
            )
        )

    async def run(self, interaction: UiInteraction) -> None:
        await require_role(interaction, Role.ORGANISER)
        cog = cog_of(interaction)
        proposal = await live_proposal(cog, self.proposal_id)
        await q.set_proposal_flags(cog.bot.db, proposal.id, removed=True)
        with guild_language():
            content = _("A topic proposal was removed by an organiser.")
        await interaction.response.edit_message(content=content, view=None)
        await reply(interaction, _("Topic removed from the agenda."))
        await cog.engine.refresh_announcement(proposal.occurrence_id)


async def live_proposal(cog: ChatsCog, proposal_id: int) -> Proposal:
    proposal = await q.proposal(cog.bot.db, proposal_id)
    if proposal is None or proposal.removed:
        raise UserError(_("This topic was removed."))
    return proposal


def proposal_view(proposal: Proposal) -> View:
    view = View(timeout=None)
    view.add_item(VoteButton(proposal.id, proposal.votes))
    view.add_item(PinButton(proposal.id))
    view.add_item(RemoveButton(proposal.id))
    return view


DYNAMIC_ITEMS: tuple[type[DynamicButton], ...] = (
    InterestButton,
    ProposeButton,
    VoteButton,
    PinButton,
    RemoveButton,
)


# -- organiser forms ---------------------------------------------------------------------------
class NotesModal(Modal):
    def __init__(self, occurrence_id: int, current: str | None) -> None:
        super().__init__(
            title=clip(_("Notes of the chat"), MODAL_TITLE_LIMIT),
            custom_id=f"pallets:chats:notes-form:{occurrence_id}",
        )
        self.occurrence_id = occurrence_id
        self.summary: discord.ui.TextInput[NotesModal] = discord.ui.TextInput(
            label=_("Summary"),
            custom_id="summary",
            style=discord.TextStyle.paragraph,
            max_length=logic.NOTES_LIMIT,
            default=current,
        )
        self.add_item(self.summary)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await require_role(interaction, Role.ORGANISER)
        await cog_of(interaction).save_notes(
            interaction, self.occurrence_id, self.summary.value
        )


class ConfirmDeleteView(View):
    def __init__(self, series_id: int, owner_id: int) -> None:
        super().__init__(timeout=300)
        self.series_id = series_id
        self.owner_id = owner_id
        confirm: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            label=_("Delete the series"),
            style=discord.ButtonStyle.danger,
            custom_id=f"pallets:chats:delete-confirm:{series_id}",
        )
        cancel: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            label=_("Keep it"),
            style=discord.ButtonStyle.secondary,
            custom_id=f"pallets:chats:delete-cancel:{series_id}",
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def _confirm(self, interaction: UiInteraction) -> None:
        await require_role(interaction, Role.ORGANISER)
        cog = cog_of(interaction)
        series = await q.series_by_id(cog.bot.db, self.series_id)
        if series is None:
            raise UserError(_("That series no longer exists."))
        # Acknowledge first: cancelling the Discord events takes Discord calls.
        await interaction.response.defer()
        await cog.engine.delete(series)
        self.stop()
        await interaction.edit_original_response(
            content=_("The series {name} is deleted.", name=series.name), view=None
        )

    async def _cancel(self, interaction: UiInteraction) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=_("Nothing was deleted."), view=None
        )
