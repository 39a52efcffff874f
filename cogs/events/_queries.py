"""Every SQL statement of the events job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time

from bot import reminders as offsets
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from bot.db import Transaction
from bot.recurrence import Rule
from cogs.events._logic import EventDraft
from cogs.events._logic import EventOptions
from cogs.events._logic import Rsvp


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    guild_id: int
    organiser_id: int
    title: str
    description: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    state: str
    channel_id: int | None
    message_id: int | None
    scheduled_event_id: int | None
    revision: int
    updated_at: datetime
    #: Minutes before the start: DMs to members going, and posts in the channel.
    dm_reminders: tuple[int, ...]
    post_reminders: tuple[int, ...]
    #: The most members going (None: no limit).
    capacity: int | None
    #: The repeating event it is a date of, if any.
    series_id: int | None
    recording_url: str | None
    slides_url: str | None
    #: A member's submission: ``pending``, ``approved`` or ``declined`` (None: an
    #: organiser's own event).
    review: str | None
    review_reason: str | None

    @property
    def published(self) -> bool:
        return self.state == "published"

    @property
    def cancelled(self) -> bool:
        return self.state == "cancelled"

    @property
    def options(self) -> EventOptions:
        return EventOptions(self.dm_reminders, self.post_reminders, self.capacity)

    @classmethod
    def from_row(cls, row: Row) -> Event:
        return record(
            cls,
            row,
            starts_at=from_ts(row["starts_at"]),
            ends_at=from_ts(row["ends_at"]),
            updated_at=from_ts(row["updated_at"]),
            dm_reminders=offsets.from_text(row["dm_reminders"]),
            post_reminders=offsets.from_text(row["post_reminders"]),
        )


@dataclass(frozen=True, slots=True)
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    not_going: int = 0
    #: Members on the waitlist.
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """Where a member stands after answering, and who got a place because of it."""

    #: ``going``, ``maybe``, ``not_going``, ``waiting``, or ``none`` (no answer).
    state: str
    #: Their place in line, when ``waiting`` (from 1).
    position: int | None = None
    #: Members moved from the waitlist to Going: (user id, waitlist entry id).
    promoted: tuple[tuple[int, int], ...] = ()
    #: Whether anything changed.
    changed: bool = True
    #: The waitlist entry made by this answer (one per time in line).
    entry: int | None = None


@dataclass(frozen=True, slots=True)
class Attendees:
    """Who answered, in the order they did; the waitlist in its order."""

    going: list[int]
    maybe: list[int]
    waiting: list[int]


# -- code of conduct -----------------------------------------------------------------------
async def has_accepted(db: Database, guild_id: int, user_id: int, version: str) -> bool:
    value = await db.fetchval(
        "SELECT 1 FROM event_coc_acceptances "
        "WHERE guild_id = ? AND user_id = ? AND version = ?",
        (guild_id, user_id, version),
    )
    return value is not None


async def accept(db: Database, guild_id: int, user_id: int, version: str) -> None:
    await db.execute(
        "INSERT INTO event_coc_acceptances (guild_id, user_id, version, accepted_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, user_id, version, now_ts()),
    )


# -- events ------------------------------------------------------------------------------------
async def create_draft(
    db: Database,
    guild_id: int,
    organiser_id: int,
    draft: EventDraft,
    *,
    rule: Rule | None = None,
) -> Event:
    """A draft event; with ``rule``, the first date of a new repeating event."""
    now = now_ts()
    async with db.transaction() as tx:
        series_id = None
        if rule is not None:
            series_id = await tx.fetchval(
                "INSERT INTO event_series (guild_id, rule, at, timezone, anchor, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    rule.rrule_text(),
                    rule.at.strftime("%H:%M"),
                    rule.timezone,
                    rule.anchor.isoformat(),
                    now,
                ),
            )
        row = await tx.fetchone(
            "INSERT INTO events (guild_id, organiser_id, title, description, kind, "
            "starts_at, ends_at, timezone, location, dm_reminders, post_reminders, "
            "capacity, created_at, updated_at, series_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                guild_id,
                organiser_id,
                draft.title,
                draft.description,
                draft.kind.value,
                to_ts(draft.starts_at),
                to_ts(draft.ends_at),
                draft.timezone,
                draft.location,
                offsets.to_text(draft.dm_reminders),
                offsets.to_text(draft.post_reminders),
                draft.capacity,
                now,
                now,
                series_id,
            ),
        )
    assert row is not None
    return Event.from_row(row)


async def get_event(db: Database, guild_id: int, event_id: int) -> Event | None:
    row = await db.fetchone(
        "SELECT * FROM events WHERE id = ? AND guild_id = ?", (event_id, guild_id)
    )
    return Event.from_row(row) if row else None


async def event_by_id(db: Database, event_id: int) -> Event | None:
    """An event by id alone: for buttons in DMs, which carry no server."""
    row = await db.fetchone("SELECT * FROM events WHERE id = ?", (event_id,))
    return Event.from_row(row) if row else None


async def mark_published(db: Database, event_id: int, coc_version: str) -> Event | None:
    """Move a draft to published; ``None`` when it was not a draft any more."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET state = 'published', coc_version = ?, updated_at = ? "
            "WHERE id = ? AND state = 'draft' RETURNING *",
            (coc_version, now_ts(), event_id),
        )
    return Event.from_row(row) if row else None


