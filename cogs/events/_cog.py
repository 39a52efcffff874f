"""/event: announce community events, RSVPs, reminders and the calendar file."""

from __future__ import annotations

import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.calendar import feed_url
from bot.calendar import to_ics
from bot.calendar import upcoming
from bot.clock import utcnow
from bot.job import JobCog
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clip
from bot.timezones import language_of
from bot.timezones import Timezone
from bot.timezones import zone_for
from bot.ui import answer
from bot.ui import ask_to_confirm
from bot.ui import hold
from bot.ui import Interaction
from bot.ui import show_page
from cogs.events import _queries as q
from cogs.events import _render as render
from cogs.events._engine import EventEngine
from cogs.events._logic import event_options
from cogs.events._logic import event_rule
from cogs.events._logic import EventDraft
from cogs.events._logic import EventOptions
from cogs.events._logic import load_checklist
from cogs.events._logic import local_input
from cogs.events._logic import MAX_CAPACITY
from cogs.events._logic import MAX_EVERY
from cogs.events._logic import Problem
from cogs.events._logic import run_checklist
from cogs.events._logic import validate_event
from cogs.events._logic import with_options
from cogs.events._views import ATTENDEES
from cogs.events._views import EventForm
from cogs.events._views import FormValues
from cogs.events._views import LIST
from cogs.events._views import PERSISTENT_ITEMS
from cogs.events._views import publish_view

REPEAT_CHOICES = [
    app_commands.Choice(name="weekly", value="weekly"),
    app_commands.Choice(name="monthly on the same day", value="monthly_date"),
    app_commands.Choice(
        name="monthly on the same weekday (e.g. 2nd Thursday)", value="monthly_weekday"
    ),
    app_commands.Choice(name="monthly on the last such weekday", value="monthly_last"),
    app_commands.Choice(name="quarterly", value="quarterly"),
]

KIND_CHOICES = [
    app_commands.Choice(name="conference", value="conference"),
    app_commands.Choice(name="sprint", value="sprint"),
    app_commands.Choice(name="meetup", value="meetup"),
    app_commands.Choice(name="online talk", value="online_talk"),
    app_commands.Choice(name="other", value="other"),
]


@dataclass(frozen=True, slots=True)
class Repeating:
    """The create command's repeat options, carried to the form's answer."""

    repeat: str | None
    every: int


