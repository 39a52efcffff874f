"""Buttons and forms of the events job: they draw and parse, the engine acts."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import discord

from bot.i18n import _
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT
from bot.ui import DynamicButton
from bot.ui import Interaction
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View
from bot.ui import view_of
from cogs.events._logic import CodeOfConduct
from cogs.events._logic import COMMENT_LIMIT
from cogs.events._logic import LINK_LIMIT
from cogs.events._logic import LOCATION_LIMIT
from cogs.events._logic import Rsvp
from cogs.events._queries import Event
from cogs.events._queries import RsvpCounts
from cogs.events._render import rsvp_label

FormValues = dict[str, str]
OnSubmit = Callable[[Interaction, FormValues], Awaitable[None]]
Then = Callable[[Interaction], Awaitable[None]]

#: The actions the persistent buttons run (registered by the engine).
PUBLISH = "events.publish"
RSVP = "events.rsvp"
#: The paged list of upcoming events.
LIST = "events.list"
#: Room for "day after tomorrow 18:00" and "Thursday, March 5th 2026 5:30 pm".
FIELD_LIMIT = 40
#: The paged list of who is going to an event (its id is the list's argument).
ATTENDEES = "events.attendees"
#: A member's draft sent to the organisers; their answer; after the event.
SUBMIT = "events.submit"
APPROVE = "events.approve"
DECLINE = "events.decline"
LINKS = "events.links"
FEEDBACK = "events.feedback"


# -- the form --------------------------------------------------------------------------------
class EventForm(Modal):
    """Title, description, start, end and location (kind and timezone are options)."""

    def __init__(
        self,
        *,
        editing: bool,
        on_submit: OnSubmit,
        defaults: FormValues | None = None,
        timezone: str,
    ) -> None:
        title = _("Edit event") if editing else _("New event")
        super().__init__(title=title[:45], timeout=900)
        self._on_submit = on_submit
        values = defaults or {}
        example = _(
            "e.g. tomorrow 18:00, fri 17:30 or 2026-03-14 18:00 ({timezone})",
            timezone=timezone,
        )
        until = _("e.g. 21:00, in 3 hours or 2026-03-14 21:00")
        self.event_title: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("Title"),
            custom_id="title",
            max_length=EVENT_NAME_LIMIT,
            default=values.get("title"),
        )
        self.description: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("Description"),
            custom_id="description",
            style=discord.TextStyle.paragraph,
            max_length=EVENT_DESCRIPTION_LIMIT,
            required=False,
            default=values.get("description"),
            placeholder=_("What, for whom, accessibility note, contact person"),
        )
        self.start: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("Start"),
            custom_id="start",
            max_length=FIELD_LIMIT,
            placeholder=example[:100],
            default=values.get("start"),
        )
        self.end: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("End"),
            custom_id="end",
            max_length=FIELD_LIMIT,
            placeholder=until[:100],
            default=values.get("end"),
        )
        self.location: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("Location or link"),
            custom_id="location",
            max_length=LOCATION_LIMIT,
            default=values.get("location"),
        )
        for item in (
            self.event_title,
            self.description,
            self.start,
            self.end,
            self.location,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(
            interaction,
            {
                "title": self.event_title.value,
                "description": self.description.value,
                "start": self.start.value,
                "end": self.end.value,
                "location": self.location.value,
            },
        )


# -- code of conduct --------------------------------------------------------------------------
class AcceptCodeView(View):
    """Shown to an organiser who has not accepted the current code of conduct:
    ``accept`` records it, then ``then`` carries on with what they were doing."""

    def __init__(
        self,
        coc: CodeOfConduct,
        *,
        accept: Callable[[Interaction, CodeOfConduct], Awaitable[None]],
        then: Then,
    ) -> None:
        super().__init__(timeout=900)
        self._coc = coc
        self._accept_code = accept
        self._then = then
        button: discord.ui.Button[AcceptCodeView] = discord.ui.Button(
            label=_("I accept the code of conduct"),
            style=discord.ButtonStyle.success,
            custom_id="pallets:events:coc-accept",
        )
        button.callback = self._accept  # type: ignore[method-assign]
        self.add_item(button)
        self.add_item(discord.ui.Button(label=_("Read the full policy"), url=coc.url))

    async def _accept(self, interaction: UiInteraction) -> None:
        await self._accept_code(interaction, self._coc)
        self.stop()
        await self._then(interaction)


# -- persistent buttons -------------------------------------------------------------------------
class PublishButton(DynamicButton, template=r"pallets:events:publish:(?P<id>[0-9]+)"):
    action = PUBLISH
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Publish"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:events:publish:{event_id}",
            )
        )
        self.args = (event_id,)


_RSVP_STYLES = {
    Rsvp.GOING: discord.ButtonStyle.success,
    Rsvp.MAYBE: discord.ButtonStyle.secondary,
    Rsvp.NOT_GOING: discord.ButtonStyle.secondary,
}


class RsvpButton(
    DynamicButton,
    template=r"pallets:events:rsvp:(?P<id>[0-9]+):(?P<state>going|maybe|not_going)",
):
    action = RSVP
    owner = ("events", "id")

    def __init__(self, event_id: int, state: Rsvp, count: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{rsvp_label(state)} ({count})",
                style=_RSVP_STYLES[state],
                custom_id=f"pallets:events:rsvp:{event_id}:{state.value}",
            )
        )
        self.args = (event_id, state)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RsvpButton:
        return cls(int(match["id"]), Rsvp(match["state"]))


def rsvp_view(event: Event, counts: RsvpCounts) -> View | None:
    """The RSVP buttons with their counts; none once the event is cancelled."""
    if not event.published:
        return None
    return view_of(
        RsvpButton(event.id, Rsvp.GOING, counts.going),
        RsvpButton(event.id, Rsvp.MAYBE, counts.maybe),
        RsvpButton(event.id, Rsvp.NOT_GOING, counts.not_going),
    )


def publish_view(event_id: int, *, review: bool = False) -> View:
    """Publish for organisers; Submit for review for other members."""
    return view_of(SubmitButton(event_id) if review else PublishButton(event_id))


def _button(
    label: str, custom_id: str, style: discord.ButtonStyle
) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label, style=style, custom_id=custom_id)


class SubmitButton(DynamicButton, template=r"pallets:events:submit:(?P<id>[0-9]+)"):
    action = SUBMIT
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            _button(
                _("Submit for review"),
                f"pallets:events:submit:{event_id}",
                discord.ButtonStyle.success,
            )
        )
        self.args = (event_id,)


class ApproveButton(DynamicButton, template=r"pallets:events:approve:(?P<id>[0-9]+)"):
    action = APPROVE
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            _button(
                _("Approve and publish"),
                f"pallets:events:approve:{event_id}",
                discord.ButtonStyle.success,
            )
        )
        self.args = (event_id,)


class DeclineButton(DynamicButton, template=r"pallets:events:decline:(?P<id>[0-9]+)"):
    action = DECLINE
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            _button(
                _("Decline"),
                f"pallets:events:decline:{event_id}",
                discord.ButtonStyle.danger,
            )
        )
        self.args = (event_id,)


class LinksButton(DynamicButton, template=r"pallets:events:links:(?P<id>[0-9]+)"):
    action = LINKS
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            _button(
                _("Add recording or slides"),
                f"pallets:events:links:{event_id}",
                discord.ButtonStyle.primary,
            )
        )
        self.args = (event_id,)


class FeedbackButton(DynamicButton, template=r"pallets:events:feedback:(?P<id>[0-9]+)"):
    action = FEEDBACK
    owner = ("events", "id")

    def __init__(self, event_id: int) -> None:
        super().__init__(
            _button(
                _("Give feedback"),
                f"pallets:events:feedback:{event_id}",
                discord.ButtonStyle.primary,
            )
        )
        self.args = (event_id,)


def review_view(event_id: int) -> View:
    return view_of(ApproveButton(event_id), DeclineButton(event_id))


def links_view(event_id: int) -> View:
    return view_of(LinksButton(event_id))


def feedback_view(event_id: int) -> View:
    return view_of(FeedbackButton(event_id))


# -- small forms ------------------------------------------------------------------------------
class FieldsForm(Modal):
    """A form of a few text fields, read back by their custom ids."""

    def __init__(
        self,
        title: str,
        fields: list[discord.ui.TextInput[Any]],
        on_submit: OnSubmit,
    ) -> None:
        super().__init__(title=title[:45], timeout=900)
        self._fields = fields
        self._on_submit = on_submit
        for item in fields:
            self.add_item(item)

    async def on_submit(self, interaction: UiInteraction, /) -> None:
        await self._on_submit(
            interaction, {item.custom_id: item.value for item in self._fields}
        )


def reason_form(on_submit: OnSubmit) -> FieldsForm:
    """Why an organiser declines a member's event (the member reads it)."""
    return FieldsForm(
        _("Decline the event"),
        [
            discord.ui.TextInput(
                label=_("Reason (the member reads it)"),
                custom_id="reason",
                style=discord.TextStyle.paragraph,
                max_length=COMMENT_LIMIT,
            )
        ],
        on_submit,
    )


def links_form(on_submit: OnSubmit, event: Event) -> FieldsForm:
    return FieldsForm(
        _("Recording and slides"),
        [
            discord.ui.TextInput(
                label=_("Recording link"),
                custom_id="recording",
                required=False,
                max_length=LINK_LIMIT,
                default=event.recording_url,
            ),
            discord.ui.TextInput(
                label=_("Slides link"),
                custom_id="slides",
                required=False,
                max_length=LINK_LIMIT,
                default=event.slides_url,
            ),
        ],
        on_submit,
    )


def feedback_form(on_submit: OnSubmit) -> FieldsForm:
    return FieldsForm(
        _("How was it?"),
        [
            discord.ui.TextInput(
                label=_("Rating, 1 (poor) to 5 (great)"),
                custom_id="rating",
                max_length=5,
            ),
            discord.ui.TextInput(
                label=_("What should the organisers keep or change?"),
                custom_id="comment",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=COMMENT_LIMIT,
            ),
        ],
        on_submit,
    )


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (
    PublishButton,
    RsvpButton,
    SubmitButton,
    ApproveButton,
    DeclineButton,
    LinksButton,
    FeedbackButton,
)