async def set_announcement(
    db: Database, event_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE events SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, event_id),
    )


async def event_by_scheduled(
    db: Database, guild_id: int, scheduled_event_id: int
) -> Event | None:
    """The event whose Discord event is ``scheduled_event_id``."""
    row = await db.fetchone(
        "SELECT * FROM events WHERE guild_id = ? AND scheduled_event_id = ?",
        (guild_id, scheduled_event_id),
    )
    return Event.from_row(row) if row else None


async def set_options(db: Database, event_id: int, options: EventOptions) -> Event:
    """Change an event's reminders and capacity (nothing members are told of)."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET dm_reminders = ?, post_reminders = ?, capacity = ?, "
            "updated_at = ? WHERE id = ? RETURNING *",
            (
                offsets.to_text(options.dm_reminders),
                offsets.to_text(options.post_reminders),
                options.capacity,
                now_ts(),
                event_id,
            ),
        )
    assert row is not None
    return Event.from_row(row)


async def set_scheduled_event(
    db: Database, event_id: int, scheduled_event_id: int | None
) -> None:
    await db.execute(
        "UPDATE events SET scheduled_event_id = ? WHERE id = ?",
        (scheduled_event_id, event_id),
    )


async def scheduled_event_taken(
    db: Database, guild_id: int, scheduled_event_id: int
) -> bool:
    """Whether an event of the guild already records this Discord event."""
    value = await db.fetchval(
        "SELECT 1 FROM events WHERE guild_id = ? AND scheduled_event_id = ?",
        (guild_id, scheduled_event_id),
    )
    return value is not None


async def update_event(db: Database, event_id: int, draft: EventDraft) -> Event:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET title = ?, description = ?, starts_at = ?, ends_at = ?, "
            "timezone = ?, location = ?, revision = revision + 1, updated_at = ?, "
            # A submission changed while it waits is submitted again: the
            # organisers approve what they read.
            "review = CASE WHEN review = 'pending' THEN NULL ELSE review END "
            "WHERE id = ? RETURNING *",
            (
                draft.title,
                draft.description,
                to_ts(draft.starts_at),
                to_ts(draft.ends_at),
                draft.timezone,
                draft.location,
                now_ts(),
                event_id,
            ),
        )
    assert row is not None
    return Event.from_row(row)


async def cancel_event(db: Database, event_id: int) -> Event | None:
    """Cancel a draft or published event; ``None`` when it was already cancelled."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET state = 'cancelled', revision = revision + 1, "
            "updated_at = ? WHERE id = ? AND state != 'cancelled' RETURNING *",
            (now_ts(), event_id),
        )
    return Event.from_row(row) if row else None


async def published_unfinished(db: Database, now: datetime) -> list[Event]:
    """Published, upcoming events whose announcement or Discord event was never
    recorded (publishing was interrupted, or Discord refused the Discord event)."""
    rows = await db.fetchall(
        "SELECT * FROM events WHERE state = 'published' AND starts_at > ? "
        "AND (message_id IS NULL OR scheduled_event_id IS NULL) ORDER BY id",
        (to_ts(now),),
    )
    return [Event.from_row(row) for row in rows]


