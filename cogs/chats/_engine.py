"""The timed life of a chat: plan, open (event + announcement), remind, end.

Every occurrence's timed work is keyed ``chats:occ:<id>:r<revision>:<what>``; a
reschedule bumps the revision and cancels the old keys, so a reminder for the old
time can never fire. Sends go through the outbox, Discord events are recorded in the
occurrence row before anything else looks for them, so a restart at any moment
neither doubles nor loses anything.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot import happenings
from bot.calendar import CalendarEntry
from bot.calendar import make_uid
from bot.clock import discord_timestamp
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.guilds import Channel
from bot.i18n import _
from bot.i18n import guild_language
from bot.i18n import ngettext
from bot.safety import clip
from bot.safety import quote
from bot.safety import THREAD_NAME_LIMIT
from bot.scheduler import Job
from bot.scheduler import MAX_ATTEMPTS
from cogs.chats import _logic as logic
from cogs.chats import _queries as q
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Proposal
from cogs.chats._queries import Series

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

OPEN = "chats.open"
REMIND = "chats.remind"
END = "chats.end"
#: Ending (completing the event, closing votes, planning the next) must happen even
#: after a long outage.
END_CATCH_UP = timedelta(days=60)


def job_prefix(occ: Occurrence) -> str:
    return f"chats:occ:{occ.id}:"


def job_key(occ: Occurrence, what: str) -> str:
    return f"chats:occ:{occ.id}:r{occ.revision}:{what}"


def where(series: Series) -> str:
    if series.location_kind == "external":
        return series.location_url or ""
    return f"<#{series.channel_id}>"


class ChatEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(OPEN, self.on_open)
        self.bot.scheduler.register(REMIND, self.on_remind)
        self.bot.scheduler.register(END, self.on_end, catch_up=END_CATCH_UP)

    def unregister(self) -> None:
        for kind in (OPEN, REMIND, END):
            self.bot.scheduler.unregister(kind)

    # -- planning ---------------------------------------------------------------------
    async def ensure_next(self, series: Series) -> Occurrence | None:
        """Give an active series its next occurrence, with its timed work."""
        if series.paused:
            return None
        current = await q.upcoming(self.db, series.id)
        if current is not None:
            return current
        after = utcnow()
        last = await q.last_slot(self.db, series.id)
        if last is not None and from_ts(last) > after:
            after = from_ts(last)
        start = series.recurrence.next_after(after)
        ends = start + timedelta(minutes=series.duration_minutes)
        occ = await q.place_occurrence(self.db, series, to_ts(start), to_ts(ends))
        await self.schedule_work(series, occ)
        return occ

    async def schedule_work(self, series: Series, occ: Occurrence) -> None:
        now = utcnow()
        planned = logic.plan(
            occ.start, occ.end, series.lead_days, series.reminder_hours
        )
        payload = {"occurrence": occ.id, "revision": occ.revision}
        if occ.status == "planned":
            await self.bot.schedule(
                OPEN,
                job_key(occ, "open"),
                max(planned.open_at, now),
                guild_id=occ.guild_id,
                payload=payload,
                catch_up=max(occ.start - planned.open_at, timedelta(minutes=1)),
            )
        for hours, due in planned.reminders:
            if due <= now:
                continue  # a reminder for a time already past is not a reminder
            await self.bot.schedule(
                REMIND,
                job_key(occ, f"remind:{hours}"),
                due,
                guild_id=occ.guild_id,
                payload={**payload, "hours": hours},
                catch_up=max(occ.start - due, timedelta(minutes=1)),
            )
        await self.bot.schedule(
            END, job_key(occ, "end"), occ.end, guild_id=occ.guild_id, payload=payload
        )

    async def cancel_work(self, occ: Occurrence) -> None:
        await self.bot.scheduler.cancel_prefix(job_prefix(occ))

    async def _current(self, job: Job) -> tuple[Series, Occurrence] | None:
        occ = await q.occurrence(self.db, int(job.payload["occurrence"]))
        if occ is None or occ.revision != int(job.payload["revision"]):
            return None
        series = await q.series_by_id(self.db, occ.series_id)
        if series is None:
            return None
        return series, occ

    # -- opening -----------------------------------------------------------------------
    async def on_open(self, job: Job) -> None:
        found = await self._current(job)
        if found is None or not found[1].upcoming:
            return
        await self.open(*found, last_try=job.attempts >= MAX_ATTEMPTS)

    async def open(
        self, series: Series, occ: Occurrence, *, last_try: bool = False
    ) -> None:
        # The announcement is what members rely on: Discord trouble with the event
        # retries the job while it may, then lets the announcement go.
        await self.create_event(series, occ, retry=not last_try)
        occ = await q.occurrence(self.db, occ.id) or occ
        settings = await self.bot.guild_config.get(occ.guild_id)
        channel_id = settings.channel(Channel.ANNOUNCEMENTS)
        if channel_id is None:
            await self.bot.notices.post(
                occ.guild_id,
                _(
                    "The chat {name} could not be announced: no announcements channel is set.",
                    name=series.name,
                ),
            )
            return
        from cogs.chats._views import announcement_view

        embed = await self.announcement_embed(series, occ)
        delivery = await self.bot.outbox.send(
            f"chats:occ:{occ.id}:announce",
            channel_id,
            guild_id=occ.guild_id,
            embed=embed,
            view=announcement_view(occ),
        )
        if delivery.message_id is not None and delivery.channel_id is not None:
            await q.set_announcement(
                self.db, occ.id, delivery.channel_id, delivery.message_id
            )

    async def create_event(
        self, series: Series, occ: Occurrence, *, retry: bool = False
    ) -> None:
        """Adopt or create the occurrence's Discord event (see bot.happenings)."""
        if occ.event_id is not None:
            return
        with guild_language():
            description = _(
                "Community chat. Propose topics and vote in the announcement."
            )
        plan = happenings.EventPlan(
            name=series.name,
            start=occ.start,
            end=occ.end,
            description=description,
            location=series.location_url or "",
            channel_id=None
            if series.location_kind == "external"
            else series.channel_id or 0,
            stage=series.location_kind == "stage",
        )

        async def record(event_id: int) -> None:
            await q.set_event(self.db, occ.id, event_id)

        async def taken(event_id: int) -> bool:
            return await q.event_taken(self.db, occ.guild_id, event_id)

        def tell(
            trouble: happenings.Trouble, error: discord.HTTPException | None
        ) -> str:
            return event_trouble_text(series, trouble, error)

        await happenings.adopt_or_create(
            self.bot,
            occ.guild_id,
            plan,
            record=record,
            taken=taken,
            retry=retry,
            tell=tell,
        )

    async def _event(self, occ: Occurrence) -> discord.ScheduledEvent | None:
        return await happenings.fetch_event(self.bot, occ.guild_id, occ.event_id)

    # -- the announcement ------------------------------------------------------------------
    async def announcement_embed(
        self, series: Series, occ: Occurrence
    ) -> discord.Embed:
        proposals = await q.proposals(self.db, occ.id)
        interest = await q.interest_count(self.db, occ.id)
        with guild_language():
            return build_announcement(series, occ, proposals, interest)

    async def refresh_announcement(self, occ_id: int) -> None:
        """Bring the announcement in line with the occurrence (agenda, time, state)."""
        occ = await q.occurrence(self.db, occ_id)
        if occ is None or occ.announcement_message_id is None:
            return
        series = await q.series_by_id(self.db, occ.series_id)
        if series is None:
            return
        from cogs.chats._views import announcement_view

        await happenings.refresh_post(
            self.bot,
            occ.guild_id,
            occ.announcement_channel_id,
            occ.announcement_message_id,
            embed=await self.announcement_embed(series, occ),
            view=announcement_view(occ) if occ.upcoming else None,
        )

    # -- reminders ---------------------------------------------------------------------------
    async def on_remind(self, job: Job) -> None:
        found = await self._current(job)
        if found is None or not found[1].upcoming:
            return
        series, occ = found
        hours = int(job.payload["hours"])
        action = logic.reminder_action(job.late, utcnow(), occ.start)
        if action is logic.ReminderAction.MISSED:
            log.warning("reminder %s missed: chat %s already started", job.key, occ.id)
            return
        late = action is logic.ReminderAction.SEND_LATE
        if late and await self._later_reminder_due(series, occ, hours):
            # Back after downtime with several reminders overdue: the nearest one
            # says it all; two identical late reminders in a row would be noise.
            log.info("reminder %s superseded by a later one also due", job.key)
            return
        settings = await self.bot.guild_config.get(occ.guild_id)
        channel_id = settings.channel(Channel.ANNOUNCEMENTS)
        text = reminder_text(series, occ, late=late)
        key = job_key(occ, f"remind:{hours}")
        refused: discord.HTTPException | None = None
        if channel_id is not None:
            try:
                await self.bot.outbox.send(
                    key, channel_id, guild_id=occ.guild_id, content=text
                )
            except (discord.Forbidden, discord.NotFound) as error:
                # A lost channel must not cost members their DMs: send them, then
                # fail the job with the refusal so organisers hear of it.
                refused = error
        failed = 0
        for user_id in await q.interested(self.db, occ.id):
            delivery = await self.bot.outbox.send_dm(
                f"{key}:dm:{user_id}", user_id, guild_id=occ.guild_id, content=text
            )
            if delivery.failed:
                failed += 1
        if failed:
            log.info(
                "%d reminder DMs for chat %s could not be delivered", failed, occ.id
            )
        if refused is not None:
            raise refused

    async def _later_reminder_due(
        self, series: Series, occ: Occurrence, hours: int
    ) -> bool:
        """Whether a reminder closer to the start is also due and still to run."""
        now = now_ts()
        for other in series.reminder_hours:
            if other >= hours:
                continue
            row = await self.bot.scheduler.get(job_key(occ, f"remind:{other}"))
            if (
                row is not None
                and row["state"] in ("pending", "running")
                and row["due_at"] <= now
            ):
                return True
        return False

    # -- the end ------------------------------------------------------------------------------
    async def on_end(self, job: Job) -> None:
        found = await self._current(job)
        if found is None or not found[1].upcoming:
            return
        series, occ = found
        await self.complete_event(occ, last_try=job.attempts >= MAX_ATTEMPTS)
        await q.set_status(self.db, occ.id, "done")
        await self.refresh_announcement(occ.id)
        fresh = await q.series_by_id(self.db, series.id)
        if fresh is not None:
            await self.ensure_next(fresh)

    async def complete_event(self, occ: Occurrence, *, last_try: bool = False) -> None:
        event = await self._event(occ)
        if event is None:
            return
        try:
            if event.status is discord.EventStatus.scheduled:
                event = await event.start()
            if event.status is discord.EventStatus.active:
                await event.end()
        except discord.HTTPException as error:
            # Discord trouble retries the end while it may; then the chat is closed
            # and the next one planned without it: the series must not stop.
            happenings.retry_or_give_up(error, retry=not last_try)
            log.info("could not complete event %s: %s", event.id, error)

    async def cancel_event(self, occ: Occurrence) -> None:
        event = await self._event(occ)
        if event is None or event.status is not discord.EventStatus.scheduled:
            return
        with contextlib.suppress(discord.NotFound):  # already gone: nothing to cancel
            await event.cancel()

    # -- organiser actions ----------------------------------------------------------------------
    async def skip(self, series: Series, occ: Occurrence) -> Occurrence | None:
        await self.cancel_work(occ)
        await q.set_status(self.db, occ.id, "skipped")
        await self.cancel_event(occ)
        await self.refresh_announcement(occ.id)
        return await self.ensure_next(series)

    async def reschedule(
        self, series: Series, occ: Occurrence, start: datetime
    ) -> Occurrence:
        await self.cancel_work(occ)
        moved = await q.move_occurrence(
            self.db,
            occ.id,
            starts_at=to_ts(start),
            ends_at=to_ts(start + timedelta(minutes=series.duration_minutes)),
            slot_at=occ.slot_at,
        )
        await self.schedule_work(series, moved)
        event = await self._event(moved)
        if event is not None and event.status is discord.EventStatus.scheduled:
            await event.edit(start_time=moved.start, end_time=moved.end)
        await self.refresh_announcement(moved.id)
        return moved

    async def pause(self, series: Series) -> Occurrence | None:
        """Pause; return the announced occurrence that still takes place, if any."""
        occ = await q.upcoming(self.db, series.id)
        await q.update_series(self.db, series.id, paused=1)
        if occ is None:
            return None
        if occ.status == "planned":
            await self.cancel_work(occ)
            await q.set_status(self.db, occ.id, "paused")
            return None
        return occ

    async def resume(self, series: Series) -> Occurrence | None:
        fresh = await q.update_series(self.db, series.id, paused=0)
        return await self.ensure_next(fresh)

    async def delete(self, series: Series) -> None:
        for occ in await q.all_occurrences(self.db, series.id):
            await self.cancel_work(occ)
            if occ.upcoming:
                await self.cancel_event(occ)
        await q.delete_series(self.db, series.id)

    async def replan(self, series: Series) -> Occurrence | None:
        """After an edit: move a not-yet-announced occurrence to the new rule."""
        occ = await q.upcoming(self.db, series.id)
        if occ is None:
            return await self.ensure_next(series)
        if occ.status != "planned":
            return occ
        await self.cancel_work(occ)
        after = utcnow()
        closed = await q.last_closed_slot(self.db, series.id)
        if closed is not None and from_ts(closed) > after:
            after = from_ts(closed)
        start = series.recurrence.next_after(after)
        moved = await q.move_occurrence(
            self.db,
            occ.id,
            starts_at=to_ts(start),
            ends_at=to_ts(start + timedelta(minutes=series.duration_minutes)),
            slot_at=to_ts(start),
        )
        await self.schedule_work(series, moved)
        return moved

    # -- calendar ---------------------------------------------------------------------------------
    async def calendar_entries(self, guild_id: int) -> list[CalendarEntry]:
        entries: list[CalendarEntry] = []
        now = now_ts()
        for series in await q.all_series(self.db, guild_id):
            known: set[int] = set()
            for occ in await q.all_occurrences(self.db, series.id):
                if occ.ends_at < now or occ.status in ("done", "paused"):
                    continue
                known.add(occ.slot_at)
                entries.append(
                    calendar_entry(series, occ.slot_at, occ.start, occ.end, occ)
                )
            if series.paused:
                continue
            for start in series.recurrence.occurrences(utcnow(), 3):
                if to_ts(start) in known:
                    continue
                end = start + timedelta(minutes=series.duration_minutes)
                entries.append(calendar_entry(series, to_ts(start), start, end, None))
        return entries


