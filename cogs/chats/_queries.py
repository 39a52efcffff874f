"""Every SQL statement of the chats job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from bot.clock import from_ts
from bot.clock import now_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.chats._logic import Cadence
from cogs.chats._logic import parse_local_time
from cogs.chats._logic import Recurrence
from cogs.chats._logic import Topic


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    guild_id: int
    name: str
    cadence: Cadence
    weekday: int
    #: The week of the month (1..4, -1 for the last) of monthly cadences.
    week: int | None
    local_time: str
    timezone: str
    month_phase: int
    #: The first chat's local date, for cadences counted in weeks.
    anchor: date | None
    duration_minutes: int
    location_kind: str
    channel_id: int | None
    location_url: str | None
    lead_days: int
    reminder_hours: tuple[int, ...]
    paused: bool
    created_by: int

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence(
            self.cadence,
            self.weekday,
            self.week,
            parse_local_time(self.local_time),
            self.timezone,
            self.month_phase,
            self.anchor,
        )

    @classmethod
    def from_row(cls, row: Row) -> Series:
        hours = tuple(int(h) for h in row["reminder_hours"].split(",") if h)
        return record(
            cls,
            row,
            cadence=Cadence(row["cadence"]),
            anchor=date.fromisoformat(row["anchor"]) if row["anchor"] else None,
            reminder_hours=hours,
            paused=bool(row["paused"]),
        )


@dataclass(frozen=True, slots=True)
class Occurrence:
    id: int
    guild_id: int
    series_id: int
    slot_at: int
    starts_at: int
    ends_at: int
    status: str
    revision: int
    event_id: int | None
    announcement_channel_id: int | None
    announcement_message_id: int | None
    voting_closed: bool
    notes: str | None
    notes_revision: int
    notes_thread_id: int | None

    @property
    def start(self) -> datetime:
        return from_ts(self.starts_at)

    @property
    def end(self) -> datetime:
        return from_ts(self.ends_at)

    @property
    def upcoming(self) -> bool:
        return self.status in ("planned", "open")

    @classmethod
    def from_row(cls, row: Row) -> Occurrence:
        return record(cls, row, voting_closed=bool(row["voting_closed"]))


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    guild_id: int
    occurrence_id: int
    author_id: int
    title: str
    details: str
    pinned: bool
    removed: bool
    channel_id: int | None
    message_id: int | None
    created_at: int
    votes: int

    @property
    def topic(self) -> Topic:
        return Topic(self.id, self.title, self.votes, self.created_at, self.pinned)

    @classmethod
    def from_row(cls, row: Row) -> Proposal:
        return record(
            cls, row, pinned=bool(row["pinned"]), removed=bool(row["removed"])
        )


# -- series ------------------------------------------------------------------------------------
async def create_series(db: Database, guild_id: int, **values: Any) -> Series:
    columns = ["guild_id", *values, "created_at"]
    params = [guild_id, *values.values(), now_ts()]
    async with db.transaction() as tx:
        row = await tx.fetchone(
            f"INSERT INTO chat_series ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) RETURNING *",
            params,
        )
    assert row is not None
    return Series.from_row(row)


SERIES_COLUMNS = {
    "name",
    "local_time",
    "timezone",
    "duration_minutes",
    "location_kind",
    "channel_id",
    "location_url",
    "lead_days",
    "reminder_hours",
    "paused",
}


async def update_series(db: Database, series_id: int, **values: Any) -> Series:
    unknown = set(values) - SERIES_COLUMNS
    if unknown:
        raise ValueError(f"unknown series columns: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in values)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            f"UPDATE chat_series SET {assignments} WHERE id = ? RETURNING *",
            [*values.values(), series_id],
        )
    assert row is not None
    return Series.from_row(row)


async def delete_series(db: Database, series_id: int) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM chat_series WHERE id = ?", (series_id,))


async def series_by_name(db: Database, guild_id: int, name: str) -> Series | None:
    row = await db.fetchone(
        "SELECT * FROM chat_series WHERE guild_id = ? AND name = ?",
        (guild_id, name.strip()),
    )
    return Series.from_row(row) if row else None


async def series_by_id(db: Database, series_id: int) -> Series | None:
    row = await db.fetchone("SELECT * FROM chat_series WHERE id = ?", (series_id,))
    return Series.from_row(row) if row else None


async def all_series(db: Database, guild_id: int) -> list[Series]:
    rows = await db.fetchall(
        "SELECT * FROM chat_series WHERE guild_id = ? ORDER BY name", (guild_id,)
    )
    return [Series.from_row(row) for row in rows]


# -- occurrences ---------------------------------------------------------------------------------
async def occurrence(db: Database, occurrence_id: int) -> Occurrence | None:
    row = await db.fetchone(
        "SELECT * FROM chat_occurrences WHERE id = ?", (occurrence_id,)
    )
    return Occurrence.from_row(row) if row else None


async def upcoming(db: Database, series_id: int) -> Occurrence | None:
    """The series' planned or open occurrence, if it has one."""
    row = await db.fetchone(
        "SELECT * FROM chat_occurrences WHERE series_id = ? "
        "AND status IN ('planned', 'open') ORDER BY starts_at LIMIT 1",
        (series_id,),
    )
    return Occurrence.from_row(row) if row else None