@app_commands.guild_only()
class EventsCog(JobCog[EventEngine], commands.GroupCog, group_name="event"):
    """Community events: announcements, RSVPs, reminders and the calendar."""

    engine_type = EventEngine
    persistent_items = PERSISTENT_ITEMS

    @commands.Cog.listener()
    async def on_pallets_event_interest(
        self, guild_id: int, event_id: int, user_id: int, added: bool
    ) -> None:
        """Discord's own Interested on an event's Discord event counts as Going."""
        await self.engine.discord_interest(guild_id, event_id, user_id, added)

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        """Finish publishing that a crash interrupted."""
        await self.engine.recover()

    # -- creating ---------------------------------------------------------------------------
    @app_commands.command(name="create")
    @app_commands.describe(
        kind="What sort of event it is",
        timezone="The timezone of the times you will type (default: yours, or the server's)",
        capacity="How many places there are; the others wait in line (default: no limit)",
        reminders="When members going get a DM, like 24h,1h, or none (default 24h)",
        channel_reminders="When the events channel is reminded, like 1h, or none (default 1h)",
        repeat="Repeat the event from its first date (default: once)",
        every="Every how many weeks or months it repeats (default 1)",
    )
    @app_commands.choices(kind=KIND_CHOICES, repeat=REPEAT_CHOICES)
    async def create(
        self,
        interaction: Interaction,
        kind: app_commands.Choice[str],
        timezone: Timezone | None = None,
        capacity: app_commands.Range[int, 1, MAX_CAPACITY] | None = None,
        reminders: str | None = None,
        channel_reminders: str | None = None,
        repeat: app_commands.Choice[str] | None = None,
        every: app_commands.Range[int, 1, MAX_EVERY] = 1,
    ) -> None:
        """Describe a new event; organisers publish it, members submit it for review."""
        assert interaction.guild_id is not None
        await self.engine.events_channel(interaction.guild_id)
        options = event_options(
            reminders=reminders,
            channel_reminders=channel_reminders,
            capacity=capacity,
        )
        zone = await zone_for(interaction, timezone)
        repeats = Repeating(repeat.value if repeat else None, every)

        async def open_form(target: Interaction) -> None:
            async def submitted(inner: Interaction, values: FormValues) -> None:
                await self._create_submitted(
                    inner, values, kind.value, zone, options, repeats
                )

            await target.response.send_modal(
                EventForm(editing=False, on_submit=submitted, timezone=zone.key)
            )

        if not await self.engine.ask_code(interaction, open_form):
            await open_form(interaction)

    async def _create_submitted(
        self,
        interaction: Interaction,
        values: FormValues,
        kind: str,
        zone: ZoneInfo,
        options: EventOptions,
        repeats: Repeating,
    ) -> None:
        """Read the form, show the times (and next dates) as understood; save only
        once confirmed."""
        draft = validate_event(
            values,
            kind=kind,
            timezone=zone,
            now=utcnow(),
            language=language_of(interaction),
        )
        draft = with_options(draft, options)
        rule = event_rule(repeats.repeat, repeats.every, draft.starts_at, zone.key)
        understood = render.times_understood(draft)
        if rule is not None:
            understood += "\n" + render.repeats_text(
                rule.occurrences(draft.starts_at, 3)
            )

        async def confirm(clicked: Interaction) -> None:
            if draft.starts_at <= utcnow():
                raise Refused(Problem.START_IN_PAST)
            assert clicked.guild_id is not None
            event = await q.create_draft(
                self.bot.db, clicked.guild_id, clicked.user.id, draft, rule=rule
            )
            await self._show_preview(clicked, event)

        async def edit(clicked: Interaction) -> None:
            async def again(inner: Interaction, changed: FormValues) -> None:
                await self._create_submitted(
                    inner, changed, kind, zone, options, repeats
                )

            await clicked.response.send_modal(
                EventForm(
                    editing=False, on_submit=again, defaults=values, timezone=zone.key
                )
            )

        await ask_to_confirm(interaction, understood, confirm=confirm, edit=edit)

    async def _show_preview(self, interaction: Interaction, event: q.Event) -> None:
        """The draft with the checklist: Publish for organisers, Submit for review
        for other members."""
        review = not await self.engine.is_organiser(interaction)
        checks = run_checklist(event.description, event.location, load_checklist())
        await answer(
            interaction,
            render.preview_text(checks, review=review),
            embed=render.event_embed(event, None, self.engine.code_of_conduct()),
            view=publish_view(event.id, review=review),
        )

    # -- editing and cancelling ------------------------------------------------------------------
    @app_commands.command(name="edit")
    @app_commands.describe(
        event="The event to change",
        timezone="The timezone of the times in the form (default: the event's own)",
        capacity="New number of places (0: no limit); more places go to the waitlist",
        reminders="New times members going get a DM, like 24h,1h, or none",
        channel_reminders="New times the events channel is reminded, like 1h, or none",
    )
    async def edit(
        self,
        interaction: Interaction,
        event: int,
        timezone: Timezone | None = None,
        capacity: app_commands.Range[int, 0, MAX_CAPACITY] | None = None,
        reminders: str | None = None,
        channel_reminders: str | None = None,
    ) -> None:
        """Change an event's details, time, places or reminders."""
        current = await self.engine.for_organiser(interaction, event)
        if current.cancelled:
            raise Refused(Problem.WAS_CANCELLED)
        options = event_options(
            reminders=reminders,
            channel_reminders=channel_reminders,
            capacity=capacity,
            current=current.options,
        )
        zone = timezone.key if timezone else current.timezone
        defaults = {
            "title": current.title,
            "description": current.description,
            "start": local_input(current.starts_at, zone),
            "end": local_input(current.ends_at, zone),
            "location": current.location,
        }

        async def submitted(inner: Interaction, values: FormValues) -> None:
            await self._edit_submitted(inner, current.id, values, zone, options)

        await interaction.response.send_modal(
            EventForm(
                editing=True, on_submit=submitted, defaults=defaults, timezone=zone
            )
        )

    async def _edit_submitted(
        self,
        interaction: Interaction,
        event_id: int,
        values: FormValues,
        zone: str,
        options: EventOptions,
    ) -> None:
        """Save a changed event; new times are shown as understood and confirmed first."""
        before = await self.engine.for_organiser(interaction, event_id)
        if before.cancelled:
            raise Refused(Problem.WAS_CANCELLED)
        now = utcnow()
        draft = validate_event(
            values,
            kind=before.kind,
            timezone=zone,
            now=now,
            check_start_in_future=False,
            language=language_of(interaction),
        )
        moved = (draft.starts_at, draft.ends_at) != (before.starts_at, before.ends_at)
        if moved and draft.starts_at <= now:
            raise Refused(Problem.START_IN_PAST)
        if not moved:
            await self._save_edit(interaction, event_id, draft, options)
            return

        async def confirm(clicked: Interaction) -> None:
            if draft.starts_at <= utcnow():
                raise Refused(Problem.START_IN_PAST)
            await self._save_edit(clicked, event_id, draft, options)

        async def edit(clicked: Interaction) -> None:
            async def again(inner: Interaction, changed: FormValues) -> None:
                await self._edit_submitted(inner, event_id, changed, zone, options)

            await clicked.response.send_modal(
                EventForm(editing=True, on_submit=again, defaults=values, timezone=zone)
            )

        await ask_to_confirm(
            interaction, render.times_understood(draft), confirm=confirm, edit=edit
        )

    async def _save_edit(
        self,
        interaction: Interaction,
        event_id: int,
        draft: EventDraft,
        options: EventOptions,
    ) -> None:
        before = await self.engine.for_organiser(interaction, event_id)
        if before.cancelled:
            raise Refused(Problem.WAS_CANCELLED)
        await hold(interaction)
        after = await q.update_event(self.bot.db, before.id, draft)
        told = await self.engine.edited(before, after)
        after = await self.engine.change_options(after, options)
        if after.state == "draft" and after.review != "pending":
            await self._show_preview(interaction, after)
            return
        await answer(
            interaction,
            render.updated_text(after, going_told=told),
            embed=render.event_embed(after, None, None),
        )

    @app_commands.command(name="cancel")
    @app_commands.describe(
        event="The event to cancel",
        series="For a repeating event: stop repeating too (default: only this date)",
    )
    async def cancel(
        self, interaction: Interaction, event: int, series: bool = False
    ) -> None:
        """Cancel an event and tell the members who are going."""
        current = await self.engine.for_organiser(interaction, event)
        if current.cancelled:
            raise Refused(Problem.ALREADY_CANCELLED)
        if series and current.series_id is None:
            raise Refused(Problem.NOT_A_SERIES)
        await defer(interaction)
        cancelled = await q.cancel_event(self.bot.db, current.id)
        if cancelled is None:
            raise Refused(Problem.ALREADY_CANCELLED)
        if series and current.series_id is not None:
            await q.stop_series(self.bot.db, current.series_id)
        await self.engine.cancelled(cancelled, was_published=current.published)
        await reply(
            interaction, render.cancelled_text(cancelled, series_stopped=series)
        )

    # -- after the event -------------------------------------------------------------------------
    @app_commands.command(name="links")
    @app_commands.describe(event="The event that took place")
    async def links(self, interaction: Interaction, event: int) -> None:
        """Add the recording or slides of an event that took place."""
        await self.engine.ask_for_links(interaction, event)

    @app_commands.command(name="feedback")
    @app_commands.describe(event="The event you went to")
    async def feedback(self, interaction: Interaction, event: int) -> None:
        """Tell the organisers how an event you went to was."""
        await self.engine.ask_for_feedback(interaction, event)

    @links.autocomplete("event")
    @feedback.autocomplete("event")
    async def _past_event_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        events = await q.recent_events(self.bot.db, interaction.guild_id, utcnow())
        needle = current.lower()
        return [
            app_commands.Choice(name=clip(f"{e.id}: {e.title}", 100), value=e.id)
            for e in events
            if needle in f"{e.id} {e.title}".lower()
        ]

    @edit.autocomplete("event")
    @cancel.autocomplete("event")
    async def _own_event_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._event_choices(interaction, current, drafts=True)

    async def _event_choices(
        self, interaction: Interaction, current: str, *, drafts: bool
    ) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        events = await q.events_for_autocomplete(
            self.bot.db,
            interaction.guild_id,
            utcnow(),
            include_drafts_of=interaction.user.id if drafts else None,
        )
        needle = current.lower()
        return [
            app_commands.Choice(name=clip(f"{e.id}: {e.title}", 100), value=e.id)
            for e in events
            if needle in f"{e.id} {e.title}".lower()
        ]

    # -- reading -------------------------------------------------------------------------------
    @app_commands.command(name="list")
    @app_commands.describe(page="Which page of upcoming events to show")
    async def list_events(
        self, interaction: Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """List upcoming events."""
        await show_page(interaction, LIST, page - 1)

    @app_commands.command(name="info")
    @app_commands.describe(event="The event to show")
    async def info(self, interaction: Interaction, event: int) -> None:
        """Show an event's details and attendance."""
        assert interaction.guild_id is not None
        found = await q.get_event(self.bot.db, interaction.guild_id, event)
        own = found is not None and found.organiser_id == interaction.user.id
        if found is None or (found.state == "draft" and not own):
            raise Refused(Problem.NO_EVENT, id=event)
        counts = await q.rsvp_counts(self.bot.db, found.id)
        mine = await q.rsvp_of(self.bot.db, found.id, interaction.user.id)
        _, _, position = await q.standing(self.bot.db, found.id, interaction.user.id)
        lines = [
            render.info_text(found, mine, position),
            render.review_state_text(found),
        ]
        if found.ends_at <= utcnow() and (
            own or await self.engine.is_organiser(interaction)
        ):
            feedback = await q.feedback_of(self.bot.db, found.id)
            lines.append(render.feedback_summary(feedback))
        following = await q.next_in_series(self.bot.db, found)
        await reply(
            interaction,
            "\n".join(line for line in lines if line) or None,
            embed=render.event_embed(
                found, counts, self.engine.code_of_conduct(), following=following
            ),
        )

    @app_commands.command(name="attendees")
    @app_commands.describe(event="The event whose attendees to show")
    async def attendees(self, interaction: Interaction, event: int) -> None:
        """See who is going, maybe going and waiting (organisers and attendees)."""
        await show_page(interaction, ATTENDEES, 0, str(event))

    @info.autocomplete("event")
    @attendees.autocomplete("event")
    async def _info_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._event_choices(interaction, current, drafts=False)

    @app_commands.command(name="calendar")
    async def calendar(self, interaction: Interaction) -> None:
        """Get the community calendar, chats and events, as a file (.ics)."""
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        # The same entries as the public feed and /upcoming: every source, not ours.
        entries = await self.bot.calendar_sources.collect(self.bot, guild_id)
        data = to_ics(entries, render.calendar_name(interaction.guild.name))
        settings = await self.bot.guild_config.get(guild_id)
        feed = (
            feed_url(self.bot.settings.public_url, guild_id)
            if settings.calendar_enabled
            else None
        )
        await reply(
            interaction,
            render.calendar_text(len(upcoming(entries, utcnow())), feed),
            file=discord.File(io.BytesIO(data), filename="events.ics"),
        )

    @app_commands.command(name="reminders")
    async def reminders(self, interaction: Interaction) -> None:
        """Turn the reminder DM before events you are going to off or on."""
        assert interaction.guild_id is not None
        opted_out = await q.toggle_reminder_optout(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        await reply(interaction, render.reminders_text(opted_out))
