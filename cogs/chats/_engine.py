"""The life of a chat: plan, open (event + announcement), remind, end; and what
members and organisers do to one (interest, topics, votes, notes, moves).

Every occurrence's timed work is keyed ``chats:occ:<id>:r<revision>:<what>``; a
reschedule bumps the revision and cancels the old keys, so a reminder for the old
time can never fire. Sends go through the outbox, Discord events are recorded in the
occurrence row before anything else looks for them (see :mod:`bot.happenings`), so a
restart at any moment neither doubles nor loses anything.
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
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import guild_language
from bot.permissions import has_role
from bot.permissions import require_role
from bot.reach import Fallback
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import MESSAGE_LIMIT
from bot.scheduler import Job
from bot.scheduler import Missed
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from bot.ui import show_page
from cogs.chats import _logic as logic
from cogs.chats import _queries as q
from cogs.chats import _render as render
from cogs.chats._logic import Problem
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Proposal
from cogs.chats._queries import Series
from cogs.chats._views import announcement_view
from cogs.chats._views import HISTORY
from cogs.chats._views import INTEREST
from cogs.chats._views import PIN
from cogs.chats._views import PIN_PICK
from cogs.chats._views import proposal_view
from cogs.chats._views import PROPOSE
from cogs.chats._views import ProposeModal
from cogs.chats._views import REMOVE
from cogs.chats._views import REMOVE_PICK
from cogs.chats._views import SERIES
from cogs.chats._views import TopicPinSelect
from cogs.chats._views import TopicRemoveSelect
from cogs.chats._views import TOPICS
from cogs.chats._views import VOTE

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

OPEN = "chats.open"
REMIND = "chats.remind"
END = "chats.end"
#: Ending (completing the event, closing votes, planning the next) must happen even
#: after a long outage.
END_CATCH_UP = timedelta(days=60)


# -- keys: one function per key; nothing else writes one --------------------------------------
def occurrence_prefix(occ: Occurrence) -> str:
    """What every timed job of an occurrence starts with, whatever its revision."""
    return f"chats:occ:{occ.id}:"


def _work_key(occ: Occurrence, what: str) -> str:
    return f"{occurrence_prefix(occ)}r{occ.revision}:{what}"


def open_key(occ: Occurrence) -> str:
    """The job that opens an occurrence: its Discord event and announcement."""
    return _work_key(occ, "open")


def remind_key(occ: Occurrence, hours: int) -> str:
    """The job (and its outbox post) reminding ``hours`` before the start."""
    return _work_key(occ, f"remind:{hours}")


def remind_dm_key(occ: Occurrence, hours: int, user_id: int) -> str:
    """One interested member's reminder DM (an outbox send)."""
    return f"{remind_key(occ, hours)}:dm:{user_id}"


def end_key(occ: Occurrence) -> str:
    """The job that ends an occurrence and plans the next."""
    return _work_key(occ, "end")


def discord_event_key(occ_id: int) -> str:
    """The Discord event of an occurrence (an outbox send, with its start)."""
    return f"chats:occ:{occ_id}:discord-event"


def announce_key(occ_id: int) -> str:
    """The announcement of an occurrence (an outbox send)."""
    return f"chats:occ:{occ_id}:announce"


def notes_key(occ: Occurrence, part: int = 0) -> str:
    """Part ``part`` of one revision of an occurrence's notes (an outbox send)."""
    key = f"chats:occ:{occ.id}:notes:{occ.notes_revision}"
    return f"{key}:{part + 1}" if part else key


def proposal_key(proposal_id: int) -> str:
    """The post of a proposed topic (an outbox send)."""
    return f"chats:proposal:{proposal_id}"