# INDEXED BY: without statistics the planner would walk every past occurrence in
# start order (chat_occurrences_started) to avoid sorting the few upcoming ones.
UPCOMING_IN_GUILD = (
    "SELECT * FROM chat_occurrences INDEXED BY chat_occurrences_upcoming "
    "WHERE guild_id = ? "
    "AND status IN ('planned', 'open') ORDER BY starts_at, id"
)


NEXT_IN_GUILD = f"{UPCOMING_IN_GUILD} LIMIT 1"


async def next_in_guild(db: Database, guild_id: int) -> Occurrence | None:
    """The guild's next planned or open occurrence (of any series)."""
    row = await db.fetchone(NEXT_IN_GUILD, (guild_id,))
    return Occurrence.from_row(row) if row else None


async def upcoming_in_guild(db: Database, guild_id: int) -> list[Occurrence]:
    rows = await db.fetchall(UPCOMING_IN_GUILD, (guild_id,))
    return [Occurrence.from_row(row) for row in rows]


async def calendar_occurrences(
    db: Database, guild_id: int, now: int
) -> list[Occurrence]:
    """A server's occurrences that have not ended and are neither done nor paused
    (the calendar's), by series and slot."""
    rows = await db.fetchall(
        "SELECT * FROM chat_occurrences INDEXED BY chat_occurrences_upcoming "
        "WHERE guild_id = ? AND status IN ('planned', 'open', 'skipped') "
        "AND ends_at >= ? ORDER BY series_id, slot_at",
        (guild_id, now),
    )
    return [Occurrence.from_row(row) for row in rows]


async def all_occurrences(db: Database, series_id: int) -> list[Occurrence]:
    rows = await db.fetchall(
        "SELECT * FROM chat_occurrences WHERE series_id = ? ORDER BY slot_at",
        (series_id,),
    )
    return [Occurrence.from_row(row) for row in rows]


async def last_slot(db: Database, series_id: int) -> int | None:
    """The latest slot already used (held, skipped or done) by the series."""
    value = await db.fetchval(
        "SELECT max(slot_at) FROM chat_occurrences WHERE series_id = ? "
        "AND status != 'paused'",
        (series_id,),
    )
    return None if value is None else int(value)


async def last_closed_slot(db: Database, series_id: int) -> int | None:
    """The latest slot the series has used up (skipped or held)."""
    value = await db.fetchval(
        "SELECT max(slot_at) FROM chat_occurrences WHERE series_id = ? "
        "AND status IN ('skipped', 'done')",
        (series_id,),
    )
    return None if value is None else int(value)


