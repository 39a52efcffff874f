"""The Discord side of events: publishing, the Discord event, reminders, notices.

Publishing is a row first (``published``), then an announcement (through the outbox),
a Discord scheduled event (adopted or created, see :mod:`bot.happenings`) and
reminder jobs, each idempotent; :meth:`EventEngine.recover` runs them again at
start-up for any published event a crash interrupted. Reminder keys carry the start
time, so moving an event plans fresh reminders while one already sent for the old
time is never repeated.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot import happenings
from bot import i18n
from bot.calendar import CalendarEntry
from bot.calendar import make_uid
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import guild_language
from bot.permissions import has_role
from bot.permissions import require_role
from bot.reach import Fallback
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clip
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT
from bot.scheduler import Job
from bot.ui import answer
from bot.ui import hold
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.events import _queries as q
from cogs.events import _render as render
from cogs.events._logic import ATTENDEES_PAGE
from cogs.events._logic import CodeOfConduct
from cogs.events._logic import DM_REMINDERS
from cogs.events._logic import EventOptions
from cogs.events._logic import is_url
from cogs.events._logic import load_checklist
from cogs.events._logic import load_code_of_conduct
from cogs.events._logic import next_date
from cogs.events._logic import PAGE_SIZE
from cogs.events._logic import POST_REMINDERS
from cogs.events._logic import Problem
from cogs.events._logic import read_feedback
from cogs.events._logic import read_link
from cogs.events._logic import Reminder
from cogs.events._logic import reminders_due
from cogs.events._logic import Rsvp
from cogs.events._logic import run_checklist
from cogs.events._queries import Event
from cogs.events._views import AcceptCodeView
from cogs.events._views import APPROVE
from cogs.events._views import ATTENDEES
from cogs.events._views import DECLINE
from cogs.events._views import FEEDBACK
from cogs.events._views import feedback_form
from cogs.events._views import feedback_view
from cogs.events._views import FormValues
from cogs.events._views import LINKS
from cogs.events._views import links_form
from cogs.events._views import links_view
from cogs.events._views import LIST
from cogs.events._views import PUBLISH
from cogs.events._views import reason_form
from cogs.events._views import review_view
from cogs.events._views import RSVP
from cogs.events._views import rsvp_view
from cogs.events._views import SUBMIT
from cogs.events._views import Then

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

REMIND_DM = "events.remind_dm"
REMIND_CHANNEL = "events.remind_channel"
NOTIFY = "events.notify"
AFTER = "events.after"
KINDS = {Reminder.DM: REMIND_DM, Reminder.CHANNEL: REMIND_CHANNEL}
#: Ended events stay in the calendar file this long, so apps keep them.
CALENDAR_PAST = timedelta(days=30)


# -- keys: one function per key; nothing else writes one --------------------------------------
def _reminder_prefix(which: str, event_id: int) -> str:
    return f"events:{which}:{event_id}:"


def remind_dm_key(
    event_id: int, starts_at: datetime, minutes: int = DM_REMINDERS[0]
) -> str:
    """The job sending the DMs ``minutes`` before an event starting at ``starts_at``.

    The day-before DM keeps the key it always had, so jobs planned before events
    chose their reminders are still found (and cancelled) by it.
    """
    if minutes == DM_REMINDERS[0]:
        return f"{_reminder_prefix('remind24', event_id)}{to_ts(starts_at)}"
    return f"{_reminder_prefix('remind', event_id)}dm{minutes}:{to_ts(starts_at)}"


def remind_dm_send_key(
    event_id: int, starts_at: datetime, user_id: int, minutes: int = DM_REMINDERS[0]
) -> str:
    """One member's reminder DM (an outbox send)."""
    return f"{remind_dm_key(event_id, starts_at, minutes)}:{user_id}"


def remind_channel_key(
    event_id: int, starts_at: datetime, minutes: int = POST_REMINDERS[0]
) -> str:
    """The job (and its outbox send) posting the reminder ``minutes`` before."""
    if minutes == POST_REMINDERS[0]:
        return f"{_reminder_prefix('remind1', event_id)}{to_ts(starts_at)}"
    return f"{_reminder_prefix('remind', event_id)}post{minutes}:{to_ts(starts_at)}"


def reminder_prefixes(event_id: int) -> tuple[str, ...]:
    """What the reminder jobs of an event start with, whatever its start time."""
    return (
        _reminder_prefix("remind24", event_id),
        _reminder_prefix("remind1", event_id),
        _reminder_prefix("remind", event_id),
    )


def discord_event_key(event_id: int) -> str:
    """The Discord event of an event (an outbox send, with its start)."""
    return f"events:discord-event:{event_id}"


def announce_key(event_id: int) -> str:
    """The announcement of an event (an outbox send)."""
    return f"events:announce:{event_id}"


def notify_key(event_id: int, revision: int, change: str) -> str:
    """The job telling members going of a change (``time`` or ``cancelled``)."""
    return f"events:notify:{event_id}:{revision}:{change}"


