"""Every SQL statement of the events job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.events._logic import EventDraft
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

    @property
    def published(self) -> bool:
        return self.state == "published"

    @property
    def cancelled(self) -> bool:
        return self.state == "cancelled"

    @classmethod
    def from_row(cls, row: Row) -> Event:
        return record(
            cls,
            row,
            starts_at=from_ts(row["starts_at"]),
            ends_at=from_ts(row["ends_at"]),
            updated_at=from_ts(row["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    not_going: int = 0


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
    db: Database, guild_id: int, organiser_id: int, draft: EventDraft
) -> Event:
    now = now_ts()
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO events (guild_id, organiser_id, title, description, kind, "
            "starts_at, ends_at, timezone, location, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
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
                now,
                now,
            ),
        )
    assert row is not None
    return Event.from_row(row)


async def get_event(db: Database, guild_id: int, event_id: int) -> Event | None:
    row = await db.fetchone(
        "SELECT * FROM events WHERE id = ? AND guild_id = ?", (event_id, guild_id)
    )
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
            "timezone = ?, location = ?, revision = revision + 1, updated_at = ? "
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
    await db.execute(
        "INSERT INTO event_rsvps (event_id, user_id, state, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE SET "
        "state = excluded.state, updated_at = excluded.updated_at",
        (event_id, user_id, state.value, now_ts()),
    )


async def rsvp_of(db: Database, event_id: int, user_id: int) -> Rsvp | None:
    value = await db.fetchval(
        "SELECT state FROM event_rsvps WHERE event_id = ? AND user_id = ?",
        (event_id, user_id),
    )
    return Rsvp(value) if value else None


RSVP_COUNTS = (
    "SELECT state, count(*) AS n FROM event_rsvps WHERE event_id = ? GROUP BY state"
)


async def rsvp_counts(db: Database, event_id: int) -> RsvpCounts:
    rows = await db.fetchall(RSVP_COUNTS, (event_id,))
    counts = {row["state"]: row["n"] for row in rows}
    return RsvpCounts(
        going=counts.get("going", 0),
        maybe=counts.get("maybe", 0),
        not_going=counts.get("not_going", 0),
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