COUNT_UPCOMING = (
    "SELECT count(*) FROM events WHERE guild_id = ? AND state = 'published' "
    "AND ends_at > ?"
)


async def count_upcoming(db: Database, guild_id: int, now: datetime) -> int:
    return int(await db.fetchval(COUNT_UPCOMING, (guild_id, to_ts(now))))


UPCOMING = (
    "SELECT * FROM events WHERE guild_id = ? AND state = 'published' AND ends_at > ? "
    "ORDER BY starts_at, id LIMIT ? OFFSET ?"
)


async def upcoming(
    db: Database, guild_id: int, now: datetime, *, limit: int, offset: int = 0
) -> list[Event]:
    rows = await db.fetchall(UPCOMING, (guild_id, to_ts(now), limit, offset))
    return [Event.from_row(row) for row in rows]


async def upcoming_page(
    db: Database, guild_id: int, now: datetime, *, limit: int, offset: int = 0
) -> tuple[list[Event], int]:
    """Upcoming events from ``offset`` on, and how many there are (one read)."""
    count, rows = await db.fetch_together(
        (COUNT_UPCOMING, (guild_id, to_ts(now))),
        (UPCOMING, (guild_id, to_ts(now), limit, offset)),
    )
    return [Event.from_row(row) for row in rows], int(count[0][0])


async def calendar_events(db: Database, guild_id: int, since: datetime) -> list[Event]:
    """Published and cancelled events ending after ``since`` (cancelled ones stay in
    the feed, marked, so calendar apps remove them)."""
    rows = await db.fetchall(
        "SELECT * FROM events WHERE guild_id = ? AND state IN ('published', 'cancelled') "
        "AND ends_at > ? AND (state = 'published' OR channel_id IS NOT NULL) "
        "ORDER BY starts_at, id",
        (guild_id, to_ts(since)),
    )
    return [Event.from_row(row) for row in rows]


# The state IN lets the (guild, state, ends_at) index find the few candidates.
EVENTS_FOR_AUTOCOMPLETE = (
    "SELECT * FROM events WHERE guild_id = ? AND state IN ('published', 'draft') "
    "AND ends_at > ? AND (state = 'published' OR organiser_id = ?) "
    "ORDER BY starts_at LIMIT 25"
)


async def events_for_autocomplete(
    db: Database, guild_id: int, now: datetime, *, include_drafts_of: int | None
) -> list[Event]:
    rows = await db.fetchall(
        EVENTS_FOR_AUTOCOMPLETE, (guild_id, to_ts(now), include_drafts_of or 0)
    )
    return [Event.from_row(row) for row in rows]


# -- RSVPs -------------------------------------------------------------------------------------
async def set_rsvp(db: Database, event_id: int, user_id: int, state: Rsvp) -> None:
    """Record an answer as it is, with no capacity to respect (an event without one)."""
    await db.execute(
        "INSERT INTO event_rsvps (event_id, user_id, state, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE SET "
        "state = excluded.state, updated_at = excluded.updated_at",
        (event_id, user_id, state.value, now_ts()),
    )


