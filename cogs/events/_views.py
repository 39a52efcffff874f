"""Buttons, forms and embeds of the events job."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from typing import cast
from typing import TYPE_CHECKING

import discord

from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import N_
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT
from bot.safety import quote
from bot.ui import DynamicButton
from bot.ui import Modal
from bot.ui import UiInteraction
from bot.ui import View
from cogs.events._logic import CheckResult
from cogs.events._logic import CodeOfConduct
from cogs.events._logic import is_url
from cogs.events._logic import kind_label
from cogs.events._logic import LOCATION_LIMIT
from cogs.events._logic import Page
from cogs.events._logic import Rsvp
from cogs.events._logic import rsvp_label
from cogs.events._queries import Event
from cogs.events._queries import RsvpCounts

if TYPE_CHECKING:
    from cogs.events._cog import EventsCog

_ONE_DAY = timedelta(days=1)
FormValues = dict[str, str]
OnSubmit = Callable[[UiInteraction, FormValues], Awaitable[None]]


def events_cog(interaction: UiInteraction) -> EventsCog:
    cog = interaction.client.get_cog("EventsCog")
    assert cog is not None, "the events cog is not loaded"
    return cast("EventsCog", cog)


# -- the form --------------------------------------------------------------------------------
class EventForm(Modal):
    """Title, description, start, end and location (kind and timezone are options)."""

    def __init__(
        self,
        *,
        title: str,
        on_submit: OnSubmit,
        defaults: FormValues | None = None,
        timezone: str,
    ) -> None:
        super().__init__(title=title[:45], timeout=900)
        self._on_submit = on_submit
        values = defaults or {}
        example = _("e.g. 2026-03-14 18:00 ({timezone})", timezone=timezone)
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
            max_length=20,
            placeholder=example[:100],
            default=values.get("start"),
        )
        self.end: discord.ui.TextInput[EventForm] = discord.ui.TextInput(
            label=_("End"),
            custom_id="end",
            max_length=20,
            placeholder=example[:100],
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
    """Shown to an organiser who has not accepted the current code of conduct."""

    def __init__(
        self, coc: CodeOfConduct, then: Callable[[UiInteraction], Awaitable[None]]
    ) -> None:
        super().__init__(timeout=900)
        self._coc = coc
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
        await events_cog(interaction).accept_code(interaction, self._coc)
        self.stop()
        await self._then(interaction)


def code_of_conduct_text(coc: CodeOfConduct) -> str:
    return _(
        "Before you publish events, please read and accept the code of conduct "
        "(version {version}).\n{text}\nFull policy: <{url}>",
        version=coc.version,
        text=coc.text.strip(),
        url=coc.url,
    )


# -- persistent buttons -------------------------------------------------------------------------
class PublishButton(DynamicButton, template=r"pallets:events:publish:(?P<id>[0-9]+)"):
    def __init__(self, event_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Publish"),
                style=discord.ButtonStyle.success,
                custom_id=f"pallets:events:publish:{event_id}",
            )
        )
        self.event_id = event_id

    async def run(self, interaction: UiInteraction) -> None:
        await events_cog(interaction).publish(interaction, self.event_id)


_RSVP_STYLES = {
    Rsvp.GOING: discord.ButtonStyle.success,
    Rsvp.MAYBE: discord.ButtonStyle.secondary,
    Rsvp.NOT_GOING: discord.ButtonStyle.secondary,
}


class RsvpButton(
    DynamicButton,
    template=r"pallets:events:rsvp:(?P<id>[0-9]+):(?P<state>going|maybe|not_going)",
):
    def __init__(self, event_id: int, state: Rsvp, count: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{rsvp_label(state)} ({count})",
                style=_RSVP_STYLES[state],
                custom_id=f"pallets:events:rsvp:{event_id}:{state.value}",
            )
        )
        self.event_id = event_id
        self.state = state

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RsvpButton:
        return cls(int(match["id"]), Rsvp(match["state"]))

    async def run(self, interaction: UiInteraction) -> None:
        await events_cog(interaction).rsvp(interaction, self.event_id, self.state)


def rsvp_view(event: Event, counts: RsvpCounts) -> View | None:
    """The RSVP buttons with their counts; none once the event is cancelled."""
    if not event.published:
        return None
    view = View(timeout=None)
    view.add_item(RsvpButton(event.id, Rsvp.GOING, counts.going))
    view.add_item(RsvpButton(event.id, Rsvp.MAYBE, counts.maybe))
    view.add_item(RsvpButton(event.id, Rsvp.NOT_GOING, counts.not_going))
    return view


def publish_view(event_id: int) -> View:
    view = View(timeout=None)
    view.add_item(PublishButton(event_id))
    return view


class PagesView(View):
    """Previous / Next under /event list, for the member who asked."""

    def __init__(self, cog: EventsCog, user_id: int, page: Page) -> None:
        super().__init__(timeout=600)
        self._cog = cog
        self._user_id = user_id
        self._page = page
        previous: discord.ui.Button[PagesView] = discord.ui.Button(
            label=_("Previous"), disabled=page.number <= 1
        )
        following: discord.ui.Button[PagesView] = discord.ui.Button(
            label=_("Next"), disabled=page.number >= page.count
        )
        previous.callback = self._previous  # type: ignore[method-assign]
        following.callback = self._next  # type: ignore[method-assign]
        self.add_item(previous)
        self.add_item(following)

    async def _previous(self, interaction: UiInteraction) -> None:
        await self._show(interaction, self._page.number - 1)

    async def _next(self, interaction: UiInteraction) -> None:
        await self._show(interaction, self._page.number + 1)

    async def _show(self, interaction: UiInteraction, number: int) -> None:
        assert interaction.guild_id is not None
        listing = await self._cog.list_page(interaction.guild_id, number)
        if listing is None:
            await interaction.response.edit_message(
                content=_("No upcoming events."), embed=None, view=None
            )
            return
        embed, page = listing
        await interaction.response.edit_message(
            embed=embed, view=PagesView(self._cog, self._user_id, page)
        )


# -- embeds -------------------------------------------------------------------------------------
def event_embed(
    event: Event, counts: RsvpCounts | None, coc: CodeOfConduct | None
) -> discord.Embed:
    """The announcement (and preview and info) of an event."""
    title = quote(event.title)
    if event.cancelled:
        title = _("Cancelled: {title}", title=title)
    embed = discord.Embed(
        title=title,
        description=event.description or None,
        colour=discord.Colour.dark_grey() if event.cancelled else discord.Colour.blue(),
    )
    embed.add_field(name=_("Kind"), value=kind_label(event.kind))
    embed.add_field(
        name=_("When"),
        value=_(
            "{start} to {end} ({relative})\nOrganiser's timezone: {timezone}",
            start=discord_timestamp(event.starts_at, "F"),
            end=discord_timestamp(event.ends_at, "t")
            if event.ends_at - event.starts_at < _ONE_DAY
            else discord_timestamp(event.ends_at, "F"),
            relative=discord_timestamp(event.starts_at, "R"),
            timezone=event.timezone,
        ),
        inline=False,
    )
    where = event.location if is_url(event.location) else quote(event.location)
    embed.add_field(name=_("Where"), value=where, inline=False)
    embed.add_field(name=_("Organiser"), value=f"<@{event.organiser_id}>")
    if counts is not None and not event.cancelled:
        embed.add_field(
            name=_("Attendance"),
            value=_(
                "Going: {going} · Maybe: {maybe} · Not going: {not_going}",
                going=counts.going,
                maybe=counts.maybe,
                not_going=counts.not_going,
            ),
        )
    if coc is not None:
        embed.add_field(
            name=_("Code of conduct"),
            value=_("This event follows the [code of conduct]({url}).", url=coc.url),
            inline=False,
        )
    embed.set_footer(text=_("Event {id}", id=event.id))
    return embed


#: The checklist's labels and hints live in data/events/checklist.toml; they are
#: listed here so the catalogue tooling extracts them for translators.
_CHECKLIST_MESSAGES = (
    N_("Clear time and timezone"),
    N_("A location or a link"),
    N_("An accessibility note"),
    N_("Say how accessible the venue or stream is (step-free access, captions, ...)."),
    N_("A contact person"),
    N_('Name someone attendees can reach, e.g. "Contact: @name".'),
    N_("Code of conduct link"),
)


def checklist_text(results: list[CheckResult]) -> str:
    lines = [_("Quality checklist:")]
    for result in results:
        mark = "✅" if result.ok else "⬜"
        line = f"{mark} {_(result.item.label)}"
        if not result.ok and result.item.hint:
            line += f" — {_(result.item.hint)}"
        lines.append(line)
    return "\n".join(lines)