def notify_send_key(change: str, event_id: int, revision: int, user_id: int) -> str:
    """One member's DM about a change (an outbox send)."""
    return f"events:{change}:{event_id}:{revision}:{user_id}"


def promoted_key(event_id: int, entry: int, user_id: int) -> str:
    """Telling a member their wait is over: one per time they waited (an outbox send)."""
    return f"events:promoted:{event_id}:{entry}:{user_id}"


def waiting_key(event_id: int, entry: int, user_id: int) -> str:
    """Telling a member whose Discord Interested put them in line (an outbox send)."""
    return f"events:waiting:{event_id}:{entry}:{user_id}"


def after_key(event_id: int, ends_at: datetime) -> str:
    """The job run when an event ends: the next date, links, feedback."""
    return f"events:after:{event_id}:{to_ts(ends_at)}"


def ask_links_key(event_id: int) -> str:
    """Asking the organiser for the recording and slides (an outbox send)."""
    return f"events:ask-links:{event_id}"


def ask_feedback_key(event_id: int, user_id: int | None = None) -> str:
    """Asking a member who went for feedback (an outbox send; without a member:
    the group, for the mention of those whose DMs are closed)."""
    base = f"events:ask-feedback:{event_id}"
    return base if user_id is None else f"{base}:{user_id}"


def links_key(event_id: int, user_id: int, revision: str) -> str:
    """Telling a member who went that links were added (once per set of links)."""
    return f"events:links:{event_id}:{revision}:{user_id}"


def review_key(event_id: int, round_: int) -> str:
    """The post asking organisers to review a member's event (an outbox send)."""
    return f"events:review:{event_id}:{round_}"


def decision_key(event_id: int, review: str, round_: int) -> str:
    """Telling the member the organisers' decision (an outbox send)."""
    return f"events:decision:{event_id}:{review}:{round_}"


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    kind: str
    key: str
    due_at: datetime
    minutes: int = 0


def reminder_plan(
    event_id: int,
    starts_at: datetime,
    now: datetime,
    *,
    dm: tuple[int, ...] = DM_REMINDERS,
    post: tuple[int, ...] = POST_REMINDERS,
) -> list[ReminderPlan]:
    """The reminder jobs still worth scheduling for an event starting at ``starts_at``."""
    keys = {Reminder.DM: remind_dm_key, Reminder.CHANNEL: remind_channel_key}
    return [
        ReminderPlan(
            KINDS[reminder],
            keys[reminder](event_id, starts_at, minutes),
            due_at,
            minutes,
        )
        for reminder, minutes, due_at in reminders_due(starts_at, now, dm=dm, post=post)
    ]


