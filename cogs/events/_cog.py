"""/event: announce community events, RSVPs, reminders and the calendar file."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import happenings
from bot import timezones
from bot.app import PalletsBot
from bot.calendar import CalendarEntry
from bot.calendar import make_uid
from bot.calendar import to_ics
from bot.clock import discord_timestamp
from bot.clock import to_ts
from bot.clock import utcnow
from bot.errors import NotAllowed
from bot.errors import UserError
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import guild_language
from bot.i18n import ngettext
from bot.permissions import has_role
from bot.permissions import requires
from bot.replies import defer
from bot.replies import reply
from bot.safety import clip
from bot.safety import quote
from bot.scheduler import Job
from bot.ui import Interaction
from cogs.events import _queries as q
from cogs.events._logic import CodeOfConduct
from cogs.events._logic import is_url
from cogs.events._logic import kind_label
from cogs.events._logic import load_checklist
from cogs.events._logic import load_code_of_conduct
from cogs.events._logic import local_input
from cogs.events._logic import Page
from cogs.events._logic import page_of
from cogs.events._logic import parse_timezone
from cogs.events._logic import reminder_plan
from cogs.events._logic import reminder_prefixes
from cogs.events._logic import Rsvp
from cogs.events._logic import rsvp_label
from cogs.events._logic import run_checklist
from cogs.events._logic import validate_event
from cogs.events._views import AcceptCodeView
from cogs.events._views import checklist_text
from cogs.events._views import code_of_conduct_text
from cogs.events._views import event_embed
from cogs.events._views import EventForm
from cogs.events._views import FormValues
from cogs.events._views import PagesView
from cogs.events._views import publish_view
from cogs.events._views import PublishButton
from cogs.events._views import rsvp_view
from cogs.events._views import RsvpButton

log = logging.getLogger(__name__)

KIND_CHOICES = [
    app_commands.Choice(name="conference", value="conference"),
    app_commands.Choice(name="sprint", value="sprint"),
    app_commands.Choice(name="meetup", value="meetup"),
    app_commands.Choice(name="online talk", value="online_talk"),
    app_commands.Choice(name="other", value="other"),
]
#: Ended events stay in the calendar file this long, so apps keep them.
CALENDAR_PAST = timedelta(days=30)


@app_commands.guild_only()
class EventsCog(commands.GroupCog, group_name="event"):
    """Community events: announcements, RSVPs, reminders and the calendar."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PublishButton, RsvpButton)
        scheduler = self.bot.scheduler
        scheduler.register(
            "events.remind_dm", self._remind_dm, catch_up=timedelta(hours=12)
        )
        scheduler.register(
            "events.remind_channel",
            self._remind_channel,
            catch_up=timedelta(minutes=50),
        )
        scheduler.register("events.notify", self._notify, catch_up=timedelta(days=2))
        self.bot.calendar_sources.register("events", calendar_source)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PublishButton, RsvpButton)
        for kind in ("events.remind_dm", "events.remind_channel", "events.notify"):
            self.bot.scheduler.unregister(kind)
        self.bot.calendar_sources.unregister("events")

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        """Finish publishing that a crash interrupted (each step is idempotent)."""
        for event in await q.published_unfinished(self.bot.db, utcnow()):
            settings = await self.bot.guild_config.get(event.guild_id)
            channel_id = settings.channel(Channel.EVENTS)
            if channel_id is None:
                continue
            try:
                # The organisers were told when it was published, if the Discord
                # event was refused then: a retry that fails again only logs.
                await self._bring_up_to_date(event, channel_id, tell=False)
            except discord.HTTPException:
                log.warning("could not finish publishing event %s", event.id)

    # -- creating ---------------------------------------------------------------------------
    @app_commands.command(name="create")
    @app_commands.describe(
        kind="What sort of event it is",
        timezone="The timezone you will type the times in, e.g. Europe/Paris",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @requires(Role.ORGANISER)
    async def create(
        self,
        interaction: Interaction,
        kind: app_commands.Choice[str],
        timezone: str,
    ) -> None:
        """Describe a new community event and preview it before publishing."""
        zone = parse_timezone(timezone).key
        kind_value = kind.value
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if settings.channel(Channel.EVENTS) is None:
            raise UserError(
                _("No events channel is set: a server manager can set one with /setup.")
            )

        async def open_form(target: Interaction) -> None:
            async def submitted(inner: Interaction, values: FormValues) -> None:
                await self._create_submitted(inner, values, kind_value, zone)

            await target.response.send_modal(
                EventForm(title=_("New event"), on_submit=submitted, timezone=zone)
            )

        coc = load_code_of_conduct()
        if not await self._accepted(interaction, coc):
            await reply(
                interaction,
                code_of_conduct_text(coc),
                view=AcceptCodeView(coc, then=open_form),
            )
            return
        await open_form(interaction)

    @create.autocomplete("timezone")
    async def _timezone_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _timezones(current)

    async def _create_submitted(
        self, interaction: Interaction, values: FormValues, kind: str, zone: str
    ) -> None:
        draft = validate_event(values, kind=kind, timezone=zone, now=utcnow())
        assert interaction.guild_id is not None
        event = await q.create_draft(
            self.bot.db, interaction.guild_id, interaction.user.id, draft
        )
        coc = load_code_of_conduct()
        checks = run_checklist(event.description, event.location, load_checklist())
        await reply(
            interaction,
            _("Here is the preview. Nothing is posted until you press Publish.")
            + "\n"
            + checklist_text(checks),
            embed=event_embed(event, None, coc),
            view=publish_view(event.id),
        )

    async def _accepted(self, interaction: Interaction, coc: CodeOfConduct) -> bool:
        assert interaction.guild_id is not None
        return await q.has_accepted(
            self.bot.db, interaction.guild_id, interaction.user.id, coc.version
        )

    async def accept_code(self, interaction: Interaction, coc: CodeOfConduct) -> None:
        """Record that the member accepted ``coc`` (its version, now)."""
        assert interaction.guild_id is not None
        await q.accept(
            self.bot.db, interaction.guild_id, interaction.user.id, coc.version
        )

    # -- publishing ---------------------------------------------------------------------------
    async def publish(self, interaction: Interaction, event_id: int) -> None:
        """The Publish button: announce, create the Discord event, plan reminders."""
        event = await self._event_for_organiser(interaction, event_id)
        if event.published:
            raise UserError(_("This event is already published."))
        if event.cancelled:
            raise UserError(_("This event was cancelled."))
        if event.starts_at <= utcnow():
            raise UserError(
                _("The start time has passed: edit the event before publishing.")
            )
        settings = await self.bot.guild_config.get(event.guild_id)
        channel_id = settings.channel(Channel.EVENTS)
        if channel_id is None:
            raise UserError(
                _("No events channel is set: a server manager can set one with /setup.")
            )
        coc = load_code_of_conduct()
        if not await self._accepted(interaction, coc):

            async def publish_after(target: Interaction) -> None:
                await self.publish(target, event_id)

            await reply(
                interaction,
                code_of_conduct_text(coc),
                view=AcceptCodeView(coc, then=publish_after),
            )
            return
        await defer(interaction)
        published = await q.mark_published(self.bot.db, event.id, coc.version)
        if published is None:
            raise UserError(_("This event is already published."))
        await self._bring_up_to_date(published, channel_id)
        refreshed = await q.get_event(self.bot.db, event.guild_id, event.id)
        assert refreshed is not None
        link = _message_link(refreshed)
        await reply(
            interaction,
            _("Published: {link}", link=link or f"<#{channel_id}>"),
        )

    async def _bring_up_to_date(
        self, event: q.Event, channel_id: int, *, tell: bool = True
    ) -> None:
        """Make the announcement, Discord event and reminders match a published event.

        Each step is idempotent (outbox key, stored ids, job keys), so running it
        again after a crash finishes the work without doubling anything.
        """
        coc = load_code_of_conduct()
        counts = await q.rsvp_counts(self.bot.db, event.id)
        if event.message_id is None:
            with guild_language():
                embed = event_embed(event, counts, coc)
                view = rsvp_view(event, counts)
            delivery = await self.bot.outbox.send(
                f"events:announce:{event.id}",
                channel_id,
                guild_id=event.guild_id,
                embed=embed,
                view=view,
            )
            if delivery.channel_id is not None and delivery.message_id is not None:
                await q.set_announcement(
                    self.bot.db, event.id, delivery.channel_id, delivery.message_id
                )
        if event.scheduled_event_id is None:
            await self._create_scheduled_event(event, tell=tell)
        await self._schedule_reminders(event)

    async def _schedule_reminders(self, event: q.Event) -> None:
        for plan in reminder_plan(event.id, event.starts_at, utcnow()):
            await self.bot.schedule(
                plan.kind,
                plan.key,
                plan.due_at,
                guild_id=event.guild_id,
                payload={"event_id": event.id, "starts_at": to_ts(event.starts_at)},
            )

    async def _create_scheduled_event(
        self, event: q.Event, *, tell: bool = True
    ) -> None:
        """Adopt or create the event's Discord event (see bot.happenings).

        Nothing retries inside a member's action: trouble is told at once.
        """

        async def record(scheduled_event_id: int) -> None:
            await q.set_scheduled_event(self.bot.db, event.id, scheduled_event_id)

        async def taken(scheduled_event_id: int) -> bool:
            return await q.scheduled_event_taken(
                self.bot.db, event.guild_id, scheduled_event_id
            )

        def told(
            trouble: happenings.Trouble, error: discord.HTTPException | None
        ) -> str:
            return event_trouble_text(event, trouble, error)

        await happenings.adopt_or_create(
            self.bot,
            event.guild_id,
            happenings.EventPlan(
                name=event.title,
                start=event.starts_at,
                end=event.ends_at,
                description=event.description,
                location=event.location,
            ),
            record=record,
            taken=taken,
            retry=False,
            tell=told if tell else None,
        )

    # -- RSVPs --------------------------------------------------------------------------------
    async def rsvp(self, interaction: Interaction, event_id: int, state: Rsvp) -> None:
        assert interaction.guild_id is not None
        event = await q.get_event(self.bot.db, interaction.guild_id, event_id)
        if event is None or event.cancelled:
            raise UserError(_("This event was cancelled: RSVPs are closed."))
        if not event.published:
            raise UserError(_("This event is not published yet."))
        if event.ends_at <= utcnow():
            raise UserError(_("This event is over."))
        await q.set_rsvp(self.bot.db, event.id, interaction.user.id, state)
        messages = {
            Rsvp.GOING: _(
                "You are going to {title}. See you there!", title=event.title
            ),
            Rsvp.MAYBE: _("You might go to {title}.", title=event.title),
            Rsvp.NOT_GOING: _("You are not going to {title}.", title=event.title),
        }
        await reply(interaction, messages[state])
        # After the answer: the edit is a Discord call, and the RSVP is already saved.
        await self._refresh_announcement(event)

    async def _refresh_announcement(self, event: q.Event) -> None:
        # The database stays the truth: a stale announcement refuses RSVPs.
        counts = await q.rsvp_counts(self.bot.db, event.id)
        with guild_language():
            embed = event_embed(event, counts, load_code_of_conduct())
            view = rsvp_view(event, counts)
        await happenings.refresh_post(
            self.bot,
            event.guild_id,
            event.channel_id,
            event.message_id,
            embed=embed,
            view=view,
        )

    # -- editing and cancelling ------------------------------------------------------------------
    async def _event_for_organiser(
        self, interaction: Interaction, event_id: int
    ) -> q.Event:
        """The event, if the member is its organiser or holds the organiser role."""
        assert interaction.guild_id is not None
        event = await q.get_event(self.bot.db, interaction.guild_id, event_id)
        if event is None:
            raise UserError(_("There is no event {id}.", id=event_id))
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if interaction.user.id != event.organiser_id and not has_role(
            interaction.user, settings, Role.ORGANISER
        ):
            raise NotAllowed(
                _("Only the event's organiser or an organiser can do that.")
            )
        return event

    @app_commands.command(name="edit")
    @app_commands.describe(
        event="The event to change",
        timezone="The timezone of the times in the form (default: the event's own)",
    )
    async def edit(
        self, interaction: Interaction, event: int, timezone: str | None = None
    ) -> None:
        """Change an event's details or time."""
        current = await self._event_for_organiser(interaction, event)
        if current.cancelled:
            raise UserError(_("This event was cancelled."))
        zone = parse_timezone(timezone).key if timezone else current.timezone
        defaults = {
            "title": current.title,
            "description": current.description,
            "start": local_input(current.starts_at, zone),
            "end": local_input(current.ends_at, zone),
            "location": current.location,
        }

        async def submitted(inner: Interaction, values: FormValues) -> None:
            await self._edit_submitted(inner, current.id, values, zone)

        await interaction.response.send_modal(
            EventForm(
                title=_("Edit event"),
                on_submit=submitted,
                defaults=defaults,
                timezone=zone,
            )
        )

    async def _edit_submitted(
        self, interaction: Interaction, event_id: int, values: FormValues, zone: str
    ) -> None:
        before = await self._event_for_organiser(interaction, event_id)
        if before.cancelled:
            raise UserError(_("This event was cancelled."))
        now = utcnow()
        draft = validate_event(
            values,
            kind=before.kind,
            timezone=zone,
            now=now,
            check_start_in_future=False,
        )
        time_changed = (draft.starts_at, draft.ends_at) != (
            before.starts_at,
            before.ends_at,
        )
        if time_changed and draft.starts_at <= now:
            raise UserError(_("The start time is in the past."))
        await defer(interaction)
        after = await q.update_event(self.bot.db, before.id, draft)
        if after.published:
            await self._refresh_announcement(after)
            await self._edit_scheduled_event(after)
            if time_changed:
                for prefix in reminder_prefixes(after.id):
                    await self.bot.scheduler.cancel_prefix(prefix)
                await self._schedule_reminders(after)
                await self._queue_notice(after, "time")
        await reply(
            interaction,
            _("Event {id} is updated.", id=after.id)
            + (
                "\n" + _("Members who are going will be told of the new time.")
                if time_changed and after.published
                else ""
            ),
            embed=event_embed(after, None, None),
        )

    async def _edit_scheduled_event(self, event: q.Event) -> None:
        found = await self._fetch_scheduled_event(event)
        if found is None:
            if event.published:
                await self._create_scheduled_event(event)
            return
        try:
            await found.edit(
                name=clip(event.title, 100),
                description=clip(event.description, 1000),
                start_time=event.starts_at,
                end_time=event.ends_at,
                location=clip(event.location, 100),
            )
        except discord.HTTPException as error:
            log.warning("could not edit the Discord event of %s: %s", event.id, error)

    async def _fetch_scheduled_event(
        self, event: q.Event
    ) -> discord.ScheduledEvent | None:
        found = await happenings.fetch_event(
            self.bot, event.guild_id, event.scheduled_event_id
        )
        if found is None and event.scheduled_event_id is not None:
            if self.bot.get_guild(event.guild_id) is not None:
                # Deleted on Discord: forget it, so an edit makes a new one.
                await q.set_scheduled_event(self.bot.db, event.id, None)
        return found

    @app_commands.command(name="cancel")
    @app_commands.describe(event="The event to cancel")
    async def cancel(self, interaction: Interaction, event: int) -> None:
        """Cancel an event and tell the members who are going."""
        current = await self._event_for_organiser(interaction, event)
        if current.cancelled:
            raise UserError(_("This event is already cancelled."))
        await defer(interaction)
        cancelled = await q.cancel_event(self.bot.db, current.id)
        if cancelled is None:
            raise UserError(_("This event is already cancelled."))
        for prefix in reminder_prefixes(cancelled.id):
            await self.bot.scheduler.cancel_prefix(prefix)
        await self._refresh_announcement(cancelled)
        found = await self._fetch_scheduled_event(cancelled)
        if found is not None:
            try:
                if found.status is discord.EventStatus.scheduled:
                    await found.cancel()
                elif found.status is discord.EventStatus.active:
                    # Already under way (started in Discord): it ends now.
                    await found.end()
            except discord.HTTPException:
                try:
                    await found.delete()
                except discord.HTTPException as error:
                    log.warning("could not cancel the Discord event: %s", error)
        if current.published:
            await self._queue_notice(cancelled, "cancelled")
        await reply(interaction, _("Event {id} is cancelled.", id=cancelled.id))

    async def _queue_notice(self, event: q.Event, change: str) -> None:
        """Tell Going members of a change, once, through a job (survives restarts)."""
        await self.bot.schedule(
            "events.notify",
            f"events:notify:{event.id}:{event.revision}:{change}",
            utcnow(),
            guild_id=event.guild_id,
            payload={
                "event_id": event.id,
                "revision": event.revision,
                "change": change,
            },
        )

    @edit.autocomplete("event")
    @cancel.autocomplete("event")
    async def _own_event_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._event_choices(interaction, current, drafts=True)

    @edit.autocomplete("timezone")
    async def _edit_timezone_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _timezones(current)

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
        assert interaction.guild_id is not None
        listing = await self.list_page(interaction.guild_id, page)
        if listing is None:
            await reply(interaction, _("No upcoming events."))
            return
        embed, shown = listing
        await reply(
            interaction,
            embed=embed,
            view=PagesView(self, interaction.user.id, shown)
            if shown.count > 1
            else None,
        )

    async def list_page(
        self, guild_id: int, requested: int
    ) -> tuple[discord.Embed, Page] | None:
        """One page of upcoming events, or ``None`` when there are none."""
        now = utcnow()
        total = await q.count_upcoming(self.bot.db, guild_id, now)
        if total == 0:
            return None
        shown = page_of(requested, total)
        events = await q.upcoming(
            self.bot.db, guild_id, now, limit=shown.limit, offset=shown.offset
        )
        lines = [
            _(
                "**{id}** · {title} · {kind} · {start} ({relative})",
                id=e.id,
                title=quote(e.title),
                kind=kind_label(e.kind),
                start=discord_timestamp(e.starts_at, "f"),
                relative=discord_timestamp(e.starts_at, "R"),
            )
            for e in events
        ]
        footer = _(
            "Page {page} of {pages}. {total}",
            page=shown.number,
            pages=shown.count,
            total=ngettext("{count} upcoming event", "{count} upcoming events", total),
        )
        embed = discord.Embed(title=_("Upcoming events"), description="\n".join(lines))
        embed.set_footer(text=footer)
        return embed, shown

    @app_commands.command(name="info")
    @app_commands.describe(event="The event to show")
    async def info(self, interaction: Interaction, event: int) -> None:
        """Show an event's details and attendance."""
        assert interaction.guild_id is not None
        found = await q.get_event(self.bot.db, interaction.guild_id, event)
        if found is None or found.state == "draft":
            raise UserError(_("There is no event {id}.", id=event))
        counts = await q.rsvp_counts(self.bot.db, found.id)
        mine = await q.rsvp_of(self.bot.db, found.id, interaction.user.id)
        text = _("Your answer: {answer}", answer=rsvp_label(mine)) if mine else None
        link = _message_link(found)
        if link:
            text = f"{text}\n{link}" if text else link
        await reply(
            interaction,
            text,
            embed=event_embed(found, counts, load_code_of_conduct()),
        )

    @info.autocomplete("event")
    async def _info_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._event_choices(interaction, current, drafts=False)

    @app_commands.command(name="calendar")
    async def calendar(self, interaction: Interaction) -> None:
        """Get the upcoming events as a calendar file (.ics)."""
        assert interaction.guild is not None
        entries = await calendar_source(self.bot, interaction.guild.id)
        data = to_ics(entries, _("{server} events", server=interaction.guild.name))
        await reply(
            interaction,
            ngettext(
                "{count} event. Import the file into your calendar app; importing "
                "it again updates the events.",
                "{count} events. Import the file into your calendar app; importing "
                "it again updates the events.",
                len(entries),
            ),
            file=discord.File(io.BytesIO(data), filename="events.ics"),
        )

    @app_commands.command(name="reminders")
    async def reminders(self, interaction: Interaction) -> None:
        """Turn the reminder DM before events you are going to off or on."""
        assert interaction.guild_id is not None
        opted_out = await q.toggle_reminder_optout(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        if opted_out:
            await reply(
                interaction,
                _("You will no longer get a DM the day before events you go to."),
            )
        else:
            await reply(
                interaction,
                _("You will get a DM the day before events you go to."),
            )

    # -- scheduled work -----------------------------------------------------------------------
    async def _current_for_job(self, job: Job) -> q.Event | None:
        """The event a reminder is for, if it still starts when the job was planned."""
        if job.guild_id is None:
            return None
        event = await q.get_event(
            self.bot.db, job.guild_id, int(job.payload["event_id"])
        )
        if event is None or not event.published:
            return None
        if to_ts(event.starts_at) != int(job.payload["starts_at"]):
            return None  # moved: the reminder for the new time is its own job
        if event.starts_at <= utcnow():
            return None  # the bot was down past the start: a reminder is pointless
        return event

    async def _remind_dm(self, job: Job) -> None:
        event = await self._current_for_job(job)
        if event is None:
            return
        members = await q.going_members(self.bot.db, event.id, skip_opted_out=True)
        link = _message_link(event)
        text = _(
            "Reminder: {title} starts {relative} ({start}).\nWhere: {where}",
            title=event.title,
            relative=discord_timestamp(event.starts_at, "R"),
            start=discord_timestamp(event.starts_at, "F"),
            where=event.location,
        )
        if link:
            text += "\n" + link
        text += "\n" + _("Turn these DMs off with /event reminders.")
        start = to_ts(event.starts_at)
        for user_id in members:
            await self.bot.outbox.send_dm(
                f"events:remind24:{event.id}:{start}:{user_id}",
                user_id,
                guild_id=event.guild_id,
                content=text,
            )

    async def _remind_channel(self, job: Job) -> None:
        event = await self._current_for_job(job)
        if event is None or event.channel_id is None:
            return
        link = _message_link(event)
        text = _(
            "Starting {relative}: **{title}** ({kind}). Where: {where}",
            relative=discord_timestamp(event.starts_at, "R"),
            title=quote(event.title),
            kind=kind_label(event.kind),
            where=event.location if is_url(event.location) else quote(event.location),
        )
        if link:
            text += "\n" + link
        await self.bot.outbox.send(
            f"events:remind1:{event.id}:{to_ts(event.starts_at)}",
            event.channel_id,
            guild_id=event.guild_id,
            content=text,
        )

    async def _notify(self, job: Job) -> None:
        if job.guild_id is None:
            return
        event = await q.get_event(
            self.bot.db, job.guild_id, int(job.payload["event_id"])
        )
        if event is None:
            return
        change = str(job.payload["change"])
        revision = int(job.payload["revision"])
        if change == "cancelled":
            text = _(
                "{title}, which you were going to, is cancelled.", title=event.title
            )
        else:
            text = _(
                "{title}, which you are going to, has a new time: {start} to {end}.",
                title=event.title,
                start=discord_timestamp(event.starts_at, "F"),
                end=discord_timestamp(event.ends_at, "F"),
            )
        link = _message_link(event)
        if link:
            text += "\n" + link
        for user_id in await q.going_members(
            self.bot.db, event.id, skip_opted_out=False
        ):
            await self.bot.outbox.send_dm(
                f"events:{change}:{event.id}:{revision}:{user_id}",
                user_id,
                guild_id=event.guild_id,
                content=text,
            )


def event_trouble_text(
    event: q.Event, trouble: happenings.Trouble, error: discord.HTTPException | None
) -> str:
    """Why the event has no Discord event, for the organisers."""
    if trouble is happenings.Trouble.FORBIDDEN:
        return _(
            "I could not create the Discord event for {title} (I need the "
            "Manage Events permission). The announcement is posted.",
            title=event.title,
        )
    if trouble is happenings.Trouble.FULL:
        return _(
            "I could not create the Discord event for {title}: the server already "
            "has {limit} active events, Discord's limit. The announcement is posted.",
            title=event.title,
            limit=happenings.ACTIVE_EVENTS_LIMIT,
        )
    # An outage: editing the event (/event edit) creates it then.
    return _(
        "I could not create the Discord event for {title}: Discord "
        "had a problem ({status}). The announcement is posted; "
        "/event edit tries the Discord event again.",
        title=event.title,
        status=str(error.status if error is not None else ""),
    )


def _timezones(current: str) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name, value=name)
        for name in timezones.choices(current)
    ]


def _message_link(event: q.Event) -> str | None:
    if event.channel_id is None or event.message_id is None:
        return None
    return (
        f"https://discord.com/channels/{event.guild_id}/"
        f"{event.channel_id}/{event.message_id}"
    )


async def calendar_source(bot: PalletsBot, guild_id: int) -> list[CalendarEntry]:
    """Published (and cancelled, marked) events for the community calendar."""
    events = await q.calendar_events(bot.db, guild_id, utcnow() - CALENDAR_PAST)
    entries = []
    for event in events:
        description = event.description
        link = _message_link(event)
        if link:
            description = f"{description}\n\n{link}".strip()
        entries.append(
            CalendarEntry(
                uid=make_uid("event", event.id, guild_id),
                summary=event.title,
                start=event.starts_at,
                end=event.ends_at,
                description=description,
                location=event.location,
                url=event.location if is_url(event.location) else (link or ""),
                cancelled=event.cancelled,
                sequence=event.revision,
                last_modified=event.updated_at,
            )
        )
    return entries