def calendar_entry(
    series: Series,
    slot: int,
    start: datetime,
    end: datetime,
    occ: Occurrence | None,
) -> CalendarEntry:
    url = series.location_url if series.location_kind == "external" else ""
    return CalendarEntry(
        uid=make_uid("chat", f"{series.id}-{slot}", series.guild_id),
        summary=series.name,
        start=start,
        end=end,
        location=url or "",
        url=url or "",
        cancelled=occ is not None and occ.status == "skipped",
        sequence=occ.revision if occ else 0,
    )


# -- texts (called in the language of the place they are posted) ------------------------------
def when_text(occ: Occurrence) -> str:
    return _(
        "{time} ({relative})",
        time=discord_timestamp(occ.starts_at, "F"),
        relative=discord_timestamp(occ.starts_at, "R"),
    )


def agenda_lines(proposals: list[Proposal], size: int = logic.AGENDA_SIZE) -> list[str]:
    by_id = {p.id: p for p in proposals}
    lines = []
    topics = logic.agenda((p.topic for p in proposals), size)
    for index, topic in enumerate(topics, start=1):
        votes = ngettext("{count} vote", "{count} votes", topic.votes)
        marker = _("(pinned) ") if topic.pinned else ""
        lines.append(
            _(
                "{index}. {marker}{title}: {votes}",
                index=index,
                marker=marker,
                title=quote(by_id[topic.id].title),
                votes=votes,
            )
        )
    return lines