class EventEngine:
    """Everything the events job does on Discord, and its timed work."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        scheduler = self.bot.scheduler
        scheduler.register(REMIND_DM, self.on_remind_dm, catch_up=timedelta(hours=12))
        scheduler.register(
            REMIND_CHANNEL, self.on_remind_channel, catch_up=timedelta(minutes=50)
        )
        scheduler.register(NOTIFY, self.on_notify, catch_up=timedelta(days=2))
        scheduler.register(AFTER, self.on_after, catch_up=timedelta(days=7))
        self.bot.actions.register(PUBLISH, self.publish)
        self.bot.actions.register(RSVP, self.rsvp)
        self.bot.actions.register(SUBMIT, self.submit)
        self.bot.actions.register(APPROVE, self.approve)
        self.bot.actions.register(DECLINE, self.decline)
        self.bot.actions.register(LINKS, self.ask_for_links)
        self.bot.actions.register(FEEDBACK, self.ask_for_feedback)
        self.bot.actions.register_pages(LIST, self.list_page)
        self.bot.actions.register_pages(ATTENDEES, self.attendees_page)
        self.bot.calendar_sources.register("events", self.calendar_source)

    def unregister(self) -> None:
        for kind in (REMIND_DM, REMIND_CHANNEL, NOTIFY, AFTER):
            self.bot.scheduler.unregister(kind)
        self.bot.actions.unregister(
            PUBLISH, RSVP, LIST, ATTENDEES, SUBMIT, APPROVE, DECLINE, LINKS, FEEDBACK
        )
        self.bot.calendar_sources.unregister("events")

    # -- who may do what -------------------------------------------------------------------
    def code_of_conduct(self) -> CodeOfConduct:
        return load_code_of_conduct()

    async def accepted(self, interaction: Interaction, coc: CodeOfConduct) -> bool:
        assert interaction.guild_id is not None
        return await q.has_accepted(
            self.db, interaction.guild_id, interaction.user.id, coc.version
        )

    async def accept_code(self, interaction: Interaction, coc: CodeOfConduct) -> None:
        """Record that the member accepted ``coc`` (its version, now)."""
        assert interaction.guild_id is not None
        await q.accept(self.db, interaction.guild_id, interaction.user.id, coc.version)

    async def ask_code(
        self,
        interaction: Interaction,
        then: Then,
    ) -> bool:
        """Ask for the code of conduct unless accepted; return whether it was asked."""
        coc = self.code_of_conduct()
        if await self.accepted(interaction, coc):
            return False
        await reply(
            interaction,
            render.code_of_conduct_text(coc),
            view=AcceptCodeView(coc, accept=self.accept_code, then=then),
        )
        return True

    async def events_channel(self, guild_id: int) -> int:
        settings = await self.bot.guild_config.get(guild_id)
        channel_id = settings.channel(Channel.EVENTS)
        if channel_id is None:
            raise Refused(Problem.NO_EVENTS_CHANNEL)
        return channel_id

    async def for_organiser(self, interaction: Interaction, event_id: int) -> Event:
        """The event, if the member is its organiser or holds the organiser role."""
        assert interaction.guild_id is not None
        event = await q.get_event(self.db, interaction.guild_id, event_id)
        if event is None:
            raise Refused(Problem.NO_EVENT, id=event_id)
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if interaction.user.id != event.organiser_id and not has_role(
            interaction.user, settings, Role.ORGANISER
        ):
            raise NotAllowed(render.not_organiser())
        return event

    async def is_organiser(self, interaction: Interaction) -> bool:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        return has_role(interaction.user, settings, Role.ORGANISER)

    # -- publishing ---------------------------------------------------------------------------
    async def publish(self, interaction: Interaction, event_id: int) -> None:
        """The Publish button: announce, create the Discord event, plan reminders.

        Publishing speaks for the community, as /event create does: the organiser
        role is checked again at the click (it may have been lost since the preview).
        """
        await require_role(interaction, Role.ORGANISER)
        event = await self.for_organiser(interaction, event_id)
        if event.published:
            raise Refused(Problem.ALREADY_PUBLISHED)
        if event.cancelled:
            raise Refused(Problem.WAS_CANCELLED)
        if not await self.is_organiser(interaction):
            raise Refused(Problem.NEEDS_APPROVAL)
        if event.starts_at <= utcnow():
            raise Refused(Problem.START_PASSED)
        channel_id = await self.events_channel(event.guild_id)

        async def publish_after(target: Interaction) -> None:
            await self.publish(target, event_id)

        if await self.ask_code(interaction, publish_after):
            return
        await defer(interaction)
        coc = self.code_of_conduct()
        published = await q.mark_published(self.db, event.id, coc.version)
        if published is None:
            raise Refused(Problem.ALREADY_PUBLISHED)
        await self.bring_up_to_date(published, channel_id)
        refreshed = await q.get_event(self.db, event.guild_id, event.id)
        assert refreshed is not None
        link = render.message_link(refreshed) or f"<#{channel_id}>"
        await reply(interaction, render.published_text(link))

    async def bring_up_to_date(
        self, event: Event, channel_id: int, *, tell: bool = True
    ) -> None:
        """Make the announcement, Discord event and reminders match a published event.

        Each step is idempotent (outbox key, stored ids, job keys), so running it
        again after a crash finishes the work without doubling anything. ``tell``:
        whether a refused Discord event is told to the organisers (a retry at
        start-up only logs what they were told when it was published).
        """
        if event.message_id is None:
            counts = await q.rsvp_counts(self.db, event.id)
            with guild_language():
                embed = render.event_embed(event, counts, self.code_of_conduct())
                view = rsvp_view(event, counts)
            delivery = await self.bot.outbox.send(
                announce_key(event.id),
                channel_id,
                guild_id=event.guild_id,
                embed=embed,
                view=view,
            )
            if delivery.channel_id is not None and delivery.message_id is not None:
                await q.set_announcement(
                    self.db, event.id, delivery.channel_id, delivery.message_id
                )
        if event.scheduled_event_id is None:
            await self.create_discord_event(event, tell=tell)
        await self.schedule_reminders(event)
        await self.schedule_after(event)

    async def schedule_after(self, event: Event) -> None:
        """When it ends: the next date of a series, links and feedback asked for."""
        await self.bot.schedule(
            AFTER,
            after_key(event.id, event.ends_at),
            event.ends_at,
            guild_id=event.guild_id,
            payload={"event_id": event.id, "ends_at": to_ts(event.ends_at)},
        )

    async def recover(self) -> None:
        """Finish publishing that a crash interrupted (each step is idempotent)."""
        for event in await q.published_unfinished(self.db, utcnow()):
            settings = await self.bot.guild_config.get(event.guild_id)
            channel_id = settings.channel(Channel.EVENTS)
            if channel_id is None:
                continue
            language = await self.bot.guild_language(event.guild_id)
            try:
                with i18n.scope(language, language):
                    await self.bring_up_to_date(event, channel_id, tell=False)
            except discord.HTTPException:
                log.warning("could not finish publishing event %s", event.id)

    async def schedule_reminders(self, event: Event) -> None:
        plans = reminder_plan(
            event.id,
            event.starts_at,
            utcnow(),
            dm=event.dm_reminders,
            post=event.post_reminders,
        )
        for plan in plans:
            # Late by more than part of its lead, a reminder no longer helps: a day-
            # before DM may come 12 hours late, an hour-before post 50 minutes late.
            share = 0.5 if plan.kind == REMIND_DM else 5 / 6
            await self.bot.schedule(
                plan.kind,
                plan.key,
                plan.due_at,
                guild_id=event.guild_id,
                payload={
                    "event_id": event.id,
                    "starts_at": to_ts(event.starts_at),
                    "minutes": plan.minutes,
                },
                catch_up=timedelta(minutes=plan.minutes * share),
            )

    async def cancel_reminders(self, event: Event) -> None:
        for prefix in reminder_prefixes(event.id):
            await self.bot.scheduler.cancel_prefix(prefix)

    # -- the Discord event ----------------------------------------------------------------------
    async def create_discord_event(self, event: Event, *, tell: bool = True) -> None:
        """Adopt or create the event's Discord event (see :mod:`bot.happenings`).

        Nothing retries inside a member's action: trouble is told at once.
        """

        async def record(scheduled_event_id: int) -> None:
            await q.set_scheduled_event(self.db, event.id, scheduled_event_id)

        async def taken(scheduled_event_id: int) -> bool:
            return await q.scheduled_event_taken(
                self.db, event.guild_id, scheduled_event_id
            )

        def told(
            trouble: happenings.Trouble, error: discord.HTTPException | None
        ) -> str:
            return render.event_trouble_text(event, trouble, error)

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
            key=discord_event_key(event.id),
            record=record,
            taken=taken,
            retry=False,
            tell=told if tell else None,
        )

    async def discord_event(self, event: Event) -> discord.ScheduledEvent | None:
        found = await happenings.fetch_event(
            self.bot, event.guild_id, event.scheduled_event_id
        )
        if found is None and event.scheduled_event_id is not None:
            if self.bot.get_guild(event.guild_id) is not None:
                # Deleted on Discord: forget it, so an edit makes a new one.
                await q.set_scheduled_event(self.db, event.id, None)
                await happenings.forget(self.bot, discord_event_key(event.id))
        return found

    async def edit_discord_event(self, event: Event) -> None:
        found = await self.discord_event(event)
        if found is None:
            if event.published:
                await self.create_discord_event(event)
            return
        try:
            await found.edit(
                name=clip(event.title, EVENT_NAME_LIMIT),
                description=clip(event.description, EVENT_DESCRIPTION_LIMIT),
                start_time=event.starts_at,
                end_time=event.ends_at,
                location=clip(event.location, happenings.LOCATION_LIMIT),
            )
        except discord.HTTPException as error:
            log.warning("could not edit the Discord event of %s: %s", event.id, error)

    # -- changes organisers make -----------------------------------------------------------------
    async def edited(self, before: Event, after: Event) -> bool:
        """Bring a published event's posts in line after an edit; return whether
        the members going are told of a new time."""
        if not after.published:
            return False
        await self.refresh_announcement(after)
        await self.edit_discord_event(after)
        if (after.starts_at, after.ends_at) == (before.starts_at, before.ends_at):
            return False
        await self.cancel_reminders(after)
        await self.schedule_reminders(after)
        await self.schedule_after(after)
        await self.queue_notice(after, "time")
        return True

    async def cancelled(self, event: Event, *, was_published: bool) -> None:
        """Take a cancelled event's reminders, buttons and Discord event away."""
        await self.cancel_reminders(event)
        await self.refresh_announcement(event)
        found = await self.discord_event(event)
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
        if was_published:
            await self.queue_notice(event, "cancelled")

    async def queue_notice(self, event: Event, change: str) -> None:
        """Tell Going members of a change, once, through a job (survives restarts)."""
        await self.bot.schedule(
            NOTIFY,
            notify_key(event.id, event.revision, change),
            utcnow(),
            guild_id=event.guild_id,
            payload={
                "event_id": event.id,
                "revision": event.revision,
                "change": change,
            },
        )

    # -- RSVPs, the waitlist and the announcement ------------------------------------------------
    async def rsvp(self, interaction: Interaction, event_id: int, state: Rsvp) -> None:
        """An RSVP button: save the member's answer, then redraw the counts.

        Going to a full event puts the member in line; leaving gives the place to
        the first in line, who is told.
        """
        assert interaction.guild_id is not None
        event = await q.get_event(self.db, interaction.guild_id, event_id)
        if event is None or event.cancelled:
            raise Refused(Problem.RSVPS_CLOSED)
        if not event.published:
            raise Refused(Problem.NOT_PUBLISHED)
        if event.ends_at <= utcnow():
            raise Refused(Problem.OVER)
        if state is not Rsvp.GOING:
            _, via_discord, _ = await q.standing(self.db, event.id, interaction.user.id)
            if via_discord:
                # One list: Discord's Interested says going until it is un-marked.
                raise Refused(Problem.INTERESTED_ON_DISCORD)
        answer = await q.answer(
            self.db, event.id, interaction.user.id, state, capacity=event.capacity
        )
        if answer.state == "waiting":
            await reply(interaction, render.waiting_text(event, answer.position or 0))
        else:
            await reply(interaction, render.rsvp_text(state, event))
        # After the answer: the edit is a Discord call, and the RSVP is already saved.
        await self.after_answer(event, answer)

    async def discord_interest(
        self, guild_id: int, scheduled_event_id: int, user_id: int, added: bool
    ) -> None:
        """A member marked or un-marked Interested on an event's Discord event: it
        counts as Going (or as leaving), so the bot's list and Discord's are one."""
        event = await q.event_by_scheduled(self.db, guild_id, scheduled_event_id)
        if event is None or not event.published or event.ends_at <= utcnow():
            return
        answer = await q.answer(
            self.db,
            event.id,
            user_id,
            Rsvp.GOING if added else None,
            capacity=event.capacity,
            via_discord=True,
        )
        if answer.state == "waiting" and answer.entry is not None:
            # They believe they are going: say they are in line, once.
            with guild_language():
                text = render.waiting_dm(event, answer.position or 0)
            await self.bot.reach.dm(
                waiting_key(event.id, answer.entry, user_id),
                user_id,
                guild_id=event.guild_id,
                content=text,
            )
        await self.after_answer(event, answer)

    async def after_answer(self, event: Event, answer: q.Answer) -> None:
        """Tell members who got a place, then redraw the counts."""
        for user_id, entry in answer.promoted:
            await self.tell_promoted(event, user_id, entry)
        if answer.changed or answer.promoted:
            await self.refresh_announcement(event)

    async def tell_promoted(self, event: Event, user_id: int, entry: int) -> None:
        """A place freed up and is theirs: a DM, or a mention under the announcement
        when their DMs are closed (``bot.reach``)."""
        with guild_language():
            text = render.promoted_dm(event)
            public = render.promoted_mention(event)
        await self.bot.reach.dm(
            promoted_key(event.id, entry, user_id),
            user_id,
            guild_id=event.guild_id,
            content=text,
            fallback=Fallback(event.channel_id, public),
        )

    async def change_options(self, event: Event, options: EventOptions) -> Event:
        """New reminders or capacity: plan the reminders again; more places go to
        the waitlist in order."""
        if options == event.options:
            return event
        after = await q.set_options(self.db, event.id, options)
        if not after.published:
            return after
        if (after.dm_reminders, after.post_reminders) != (
            event.dm_reminders,
            event.post_reminders,
        ):
            # A cancelled job is never revived, so only the dropped ones are
            # cancelled; the kept ones stay as they are.
            kept = {
                plan.key
                for plan in reminder_plan(
                    after.id,
                    after.starts_at,
                    utcnow(),
                    dm=after.dm_reminders,
                    post=after.post_reminders,
                )
            }
            dropped = reminder_plan(
                event.id,
                event.starts_at,
                utcnow(),
                dm=event.dm_reminders,
                post=event.post_reminders,
            )
            for plan in dropped:
                if plan.key not in kept:
                    await self.bot.scheduler.cancel(plan.key)
            await self.schedule_reminders(after)
        promoted = await q.fill_places(self.db, after.id, after.capacity)
        await self.after_answer(after, q.Answer("none", promoted=promoted))
        return after

    async def refresh_announcement(self, event: Event) -> None:
        # The database stays the truth: a stale announcement refuses RSVPs.
        counts = await q.rsvp_counts(self.db, event.id)
        over = event.ends_at <= utcnow()
        following = await q.next_in_series(self.db, event) if over else None
        with guild_language():
            embed = render.event_embed(
                event, counts, self.code_of_conduct(), following=following
            )
            # Over: no more answers, so no buttons.
            view = None if over else rsvp_view(event, counts)
        await happenings.refresh_post(
            self.bot,
            event.guild_id,
            event.channel_id,
            event.message_id,
            embed=embed,
            view=view,
        )

    # -- reading ------------------------------------------------------------------------------
    async def may_see_attendees(self, interaction: Interaction, event: Event) -> None:
        """Organisers, the event's organiser, and members who answered Going or Maybe
        or wait in line see who is going; others are refused."""
        if interaction.user.id == event.organiser_id:
            return
        settings = await self.bot.guild_config.get(event.guild_id)
        if has_role(interaction.user, settings, Role.ORGANISER):
            return
        state, _, _ = await q.standing(self.db, event.id, interaction.user.id)
        if state not in ("going", "maybe", "waiting"):
            raise NotAllowed(render.not_attending())

    async def attendees_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of who is going to event ``arg`` (``/event attendees``);
        the right to see it is checked on every page."""
        assert interaction.guild_id is not None
        event = (
            await q.get_event(self.db, interaction.guild_id, int(arg))
            if arg.isdecimal()
            else None
        )
        if event is None or event.state == "draft":
            raise Refused(Problem.NO_EVENT, id=arg)
        await self.may_see_attendees(interaction, event)
        found = await q.attendees(self.db, event.id)
        entries = [
            (kind, user_id, place)
            for kind, members in (
                ("going", found.going),
                ("maybe", found.maybe),
                ("waiting", found.waiting),
            )
            for place, user_id in enumerate(members, start=1)
        ]
        number, count, offset = page_bounds(number, len(entries), ATTENDEES_PAGE)
        counts = await q.rsvp_counts(self.db, event.id)
        embed = render.attendees_embed(
            event, counts, entries[offset : offset + ATTENDEES_PAGE]
        )
        return Page(embed, number, count)

    async def list_page(self, interaction: Interaction, number: int, arg: str) -> Page:
        """Page ``number`` of the guild's upcoming events (``/event list``)."""
        assert interaction.guild_id is not None
        now = utcnow()
        events, total = await q.upcoming_page(
            self.db,
            interaction.guild_id,
            now,
            limit=PAGE_SIZE,
            offset=number * PAGE_SIZE,
        )
        page, count, offset = page_bounds(number, total, PAGE_SIZE)
        if page != number:  # fewer events than when the buttons were drawn
            events, total = await q.upcoming_page(
                self.db, interaction.guild_id, now, limit=PAGE_SIZE, offset=offset
            )
            page, count, offset = page_bounds(page, total, PAGE_SIZE)
        return Page(render.list_embed(events, total, page, count), page, count)

    async def calendar_source(
        self, bot: PalletsBot, guild_id: int
    ) -> list[CalendarEntry]:
        """Published (and cancelled, marked) events for the community calendar."""
        events = await q.calendar_events(self.db, guild_id, utcnow() - CALENDAR_PAST)
        entries = []
        for event in events:
            link = render.message_link(event)
            entries.append(
                CalendarEntry(
                    uid=make_uid("event", event.id, guild_id),
                    summary=event.title,
                    start=event.starts_at,
                    end=event.ends_at,
                    description=event.description,
                    location=event.location,
                    url=event.location if is_url(event.location) else (link or ""),
                    cancelled=event.cancelled,
                    sequence=event.revision,
                    last_modified=event.updated_at,
                    category=render.kind_label(event.kind),
                    discord_url=link or "",
                )
            )
        return entries

    # -- members' events: submitted, approved or declined ---------------------------------------
    async def submit(self, interaction: Interaction, event_id: int) -> None:
        """A member's Submit for review: the draft waits for an organiser, who sees
        it in the log channel with the checklist and Approve / Decline."""
        event = await self.for_organiser(interaction, event_id)
        if event.published:
            raise Refused(Problem.ALREADY_PUBLISHED)
        if event.cancelled:
            raise Refused(Problem.WAS_CANCELLED)
        if event.review == "pending":
            raise Refused(Problem.ALREADY_SUBMITTED)
        if event.starts_at <= utcnow():
            raise Refused(Problem.START_PASSED)
        await self.events_channel(event.guild_id)
        settings = await self.bot.guild_config.get(event.guild_id)
        log_channel = settings.channel(Channel.LOG)
        if log_channel is None:
            raise Refused(Problem.NO_REVIEW_CHANNEL)
        await defer(interaction)
        submitted = await q.submit(self.db, event.id)
        if submitted is None:
            raise Refused(Problem.ALREADY_SUBMITTED)
        checks = run_checklist(event.description, event.location, load_checklist())
        with guild_language():
            content = render.review_post(submitted, checks)
            embed = render.event_embed(submitted, None, None)
            view = review_view(submitted.id)
        await self.bot.outbox.send(
            review_key(submitted.id, submitted.revision),
            log_channel,
            guild_id=submitted.guild_id,
            content=content,
            embed=embed,
            view=view,
        )
        await reply(interaction, render.submitted_text())

    async def _pending(self, interaction: Interaction, event_id: int) -> Event:
        await require_role(interaction, Role.ORGANISER)
        assert interaction.guild_id is not None
        event = await q.get_event(self.db, interaction.guild_id, event_id)
        if event is None:
            raise Refused(Problem.NO_EVENT, id=event_id)
        if event.review != "pending" or event.state != "draft":
            raise Refused(Problem.NOT_PENDING)
        return event

    async def approve(self, interaction: Interaction, event_id: int) -> None:
        """An organiser approves a member's event: it is published as any other."""
        event = await self._pending(interaction, event_id)
        if event.starts_at <= utcnow():
            raise Refused(Problem.START_PASSED)
        channel_id = await self.events_channel(event.guild_id)
        await defer(interaction)
        decided = await q.decide(
            self.db, event.id, interaction.user.id, "approved", None
        )
        # The member accepted the code of conduct before writing it.
        published = (
            await q.mark_published(self.db, event.id, self.code_of_conduct().version)
            if decided
            else None
        )
        if published is None:
            raise Refused(Problem.NOT_PENDING)
        await self.bring_up_to_date(published, channel_id)
        refreshed = await q.get_event(self.db, event.guild_id, event.id)
        assert refreshed is not None
        link = render.message_link(refreshed) or f"<#{channel_id}>"
        with guild_language():
            text = render.approved_dm(refreshed, link)
            decided_text = render.review_decided(
                refreshed, interaction.user.id, approved=True
            )
        # Nothing private in it: the announcement is public.
        await self.bot.reach.dm(
            decision_key(event.id, "approved", event.revision),
            event.organiser_id,
            guild_id=event.guild_id,
            content=text,
            fallback=Fallback(refreshed.channel_id, text),
        )
        await self._close_review(interaction.message, decided_text)
        await reply(interaction, render.published_text(link))

    async def decline(self, interaction: Interaction, event_id: int) -> None:
        """An organiser declines a member's event, with a reason the member reads."""
        await self._pending(interaction, event_id)
        message = interaction.message

        async def submitted(inner: Interaction, values: FormValues) -> None:
            reason = values.get("reason", "").strip() or "-"
            await self._pending(inner, event_id)
            decided = await q.decide(
                self.db, event_id, inner.user.id, "declined", reason[:1000]
            )
            if decided is None:
                raise Refused(Problem.NOT_PENDING)
            with guild_language():
                text = render.declined_dm(decided)
                public = render.declined_mention(decided)
                decided_text = render.review_decided(
                    decided, inner.user.id, approved=False
                )
            settings = await self.bot.guild_config.get(decided.guild_id)
            await self.bot.reach.dm(
                decision_key(decided.id, "declined", decided.revision),
                decided.organiser_id,
                guild_id=decided.guild_id,
                content=text,
                fallback=Fallback(settings.channel(Channel.EVENTS), public),
            )
            await self._close_review(message, decided_text)
            await reply(inner, decided_text)

        await interaction.response.send_modal(reason_form(submitted))

    async def _close_review(self, message: discord.Message | None, text: str) -> None:
        """The review post says who decided, and loses its buttons."""
        if message is None:
            return
        try:
            await message.edit(content=clip(text, 2000), view=None)
        except discord.HTTPException as error:
            log.warning("could not close the review post: %s", error)

    # -- after the event --------------------------------------------------------------------------
    async def continue_series(self, event: Event) -> Event | None:
        """The next date of ``event``'s series, published now if not yet made."""
        if event.series_id is None:
            return None
        existing = await q.next_in_series(self.db, event)
        series = await q.get_series(self.db, event.series_id)
        if existing is not None or series is None or series.stopped:
            return existing
        settings = await self.bot.guild_config.get(event.guild_id)
        channel_id = settings.channel(Channel.EVENTS)
        if channel_id is None:
            return None
        start, end = next_date(
            series.rule, event.starts_at, event.ends_at - event.starts_at, utcnow()
        )
        following = await q.add_date(self.db, event, start, end)
        if not following.published:
            return None  # made before, then cancelled on its own
        await self.bring_up_to_date(following, channel_id, tell=False)
        return await q.get_event(self.db, event.guild_id, following.id)

    async def on_after(self, job: Job) -> None:
        """An event ended: its next date, the organiser asked for the recording
        and slides, the members who went asked for feedback."""
        if job.guild_id is None:
            return
        event = await q.get_event(self.db, job.guild_id, int(job.payload["event_id"]))
        if event is None or to_ts(event.ends_at) != int(job.payload["ends_at"]):
            return  # moved: the job for the new end is its own
        following = await self.continue_series(event)
        if not event.published:
            return
        await self.refresh_announcement(event)
        await self.bot.reach.dm(
            ask_links_key(event.id),
            event.organiser_id,
            guild_id=event.guild_id,
            content=render.ask_links_dm(event),
            view=links_view(event.id),
            fallback=Fallback(event.channel_id, render.ask_links_mention(event)),
        )
        unreachable = []
        for user_id in await q.going_members(self.db, event.id, skip_opted_out=False):
            delivery = await self.bot.reach.dm(
                ask_feedback_key(event.id, user_id),
                user_id,
                guild_id=event.guild_id,
                content=render.feedback_dm(event, following),
                view=feedback_view(event.id),
            )
            if delivery.failed is not None:
                unreachable.append(user_id)
        if unreachable:
            await self.bot.reach.mention(
                ask_feedback_key(event.id),
                unreachable,
                guild_id=event.guild_id,
                fallback=Fallback(event.channel_id, render.feedback_mention(event)),
            )

    async def ask_for_links(self, interaction: Interaction, event_id: int) -> None:
        """The organiser's form for the recording and slides links."""
        event = await self._ended(interaction, event_id, links=True)

        async def submitted(inner: Interaction, values: FormValues) -> None:
            await self.save_links(inner, event.id, values)

        await interaction.response.send_modal(links_form(submitted, event))

    async def save_links(
        self, interaction: Interaction, event_id: int, values: FormValues
    ) -> None:
        recording = read_link(values.get("recording", ""))
        slides = read_link(values.get("slides", ""))
        if recording is None and slides is None:
            raise Refused(Problem.NO_LINKS)
        event = await self._ended(interaction, event_id, links=True)
        await hold(interaction)
        after = await q.set_links(self.db, event.id, recording, slides)
        await self.refresh_announcement(after)
        with guild_language():
            text = render.links_dm(after)
        links = f"{after.recording_url or ''}|{after.slides_url or ''}"
        revision = str(zlib.crc32(links.encode()))
        # Members who went learn of the links once per set (DMs closed: the
        # announcement shows them).
        await self.bot.reach.dm_each(
            f"events:links:{after.id}:{revision}",
            [
                (links_key(after.id, user_id, revision), user_id)
                for user_id in await q.going_members(
                    self.db, after.id, skip_opted_out=True
                )
            ],
            guild_id=after.guild_id,
            content=text,
        )
        await answer(interaction, render.links_saved(after))

    async def _may_add_links(self, interaction: Interaction, event: Event) -> None:
        """The event's organiser (also from the DM asking them), or an organiser."""
        if interaction.user.id == event.organiser_id:
            return
        if interaction.guild_id is None or not await self.is_organiser(interaction):
            raise NotAllowed(render.not_organiser())

    async def _ended(
        self, interaction: Interaction, event_id: int, *, links: bool = False
    ) -> Event:
        """An event that took place; from a DM's button, found by its id alone.
        ``links``: only for those who may add its links (checked first)."""
        event = (
            await q.event_by_id(self.db, event_id)
            if interaction.guild_id is None
            else await q.get_event(self.db, interaction.guild_id, event_id)
        )
        if event is None or event.state == "draft":
            raise Refused(Problem.NO_EVENT, id=event_id)
        if links:
            await self._may_add_links(interaction, event)
        if event.ends_at > utcnow():
            raise Refused(Problem.NOT_OVER)
        return event

    async def ask_for_feedback(self, interaction: Interaction, event_id: int) -> None:
        """The feedback form, for members who were going."""
        event = await self._ended(interaction, event_id)
        if await q.rsvp_of(self.db, event.id, interaction.user.id) is not Rsvp.GOING:
            raise Refused(Problem.NOT_ATTENDED)

        async def submitted(inner: Interaction, values: FormValues) -> None:
            rating, comment = read_feedback(
                values.get("rating", ""), values.get("comment", "")
            )
            await q.save_feedback(self.db, event.id, inner.user.id, rating, comment)
            await reply(inner, render.feedback_thanks())

        await interaction.response.send_modal(feedback_form(submitted))

    # -- timed work ------------------------------------------------------------------------------
    async def _current_for_job(self, job: Job) -> Event | None:
        """The event a reminder is for, if it still starts when the job was planned."""
        if job.guild_id is None:
            return None
        event = await q.get_event(self.db, job.guild_id, int(job.payload["event_id"]))
        if event is None or not event.published:
            return None
        if to_ts(event.starts_at) != int(job.payload["starts_at"]):
            return None  # moved: the reminder for the new time is its own job
        if event.starts_at <= utcnow():
            return None  # the bot was down past the start: a reminder is pointless
        return event

    async def on_remind_dm(self, job: Job) -> None:
        event = await self._current_for_job(job)
        if event is None:
            return
        members = await q.going_members(self.db, event.id, skip_opted_out=True)
        text = render.reminder_dm(event)
        # Planned before events chose their reminders: the day-before DM.
        minutes = int(job.payload.get("minutes", DM_REMINDERS[0]))
        # Members whose DMs are closed are mentioned under the announcement instead.
        await self.bot.reach.dm_each(
            remind_dm_key(event.id, event.starts_at, minutes),
            [
                (
                    remind_dm_send_key(event.id, event.starts_at, user_id, minutes),
                    user_id,
                )
                for user_id in members
            ],
            guild_id=event.guild_id,
            content=text,
            fallback=Fallback(event.channel_id, text),
        )

    async def on_remind_channel(self, job: Job) -> None:
        event = await self._current_for_job(job)
        if event is None or event.channel_id is None:
            return
        minutes = int(job.payload.get("minutes", POST_REMINDERS[0]))
        await self.bot.outbox.send(
            remind_channel_key(event.id, event.starts_at, minutes),
            event.channel_id,
            guild_id=event.guild_id,
            content=render.reminder_post(event),
        )

    async def on_notify(self, job: Job) -> None:
        if job.guild_id is None:
            return
        event = await q.get_event(self.db, job.guild_id, int(job.payload["event_id"]))
        if event is None:
            return
        change = str(job.payload["change"])
        revision = int(job.payload["revision"])
        text = render.change_notice(event, change)
        members = await q.going_members(self.db, event.id, skip_opted_out=False)
        await self.bot.reach.dm_each(
            notify_key(event.id, revision, change),
            [
                (notify_send_key(change, event.id, revision, user_id), user_id)
                for user_id in members
            ],
            guild_id=event.guild_id,
            content=text,
            fallback=Fallback(event.channel_id, text),
        )