class ChatEngine:
    """Everything the chats job does on Discord, its timed work and its buttons."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(OPEN, self.on_open)
        self.bot.scheduler.register(REMIND, self.on_remind)
        self.bot.scheduler.register(END, self.on_end, catch_up=END_CATCH_UP)
        actions = self.bot.actions
        actions.register(INTEREST, self.toggle_interest)
        actions.register(PROPOSE, self.open_proposal_form)
        actions.register(VOTE, self.toggle_vote)
        actions.register(PIN, self.toggle_pin)
        actions.register(REMOVE, self.remove_topic)
        actions.register(PIN_PICK, self.pin_chosen)
        actions.register(REMOVE_PICK, self.remove_chosen)
        actions.register_pages(HISTORY, self.history_page)
        actions.register_pages(TOPICS, self.topics_page)
        actions.register_pages(SERIES, self.series_page)
        self.bot.calendar_sources.register("chats", self.calendar_source)

    def unregister(self) -> None:
        for kind in (OPEN, REMIND, END):
            self.bot.scheduler.unregister(kind)
        self.bot.actions.unregister(
            INTEREST,
            PROPOSE,
            VOTE,
            PIN,
            REMOVE,
            PIN_PICK,
            REMOVE_PICK,
            HISTORY,
            TOPICS,
            SERIES,
        )
        self.bot.calendar_sources.unregister("chats")

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
                open_key(occ),
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
                remind_key(occ, hours),
                due,
                guild_id=occ.guild_id,
                payload={**payload, "hours": hours},
                catch_up=max(occ.start - due, timedelta(minutes=1)),
            )
        await self.bot.schedule(
            END, end_key(occ), occ.end, guild_id=occ.guild_id, payload=payload
        )

    async def cancel_work(self, occ: Occurrence) -> None:
        await self.bot.scheduler.cancel_prefix(occurrence_prefix(occ))

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
        await self.open(*found, retry=happenings.may_retry(job))

    async def open(
        self, series: Series, occ: Occurrence, *, retry: bool = False
    ) -> None:
        # The announcement is what members rely on: Discord trouble with the event
        # retries the job while it may, then lets the announcement go.
        await self.create_event(series, occ, retry=retry)
        occ = await q.occurrence(self.db, occ.id) or occ
        settings = await self.bot.guild_config.get(occ.guild_id)
        channel_id = settings.channel(Channel.ANNOUNCEMENTS)
        if channel_id is None:
            await self.bot.notices.post(
                occ.guild_id, render.no_announcements_channel(series)
            )
            return
        delivery = await self.bot.outbox.send(
            announce_key(occ.id),
            channel_id,
            guild_id=occ.guild_id,
            embed=await self.announcement_embed(series, occ),
            view=announcement_view(occ),
        )
        if delivery.message_id is not None and delivery.channel_id is not None:
            await q.set_announcement(
                self.db, occ.id, delivery.channel_id, delivery.message_id
            )
        # Topics proposed before the announcement join it now, in its thread.
        waiting = [
            p for p in await q.proposals(self.db, occ.id) if p.message_id is None
        ]
        for proposal in waiting:
            await self.post_proposal(series, occ, proposal)
        if waiting:
            await self.refresh_announcement(occ.id)

    async def create_event(
        self, series: Series, occ: Occurrence, *, retry: bool = False
    ) -> None:
        """Adopt or create the occurrence's Discord event (see bot.happenings)."""
        if occ.event_id is not None:
            return
        with guild_language():
            description = render.event_description()
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
            return render.event_trouble_text(series, trouble, error)

        await happenings.adopt_or_create(
            self.bot,
            occ.guild_id,
            plan,
            key=discord_event_key(occ.id),
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
        following = None
        if not occ.upcoming:
            following = await q.upcoming(self.db, series.id)
        with guild_language():
            return render.announcement(series, occ, proposals, interest, following)

    async def refresh_announcement(self, occ_id: int) -> None:
        """Bring the announcement in line with the occurrence (agenda, time, state)."""
        occ = await q.occurrence(self.db, occ_id)
        if occ is None or occ.announcement_message_id is None:
            return
        series = await q.series_by_id(self.db, occ.series_id)
        if series is None:
            return
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
            raise Missed(f"chat {occ.id} had already started")
        late = action is logic.ReminderAction.SEND_LATE
        if late and await self._later_reminder_due(series, occ, hours):
            # Back after downtime with several reminders overdue: the nearest one
            # says it all; two identical late reminders in a row would be noise.
            # Recorded missed, not done: it was not sent, and is not counted as fired.
            raise Missed("superseded by a nearer reminder also due")
        settings = await self.bot.guild_config.get(occ.guild_id)
        channel_id = settings.channel(Channel.ANNOUNCEMENTS)
        text = render.reminder_text(series, occ, late=late)
        refused: discord.HTTPException | None = None
        if channel_id is not None:
            try:
                await self.bot.outbox.send(
                    remind_key(occ, hours),
                    channel_id,
                    guild_id=occ.guild_id,
                    content=text,
                )
            except (discord.Forbidden, discord.NotFound) as error:
                # A lost channel must not cost members their DMs: send them, then
                # fail the job with the refusal so organisers hear of it.
                refused = error
        # Members whose DMs are closed are mentioned in the chat's thread instead.
        unreachable = await self.bot.reach.dm_each(
            remind_key(occ, hours),
            [
                (remind_dm_key(occ, hours, user_id), user_id)
                for user_id in await q.interested(self.db, occ.id)
            ],
            guild_id=occ.guild_id,
            content=text,
            fallback=Fallback(None, text, where=lambda: self.chat_thread(series, occ)),
        )
        if unreachable:
            log.info(
                "%d reminder DMs for chat %s could not be delivered",
                len(unreachable),
                occ.id,
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
            row = await self.bot.scheduler.get(remind_key(occ, other))
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
        await self.complete_event(occ, retry=happenings.may_retry(job))
        await q.set_status(self.db, occ.id, "done")
        fresh = await q.series_by_id(self.db, series.id)
        if fresh is not None:
            await self.ensure_next(fresh)
        # After planning the next: the ended announcement says when it is.
        await self.refresh_announcement(occ.id)

    async def complete_event(self, occ: Occurrence, *, retry: bool = False) -> None:
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
            happenings.retry_or_give_up(error, retry=retry)
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
        following = await self.ensure_next(series)
        await self.refresh_announcement(occ.id)  # says when the next one is
        return following

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

    async def next_under(self, series: Series, values: dict[str, object]) -> datetime:
        """The next chat a series would have with the columns ``values``, as
        :meth:`replan` (or, after an announced chat, :meth:`ensure_next` when it
        ends) would plan it: an announced chat keeps its time."""
        after = utcnow()
        occ = await q.upcoming(self.db, series.id)
        if occ is not None and occ.status != "planned":
            after = max(after, occ.end)
        closed = await q.last_closed_slot(self.db, series.id)
        if closed is not None and from_ts(closed) > after:
            after = from_ts(closed)
        return logic.first_start(values, after)

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

    # -- notes ------------------------------------------------------------------------------------
    async def save_notes(
        self, interaction: Interaction, occurrence_id: int, text: str
    ) -> None:
        """The notes form: save, then post them in a thread on the announcement."""
        await require_role(interaction, Role.ORGANISER)
        cleaned = logic.check_text(text, logic.NOTES_LIMIT, required=True)
        occ = await q.occurrence(self.db, occurrence_id)
        series = await q.series_by_id(self.db, occ.series_id) if occ else None
        if occ is None or series is None:
            raise Refused(Problem.CHAT_GONE)
        await defer(interaction)  # opening a thread and posting is slow
        occ = await q.save_notes(self.db, occ.id, cleaned, interaction.user.id)
        target = await self._notes_target(series, occ)
        if target is not None:
            with guild_language():
                content = render.notes_post(series, occ, cleaned)
            # Notes may be longer than a message: posted in parts, never clipped.
            for n, part in enumerate(logic.split_message(content, MESSAGE_LIMIT)):
                await self.bot.outbox.send(
                    notes_key(occ, n), target, guild_id=occ.guild_id, content=part
                )
        await reply(interaction, render.notes_saved())

    async def _notes_target(self, series: Series, occ: Occurrence) -> int | None:
        """The chat's thread; the announcements channel when it has none."""
        thread_id = await self.chat_thread(series, occ)
        if thread_id is not None:
            return thread_id
        settings = await self.bot.guild_config.get(occ.guild_id)
        return settings.channel(Channel.ANNOUNCEMENTS)

    async def chat_thread(self, series: Series, occ: Occurrence) -> int | None:
        """The thread on the chat's announcement, opened once: its topics, its notes,
        and the members its reminders could not reach by DM. None before the
        announcement is posted."""
        occ = await q.occurrence(self.db, occ.id) or occ
        if occ.notes_thread_id is not None:
            return occ.notes_thread_id
        if occ.announcement_message_id is None or occ.announcement_channel_id is None:
            return None
        message = self.bot.get_partial_messageable(
            occ.announcement_channel_id, guild_id=occ.guild_id
        ).get_partial_message(occ.announcement_message_id)
        with guild_language():
            name = render.thread_name(series, occ)
        try:
            thread_id = (await message.create_thread(name=name)).id
        except discord.HTTPException as error:
            if error.status != 400:
                raise
            # opened before a crash, before its id was recorded: a thread started
            # from a message has that message's id
            thread_id = message.id
        await q.set_notes_thread(self.db, occ.id, thread_id)
        return thread_id

    # -- members: interest, topics, votes ---------------------------------------------------------
    async def _open_occurrence(self, occurrence_id: int) -> Occurrence:
        occ = await q.occurrence(self.db, occurrence_id)
        if occ is None or not occ.upcoming or occ.voting_closed:
            raise Refused(Problem.VOTING_CLOSED)
        return occ

    async def _live_proposal(self, proposal_id: int) -> Proposal:
        proposal = await q.proposal(self.db, proposal_id)
        if proposal is None or proposal.removed:
            raise Refused(Problem.TOPIC_REMOVED)
        return proposal

    async def toggle_interest(
        self, interaction: Interaction, occurrence_id: int
    ) -> None:
        """The Interested button."""
        occ = await self._open_occurrence(occurrence_id)
        now_in = await q.toggle_interest(self.db, occ.id, interaction.user.id)
        if now_in is None:
            raise Refused(Problem.INTERESTED_ON_DISCORD)
        series = await q.series_by_id(self.db, occ.series_id)
        reminded = series is not None and bool(series.reminder_hours)
        await reply(interaction, render.interest_changed(now_in, reminded=reminded))
        await self.refresh_announcement(occ.id)

    async def discord_interest(
        self, guild_id: int, event_id: int, user_id: int, added: bool
    ) -> None:
        """A member marked or un-marked Interested on a chat's Discord event: the
        bot's list follows, so there is one list."""
        occ = await q.occurrence_by_event(self.db, guild_id, event_id)
        if occ is None or not occ.upcoming or occ.voting_closed:
            return
        if await q.set_discord_interest(self.db, occ.id, user_id, added):
            await self.refresh_announcement(occ.id)

    async def open_proposal_form(
        self, interaction: Interaction, occurrence_id: int
    ) -> None:
        """The Propose a topic button."""
        occ = await self._open_occurrence(occurrence_id)
        await interaction.response.send_modal(
            ProposeModal(occ.id, on_submit=self.proposal_submitted)
        )

    async def proposal_submitted(
        self, interaction: Interaction, occurrence_id: int, title: str, details: str
    ) -> None:
        occ = await self._open_occurrence(occurrence_id)
        await self.propose(interaction, occ, title, details)

    async def propose(
        self, interaction: Interaction, occ: Occurrence, title: str, details: str
    ) -> None:
        """Add a member's topic and post it, with its vote button, in the chat's
        thread (once the chat is announced: until then it waits on the agenda)."""
        clean_title = logic.check_text(title, logic.TITLE_LIMIT, required=True)
        clean_details = logic.check_text(details, logic.DETAILS_LIMIT)
        if occ.voting_closed:
            raise Refused(Problem.VOTING_CLOSED)
        mine = await q.count_proposals_by(self.db, occ.id, interaction.user.id)
        if mine >= logic.PROPOSALS_PER_MEMBER:
            raise Refused(Problem.PROPOSALS_LIMIT)
        series = await q.series_by_id(self.db, occ.series_id)
        assert series is not None
        await defer(interaction)  # posting the topic is a Discord call
        proposal_id = await q.add_proposal(
            self.db, occ, interaction.user.id, clean_title, clean_details
        )
        proposal = await q.proposal(self.db, proposal_id)
        assert proposal is not None
        thread_id = await self.post_proposal(series, occ, proposal)
        await reply(interaction, render.proposed(occ, thread_id))
        await self.refresh_announcement(occ.id)

    async def post_proposal(
        self, series: Series, occ: Occurrence, proposal: Proposal
    ) -> int | None:
        """Post a topic in the thread on the chat's announcement, once; return the
        thread (None before the announcement, or when Discord refused: the topic is
        on the agenda all the same, and is posted when the chat opens)."""
        try:
            thread_id = await self.chat_thread(series, occ)
            if thread_id is None:
                return None
            with guild_language():
                content = render.proposal_post(
                    series,
                    occ,
                    f"<@{proposal.author_id}>",
                    proposal.title,
                    proposal.details,
                )
                view = proposal_view(proposal)
            delivery = await self.bot.outbox.send(
                proposal_key(proposal.id),
                thread_id,
                guild_id=occ.guild_id,
                content=content,
                view=view,
            )
        except discord.HTTPException as error:
            log.warning("could not post topic %s: %s", proposal.id, error)
            return None
        if delivery.message_id is not None and delivery.channel_id is not None:
            await q.set_proposal_message(
                self.db, proposal.id, delivery.channel_id, delivery.message_id
            )
        return thread_id

    async def toggle_vote(self, interaction: Interaction, proposal_id: int) -> None:
        """The Upvote button: count or withdraw the member's vote."""
        proposal = await self._live_proposal(proposal_id)
        await self._open_occurrence(proposal.occurrence_id)
        counted = await q.toggle_vote(self.db, proposal.id, interaction.user.id)
        fresh = await q.proposal(self.db, proposal.id)
        assert fresh is not None
        await interaction.response.edit_message(view=proposal_view(fresh))
        await reply(interaction, render.vote_changed(counted))
        await self.refresh_announcement(proposal.occurrence_id)

    async def toggle_pin(self, interaction: Interaction, proposal_id: int) -> None:
        """The Pin button (organisers): keep a topic at the top of the agenda."""
        await require_role(interaction, Role.ORGANISER)
        proposal = await self._live_proposal(proposal_id)
        await self._open_occurrence(proposal.occurrence_id)
        pinned = not proposal.pinned
        await q.set_proposal_flags(self.db, proposal.id, pinned=pinned)
        await reply(interaction, render.pin_changed(pinned))
        await self.refresh_announcement(proposal.occurrence_id)

    async def remove_topic(self, interaction: Interaction, proposal_id: int) -> None:
        """The Remove button (organisers): take a topic off the agenda."""
        await require_role(interaction, Role.ORGANISER)
        proposal = await self._live_proposal(proposal_id)
        await q.set_proposal_flags(self.db, proposal.id, removed=True)
        with guild_language():
            content = render.removed_post()
        await interaction.response.edit_message(content=content, view=None)
        await reply(interaction, render.topic_removed())
        await self.refresh_announcement(proposal.occurrence_id)

    # -- lists that page ------------------------------------------------------------------------
    async def history_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the guild's past chats (``/chat history``)."""
        assert interaction.guild_id is not None
        now = now_ts()
        total = await q.count_history(self.db, interaction.guild_id, now)
        number, count, offset = page_bounds(number, total, logic.HISTORY_PAGE)
        past = await q.history(
            self.db, interaction.guild_id, now, logic.HISTORY_PAGE, offset
        )
        return Page(render.history_page(past), number, count)

    async def topics_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the topics of occurrence ``arg`` (``/chat topics``);
        organisers get menus to pin and remove the page's topics while voting is open."""
        occ, proposals = (
            await q.occurrence_and_proposals(self.db, int(arg))
            if arg.isdecimal()
            else (None, [])
        )
        if occ is None or occ.guild_id != interaction.guild_id:
            occ, proposals = None, []  # a custom_id from another server: nothing
        number, count, offset = page_bounds(number, len(proposals), logic.TOPICS_PAGE)
        embed = render.topics_page(occ, proposals, offset)
        if occ is None or not occ.upcoming or occ.voting_closed or not proposals:
            return Page(embed, number, count)
        settings = await self.bot.guild_config.get(occ.guild_id)
        if not has_role(interaction.user, settings, Role.ORGANISER):
            return Page(embed, number, count)
        by_id = {p.id: p for p in proposals}
        shown = [
            by_id[topic.id]
            for topic in logic.rank(p.topic for p in proposals)[
                offset : offset + logic.TOPICS_PAGE
            ]
        ]
        with guild_language():
            items = (TopicPinSelect(occ.id, shown), TopicRemoveSelect(occ.id, shown))
        return Page(embed, number, count, items)

    async def _chosen(
        self, interaction: Interaction, occurrence_id: int, values: list[str]
    ) -> tuple[Occurrence, list[Proposal]]:
        """The live topics an organiser chose in a menu under /chat topics."""
        await require_role(interaction, Role.ORGANISER)
        occ = await self._open_occurrence(occurrence_id)
        if occ.guild_id != interaction.guild_id:
            raise Refused(Problem.VOTING_CLOSED)
        chosen = []
        for value in values:
            proposal = (
                await q.proposal(self.db, int(value)) if value.isdecimal() else None
            )
            if (
                proposal is not None
                and not proposal.removed
                and proposal.occurrence_id == occ.id
            ):
                chosen.append(proposal)
        if not chosen:
            raise Refused(Problem.TOPIC_REMOVED)
        return occ, chosen

    async def pin_chosen(
        self, interaction: Interaction, occurrence_id: int, values: list[str]
    ) -> None:
        """Pin the chosen topics (or unpin those already pinned)."""
        occ, chosen = await self._chosen(interaction, occurrence_id, values)
        for proposal in chosen:
            await q.set_proposal_flags(self.db, proposal.id, pinned=not proposal.pinned)
        await self._after_pick(interaction, occ)
        pinned = [p for p in chosen if not p.pinned]
        await reply(
            interaction, render.pins_changed(len(pinned), len(chosen) - len(pinned))
        )

    async def remove_chosen(
        self, interaction: Interaction, occurrence_id: int, values: list[str]
    ) -> None:
        """Take the chosen topics off the agenda; their posts in the thread say so."""
        occ, chosen = await self._chosen(interaction, occurrence_id, values)
        for proposal in chosen:
            await q.set_proposal_flags(self.db, proposal.id, removed=True)
            await self._mark_removed(proposal)
        await self._after_pick(interaction, occ)
        await reply(interaction, render.topics_removed(len(chosen)))

    async def _after_pick(self, interaction: Interaction, occ: Occurrence) -> None:
        """Redraw the organiser's list (from its first page) and the agenda."""
        await show_page(interaction, TOPICS, 0, str(occ.id), edit=True)
        await self.refresh_announcement(occ.id)

    async def _mark_removed(self, proposal: Proposal) -> None:
        if proposal.channel_id is None or proposal.message_id is None:
            return
        with guild_language():
            content = render.removed_post()
        message = self.bot.get_partial_messageable(
            proposal.channel_id, guild_id=proposal.guild_id
        ).get_partial_message(proposal.message_id)
        try:
            await message.edit(content=content, view=None)
        except discord.HTTPException as error:
            # the agenda is the truth; a post that cannot be edited is only stale
            log.info("could not mark topic %s removed: %s", proposal.id, error)

    async def series_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the guild's series (``/chat-admin series-list``, organisers:
        a click after a restart is checked like the command)."""
        await require_role(interaction, Role.ORGANISER)
        assert interaction.guild_id is not None
        every = await q.all_series(self.db, interaction.guild_id)
        number, count, offset = page_bounds(number, len(every), logic.SERIES_PAGE)
        found = [
            (series, await q.upcoming(self.db, series.id))
            for series in every[offset : offset + logic.SERIES_PAGE]
        ]
        return Page(render.series_page(found, len(every)), number, count)

    # -- calendar ---------------------------------------------------------------------------------
    async def calendar_source(
        self, bot: PalletsBot, guild_id: int
    ) -> list[CalendarEntry]:
        entries: list[CalendarEntry] = []
        # Only the occurrences still to end (not every series' whole history): the
        # feed and the public pages read this on every request.
        live: dict[int, list[Occurrence]] = {}
        for occ in await q.calendar_occurrences(self.db, guild_id, now_ts()):
            live.setdefault(occ.series_id, []).append(occ)
        for series in await q.all_series(self.db, guild_id):
            known: set[int] = set()
            for occ in live.get(series.id, []):
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
        category=render.calendar_category(),
        discord_url=render.discord_link(series.guild_id, occ) if occ else "",
    )