def build_announcement(
    series: Series, occ: Occurrence, proposals: list[Proposal], interest: int
) -> discord.Embed:
    if occ.status == "skipped":
        title = _("Skipped: {name}", name=series.name)
        description = _("This chat will not take place. See you at the next one.")
    elif occ.status == "done":
        title = _("Ended: {name}", name=series.name)
        description = _("This chat has ended; topic voting is closed.")
    else:
        title = series.name
        description = _(
            "Community chat on {when}.\nWhere: {where}",
            when=when_text(occ),
            where=where(series),
        )
    embed = discord.Embed(title=title, description=description)
    lines = agenda_lines(proposals)
    embed.add_field(
        name=_("Agenda"),
        value="\n".join(lines)
        if lines
        else _("No topics yet: press Propose a topic to add one."),
        inline=False,
    )
    embed.set_footer(
        text=ngettext(
            "{count} member interested", "{count} members interested", interest
        )
    )
    return embed


def event_trouble_text(
    series: Series, trouble: happenings.Trouble, error: discord.HTTPException | None
) -> str:
    """Why the chat has no Discord event, for the organisers."""
    if trouble is happenings.Trouble.FORBIDDEN:
        return _(
            "No Discord event was created for the chat {name}: I lack the Manage Events permission.",
            name=series.name,
        )
    if trouble is happenings.Trouble.FULL:
        return _(
            "No Discord event was created for the chat {name}: the server already has {limit} active events, Discord's limit. The announcement still goes out.",
            name=series.name,
            limit=happenings.ACTIVE_EVENTS_LIMIT,
        )
    if trouble is happenings.Trouble.NO_CHANNEL:
        return _(
            "No Discord event was created for the chat {name}: its channel was deleted. Edit the series to choose another.",
            name=series.name,
        )
    return _(
        "No Discord event was created for the chat {name}: Discord said {status}. The announcement still goes out.",
        name=series.name,
        status=str(error.status if error is not None else ""),
    )


def reminder_text(series: Series, occ: Occurrence, *, late: bool) -> str:
    if late:
        return _(
            "Sorry, this reminder is late (the bot was offline): {name} starts {relative}, at {time}. Where: {where}",
            name=series.name,
            relative=discord_timestamp(occ.starts_at, "R"),
            time=discord_timestamp(occ.starts_at, "t"),
            where=where(series),
        )
    return _(
        "Reminder: {name} starts {relative}, at {time}. Where: {where}",
        name=series.name,
        relative=discord_timestamp(occ.starts_at, "R"),
        time=discord_timestamp(occ.starts_at, "t"),
        where=where(series),
    )


def notes_thread_name(series: Series, occ: Occurrence) -> str:
    return clip(
        _(
            "Notes: {name} {date}",
            name=series.name,
            date=occ.start.strftime("%Y-%m-%d"),
        ),
        THREAD_NAME_LIMIT,
    )