async def answer(
    db: Database,
    event_id: int,
    user_id: int,
    wanted: Rsvp | None,
    *,
    capacity: int | None,
    via_discord: bool = False,
) -> Answer:
    """Record a member's answer, keeping the event within ``capacity``.

    Going to a full event puts the member on the waitlist; a member going who stops
    going gives their place to the first in line. ``wanted=None`` takes the answer
    away (Discord's Interested un-marked). One transaction, so two members cannot
    take the last place, and nobody is promoted twice.
    """
    now = now_ts()
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT state FROM event_rsvps WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        before = row["state"] if row else None
        waiting = await tx.fetchone(
            "SELECT id FROM event_waitlist WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        if wanted is Rsvp.GOING:
            if before == Rsvp.GOING.value or waiting is not None:
                if via_discord:
                    await _mark_discord(tx, event_id, user_id)
                position = await _position(tx, event_id, user_id)
                state = "waiting" if position is not None else Rsvp.GOING.value
                return Answer(state, position, changed=False)
            going = await tx.fetchval(
                "SELECT count(*) FROM event_rsvps WHERE event_id = ? AND state = 'going'",
                (event_id,),
            )
            if capacity is None or going < capacity:
                await _upsert(tx, event_id, user_id, Rsvp.GOING.value, now, via_discord)
                return Answer(Rsvp.GOING.value)
            await tx.execute(
                "DELETE FROM event_rsvps WHERE event_id = ? AND user_id = ?",
                (event_id, user_id),
            )
            joined = await tx.execute(
                "INSERT INTO event_waitlist (event_id, user_id, via_discord, joined_at) "
                "VALUES (?, ?, ?, ?)",
                (event_id, user_id, int(via_discord), now),
            )
            return Answer(
                "waiting",
                await _position(tx, event_id, user_id),
                entry=joined.lastrowid,
            )
        await tx.execute(
            "DELETE FROM event_waitlist WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        if wanted is None:
            await tx.execute(
                "DELETE FROM event_rsvps WHERE event_id = ? AND user_id = ?",
                (event_id, user_id),
            )
            state = "none"
        else:
            await _upsert(tx, event_id, user_id, wanted.value, now, False)
            state = wanted.value
        promoted: tuple[tuple[int, int], ...] = ()
        if before == Rsvp.GOING.value:
            promoted = await _promote(tx, event_id, capacity, now)
        changed = before != (None if wanted is None else wanted.value) or bool(waiting)
        return Answer(state, promoted=promoted, changed=changed)


async def _upsert(
    tx: Transaction,
    event_id: int,
    user_id: int,
    state: str,
    now: int,
    via_discord: bool,
) -> None:
    await tx.execute(
        "INSERT INTO event_rsvps (event_id, user_id, state, updated_at, via_discord) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE SET "
        "state = excluded.state, updated_at = excluded.updated_at, "
        "via_discord = excluded.via_discord",
        (event_id, user_id, state, now, int(via_discord)),
    )


async def _mark_discord(tx: Transaction, event_id: int, user_id: int) -> None:
    for table in ("event_rsvps", "event_waitlist"):
        await tx.execute(
            f"UPDATE {table} SET via_discord = 1 WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )


async def _position(tx: Transaction, event_id: int, user_id: int) -> int | None:
    value = await tx.fetchval(
        "SELECT (SELECT count(*) FROM event_waitlist AS o "
        "WHERE o.event_id = w.event_id AND o.id <= w.id) "
        "FROM event_waitlist AS w WHERE w.event_id = ? AND w.user_id = ?",
        (event_id, user_id),
    )
    return None if value is None else int(value)


async def _promote(
    tx: Transaction, event_id: int, capacity: int | None, now: int
) -> tuple[tuple[int, int], ...]:
    """Give free places to the waitlist, first come first served."""
    promoted: list[tuple[int, int]] = []
    while True:
        going = await tx.fetchval(
            "SELECT count(*) FROM event_rsvps WHERE event_id = ? AND state = 'going'",
            (event_id,),
        )
        if capacity is not None and going >= capacity:
            break
        first = await tx.fetchone(
            "SELECT id, user_id, via_discord FROM event_waitlist WHERE event_id = ? "
            "ORDER BY id LIMIT 1",
            (event_id,),
        )
        if first is None:
            break
        await tx.execute("DELETE FROM event_waitlist WHERE id = ?", (first["id"],))
        await _upsert(
            tx, event_id, first["user_id"], "going", now, bool(first["via_discord"])
        )
        promoted.append((int(first["user_id"]), int(first["id"])))
    return tuple(promoted)


async def fill_places(
    db: Database, event_id: int, capacity: int | None
) -> tuple[tuple[int, int], ...]:
    """After the capacity grew (or went): promote from the waitlist."""
    async with db.transaction() as tx:
        return await _promote(tx, event_id, capacity, now_ts())


async def standing(
    db: Database, event_id: int, user_id: int
) -> tuple[str, bool, int | None]:
    """A member's answer (``none`` if they gave none, ``waiting`` if in line), whether
    it came from Discord's Interested, and their place in line."""
    row = await db.fetchone(
        "SELECT state, via_discord FROM event_rsvps WHERE event_id = ? AND user_id = ?",
        (event_id, user_id),
    )
    if row is not None:
        return row["state"], bool(row["via_discord"]), None
    row = await db.fetchone(
        "SELECT w.via_discord, (SELECT count(*) FROM event_waitlist AS o "
        "WHERE o.event_id = w.event_id AND o.id <= w.id) AS position "
        "FROM event_waitlist AS w WHERE w.event_id = ? AND w.user_id = ?",
        (event_id, user_id),
    )
    if row is not None:
        return "waiting", bool(row["via_discord"]), int(row["position"])
    return "none", False, None


async def attendees(db: Database, event_id: int) -> Attendees:
    rows = await db.fetchall(
        "SELECT user_id, state FROM event_rsvps WHERE event_id = ? "
        "AND state IN ('going', 'maybe') ORDER BY updated_at, rowid",
        (event_id,),
    )
    waiting = await db.fetchall(
        "SELECT user_id FROM event_waitlist WHERE event_id = ? ORDER BY id",
        (event_id,),
    )
    return Attendees(
        going=[row["user_id"] for row in rows if row["state"] == "going"],
        maybe=[row["user_id"] for row in rows if row["state"] == "maybe"],
        waiting=[row["user_id"] for row in waiting],
    )


RSVP_COUNTS = (
    "SELECT state, count(*) AS n FROM event_rsvps WHERE event_id = ? GROUP BY state"
)


async def rsvp_of(db: Database, event_id: int, user_id: int) -> Rsvp | None:
    value = await db.fetchval(
        "SELECT state FROM event_rsvps WHERE event_id = ? AND user_id = ?",
        (event_id, user_id),
    )
    return Rsvp(value) if value else None


WAITING_COUNT = "SELECT count(*) FROM event_waitlist WHERE event_id = ?"


async def rsvp_counts(db: Database, event_id: int) -> RsvpCounts:
    rows = await db.fetchall(RSVP_COUNTS, (event_id,))
    counts = {row["state"]: row["n"] for row in rows}
    return RsvpCounts(
        going=counts.get("going", 0),
        maybe=counts.get("maybe", 0),
        not_going=counts.get("not_going", 0),
        waiting=int(await db.fetchval(WAITING_COUNT, (event_id,))),
    )


GOING_MEMBERS_OPTED_IN = (
    "SELECT r.user_id FROM event_rsvps AS r JOIN events AS e ON e.id = r.event_id "
    "WHERE r.event_id = ? AND r.state = 'going' AND NOT EXISTS ("
    "SELECT 1 FROM event_reminder_optouts AS o "
    "WHERE o.guild_id = e.guild_id AND o.user_id = r.user_id) "
    "ORDER BY r.user_id"
)
GOING_MEMBERS = (
    "SELECT user_id FROM event_rsvps WHERE event_id = ? AND state = 'going' "
    "ORDER BY user_id"
)


async def going_members(
    db: Database, event_id: int, *, skip_opted_out: bool
) -> list[int]:
    if skip_opted_out:
        rows = await db.fetchall(GOING_MEMBERS_OPTED_IN, (event_id,))
    else:
        rows = await db.fetchall(GOING_MEMBERS, (event_id,))
    return [row["user_id"] for row in rows]


# -- reminder opt-out ------------------------------------------------------------------------
async def toggle_reminder_optout(db: Database, guild_id: int, user_id: int) -> bool:
    """Flip the member's opt-out; return whether they are now opted out."""
    async with db.transaction() as tx:
        removed = await tx.execute(
            "DELETE FROM event_reminder_optouts WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if removed.rowcount:
            return False
        await tx.execute(
            "INSERT INTO event_reminder_optouts (guild_id, user_id, created_at) "
            "VALUES (?, ?, ?)",
            (guild_id, user_id, now_ts()),
        )
    return True


# -- repeating events ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Series:
    id: int
    rule: Rule
    stopped: bool


async def get_series(db: Database, series_id: int) -> Series | None:
    row = await db.fetchone("SELECT * FROM event_series WHERE id = ?", (series_id,))
    if row is None:
        return None
    rule = Rule.from_rrule_text(
        row["rule"],
        at=time.fromisoformat(row["at"]),
        timezone=row["timezone"],
        anchor=date.fromisoformat(row["anchor"]),
    )
    return Series(row["id"], rule, bool(row["stopped"]))


async def stop_series(db: Database, series_id: int) -> None:
    await db.execute("UPDATE event_series SET stopped = 1 WHERE id = ?", (series_id,))


async def next_in_series(db: Database, event: Event) -> Event | None:
    """The published date of ``event``'s series after it, if there is one."""
    if event.series_id is None:
        return None
    row = await db.fetchone(
        "SELECT * FROM events WHERE series_id = ? AND starts_at > ? "
        "AND state = 'published' ORDER BY starts_at LIMIT 1",
        (event.series_id, to_ts(event.starts_at)),
    )
    return Event.from_row(row) if row else None


async def add_date(
    db: Database, template: Event, starts_at: datetime, ends_at: datetime
) -> Event:
    """The published date of ``template``'s series starting at ``starts_at``: made
    from ``template`` (the date before), or the one already made (idempotent)."""
    now = now_ts()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO events (guild_id, organiser_id, title, description, kind, "
            "starts_at, ends_at, timezone, location, state, dm_reminders, "
            "post_reminders, capacity, series_id, coc_version, review, created_at, "
            "updated_at) "
            "SELECT guild_id, organiser_id, title, description, kind, ?, ?, timezone, "
            "location, 'published', dm_reminders, post_reminders, capacity, "
            "series_id, coc_version, review, ?, ? FROM events WHERE id = ? "
            "ON CONFLICT DO NOTHING",
            (to_ts(starts_at), to_ts(ends_at), now, now, template.id),
        )
        row = await tx.fetchone(
            "SELECT * FROM events WHERE series_id = ? AND starts_at = ?",
            (template.series_id, to_ts(starts_at)),
        )
    assert row is not None
    return Event.from_row(row)


# -- after the event -----------------------------------------------------------------------
async def set_links(
    db: Database, event_id: int, recording: str | None, slides: str | None
) -> Event:
    """Keep the links given; an empty one keeps what was there."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET recording_url = coalesce(?, recording_url), "
            "slides_url = coalesce(?, slides_url), updated_at = ? "
            "WHERE id = ? RETURNING *",
            (recording, slides, now_ts(), event_id),
        )
    assert row is not None
    return Event.from_row(row)


@dataclass(frozen=True, slots=True)
class Feedback:
    user_id: int
    rating: int
    comment: str


async def save_feedback(
    db: Database, event_id: int, user_id: int, rating: int, comment: str
) -> None:
    await db.execute(
        "INSERT INTO event_feedback (event_id, user_id, rating, comment, at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE SET "
        "rating = excluded.rating, comment = excluded.comment, at = excluded.at",
        (event_id, user_id, rating, comment, now_ts()),
    )


async def feedback_of(db: Database, event_id: int) -> list[Feedback]:
    rows = await db.fetchall(
        "SELECT user_id, rating, comment FROM event_feedback WHERE event_id = ? "
        "ORDER BY at, user_id",
        (event_id,),
    )
    return [Feedback(r["user_id"], r["rating"], r["comment"]) for r in rows]


# -- members' submissions ------------------------------------------------------------------
async def submit(db: Database, event_id: int) -> Event | None:
    """A member's draft now waits for an organiser; ``None`` when it was not a
    draft waiting for nothing (or declined, then changed)."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET review = 'pending', review_reason = NULL, "
            "reviewer_id = NULL, updated_at = ? WHERE id = ? AND state = 'draft' "
            "AND (review IS NULL OR review = 'declined') RETURNING *",
            (now_ts(), event_id),
        )
    return Event.from_row(row) if row else None


async def decide(
    db: Database, event_id: int, reviewer_id: int, review: str, reason: str | None
) -> Event | None:
    """Approve or decline a pending submission; ``None`` when it was not pending
    (another organiser decided first)."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE events SET review = ?, review_reason = ?, reviewer_id = ?, "
            "updated_at = ? WHERE id = ? AND state = 'draft' AND review = 'pending' "
            "RETURNING *",
            (review, reason, reviewer_id, now_ts(), event_id),
        )
    return Event.from_row(row) if row else None


async def recent_events(db: Database, guild_id: int, now: datetime) -> list[Event]:
    """Published events that ended in the last 30 days, latest first."""
    rows = await db.fetchall(
        "SELECT * FROM events WHERE guild_id = ? AND state = 'published' "
        "AND ends_at <= ? AND ends_at > ? ORDER BY ends_at DESC LIMIT 25",
        (guild_id, to_ts(now), to_ts(now) - 30 * 86400),
    )
    return [Event.from_row(row) for row in rows]