async def place_occurrence(
    db: Database, series: Series, slot_at: int, ends_at: int
) -> Occurrence:
    """Plan the series' occurrence at ``slot_at`` (reviving a paused one)."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO chat_occurrences (guild_id, series_id, slot_at, starts_at, ends_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (series_id, slot_at) DO UPDATE SET "
            "status = 'planned', starts_at = excluded.starts_at, "
            "ends_at = excluded.ends_at, revision = revision + 1 "
            "WHERE chat_occurrences.status = 'paused' RETURNING *",
            (series.guild_id, series.id, slot_at, slot_at, ends_at),
        )
        if row is None:
            row = await tx.fetchone(
                "SELECT * FROM chat_occurrences WHERE series_id = ? AND slot_at = ?",
                (series.id, slot_at),
            )
    assert row is not None
    return Occurrence.from_row(row)


async def move_occurrence(
    db: Database, occurrence_id: int, *, starts_at: int, ends_at: int, slot_at: int
) -> Occurrence:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE chat_occurrences SET starts_at = ?, ends_at = ?, slot_at = ?, "
            "revision = revision + 1 WHERE id = ? RETURNING *",
            (starts_at, ends_at, slot_at, occurrence_id),
        )
    assert row is not None
    return Occurrence.from_row(row)


async def set_status(db: Database, occurrence_id: int, status: str) -> Occurrence:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE chat_occurrences SET status = ?, "
            "voting_closed = voting_closed OR ? WHERE id = ? RETURNING *",
            (status, int(status in ("done", "skipped")), occurrence_id),
        )
    assert row is not None
    return Occurrence.from_row(row)


async def set_event(db: Database, occurrence_id: int, event_id: int | None) -> None:
    await db.execute(
        "UPDATE chat_occurrences SET event_id = ? WHERE id = ?",
        (event_id, occurrence_id),
    )


async def event_taken(db: Database, guild_id: int, event_id: int) -> bool:
    """Whether an occurrence of the guild already records this Discord event."""
    value = await db.fetchval(
        "SELECT 1 FROM chat_occurrences WHERE guild_id = ? AND event_id = ?",
        (guild_id, event_id),
    )
    return value is not None


async def occurrence_by_event(
    db: Database, guild_id: int, event_id: int
) -> Occurrence | None:
    """The occurrence whose Discord event is ``event_id``."""
    row = await db.fetchone(
        "SELECT * FROM chat_occurrences WHERE guild_id = ? AND event_id = ?",
        (guild_id, event_id),
    )
    return Occurrence.from_row(row) if row else None


async def set_announcement(
    db: Database, occurrence_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE chat_occurrences SET announcement_channel_id = ?, "
        "announcement_message_id = ?, status = CASE WHEN status = 'planned' "
        "THEN 'open' ELSE status END WHERE id = ?",
        (channel_id, message_id, occurrence_id),
    )


async def save_notes(
    db: Database, occurrence_id: int, notes: str, author_id: int
) -> Occurrence:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE chat_occurrences SET notes = ?, notes_by = ?, notes_at = ?, "
            "notes_revision = notes_revision + 1 WHERE id = ? RETURNING *",
            (notes, author_id, now_ts(), occurrence_id),
        )
    assert row is not None
    return Occurrence.from_row(row)


async def set_notes_thread(db: Database, occurrence_id: int, thread_id: int) -> None:
    await db.execute(
        "UPDATE chat_occurrences SET notes_thread_id = ? WHERE id = ?",
        (thread_id, occurrence_id),
    )


async def latest_started(db: Database, series_id: int, now: int) -> Occurrence | None:
    """The series' most recent occurrence that has started (for notes)."""
    row = await db.fetchone(
        "SELECT * FROM chat_occurrences WHERE series_id = ? AND starts_at <= ? "
        "AND status IN ('open', 'done') ORDER BY starts_at DESC LIMIT 1",
        (series_id, now),
    )
    return Occurrence.from_row(row) if row else None


HISTORY = (
    "SELECT o.*, s.name AS series_name FROM chat_occurrences o "
    "JOIN chat_series s ON s.id = o.series_id WHERE o.guild_id = ? "
    "AND o.starts_at <= ? AND o.status IN ('open', 'done') "
    "ORDER BY o.starts_at DESC LIMIT ? OFFSET ?"
)
HISTORY_COUNT = (
    "SELECT count(*) FROM chat_occurrences WHERE guild_id = ? "
    "AND starts_at <= ? AND status IN ('open', 'done')"
)


async def history(
    db: Database, guild_id: int, now: int, limit: int = 15, offset: int = 0
) -> list[tuple[str, Occurrence]]:
    """The guild's chats that have taken place, the latest first."""
    rows = await db.fetchall(HISTORY, (guild_id, now, limit, offset))
    return [(row["series_name"], Occurrence.from_row(row)) for row in rows]


async def count_history(db: Database, guild_id: int, now: int) -> int:
    return int(await db.fetchval(HISTORY_COUNT, (guild_id, now)))


# -- interest ------------------------------------------------------------------------------
async def toggle_interest(
    db: Database, occurrence_id: int, user_id: int
) -> bool | None:
    """Flip the member's interest; return whether they are now interested.

    ``None``, changing nothing, when their interest came from Discord's own
    Interested: only un-marking it there takes it away.
    """
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT via_discord FROM chat_interest "
            "WHERE occurrence_id = ? AND user_id = ?",
            (occurrence_id, user_id),
        )
        if row is not None and row["via_discord"]:
            return None
        if row is not None:
            await tx.execute(
                "DELETE FROM chat_interest WHERE occurrence_id = ? AND user_id = ?",
                (occurrence_id, user_id),
            )
            return False
        await tx.execute(
            "INSERT INTO chat_interest (occurrence_id, user_id, created_at) "
            "VALUES (?, ?, ?)",
            (occurrence_id, user_id, now_ts()),
        )
    return True


async def set_discord_interest(
    db: Database, occurrence_id: int, user_id: int, added: bool
) -> bool:
    """Follow Discord's Interested; return whether the list changed."""
    async with db.transaction() as tx:
        if not added:
            gone = await tx.execute(
                "DELETE FROM chat_interest WHERE occurrence_id = ? AND user_id = ?",
                (occurrence_id, user_id),
            )
            return bool(gone.rowcount)
        added_now = await tx.execute(
            "INSERT INTO chat_interest (occurrence_id, user_id, created_at, via_discord) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (occurrence_id, user_id) DO NOTHING",
            (occurrence_id, user_id, now_ts()),
        )
        if added_now.rowcount:
            return True
        await tx.execute(
            "UPDATE chat_interest SET via_discord = 1 "
            "WHERE occurrence_id = ? AND user_id = ?",
            (occurrence_id, user_id),
        )
    return False


async def interested(db: Database, occurrence_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM chat_interest WHERE occurrence_id = ? ORDER BY created_at",
        (occurrence_id,),
    )
    return [int(row["user_id"]) for row in rows]


async def interest_count(db: Database, occurrence_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM chat_interest WHERE occurrence_id = ?",
            (occurrence_id,),
        )
    )


# -- proposals and votes --------------------------------------------------------------------
_PROPOSALS = (
    "SELECT p.*, (SELECT count(*) FROM chat_votes v WHERE v.proposal_id = p.id) "
    "AS votes FROM chat_proposals p "
)


async def count_proposals_by(db: Database, occurrence_id: int, author_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM chat_proposals WHERE occurrence_id = ? "
            "AND author_id = ? AND removed = 0",
            (occurrence_id, author_id),
        )
    )


async def add_proposal(
    db: Database,
    occurrence: Occurrence,
    author_id: int,
    title: str,
    details: str,
) -> int:
    async with db.transaction() as tx:
        result = await tx.execute(
            "INSERT INTO chat_proposals (guild_id, occurrence_id, author_id, title, "
            "details, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (occurrence.guild_id, occurrence.id, author_id, title, details, now_ts()),
        )
    assert result.lastrowid is not None
    return result.lastrowid


PROPOSALS = _PROPOSALS + "WHERE p.occurrence_id = ? AND p.removed = 0 ORDER BY p.id"


async def occurrence_and_proposals(
    db: Database, occurrence_id: int
) -> tuple[Occurrence | None, list[Proposal]]:
    """An occurrence and its proposals, in one read."""
    found, rows = await db.fetch_together(
        ("SELECT * FROM chat_occurrences WHERE id = ?", (occurrence_id,)),
        (PROPOSALS, (occurrence_id,)),
    )
    occ = Occurrence.from_row(found[0]) if found else None
    return occ, [Proposal.from_row(row) for row in rows]


async def proposal(db: Database, proposal_id: int) -> Proposal | None:
    row = await db.fetchone(_PROPOSALS + "WHERE p.id = ?", (proposal_id,))
    return Proposal.from_row(row) if row else None


async def proposals(db: Database, occurrence_id: int) -> list[Proposal]:
    rows = await db.fetchall(PROPOSALS, (occurrence_id,))
    return [Proposal.from_row(row) for row in rows]


async def set_proposal_message(
    db: Database, proposal_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE chat_proposals SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, proposal_id),
    )


async def set_proposal_flags(
    db: Database, proposal_id: int, *, pinned: bool | None = None, removed: bool = False
) -> None:
    if pinned is not None:
        await db.execute(
            "UPDATE chat_proposals SET pinned = ? WHERE id = ?",
            (int(pinned), proposal_id),
        )
    if removed:
        await db.execute(
            "UPDATE chat_proposals SET removed = 1 WHERE id = ?", (proposal_id,)
        )


async def toggle_vote(db: Database, proposal_id: int, user_id: int) -> bool:
    """Flip the member's vote; return whether it now counts."""
    async with db.transaction() as tx:
        gone = await tx.execute(
            "DELETE FROM chat_votes WHERE proposal_id = ? AND user_id = ?",
            (proposal_id, user_id),
        )
        if gone.rowcount:
            return False
        await tx.execute(
            "INSERT INTO chat_votes (proposal_id, user_id, created_at) VALUES (?, ?, ?)",
            (proposal_id, user_id, now_ts()),
        )
    return True
