"""Read-only questions one job asks of another job's records.

A job never imports another job; when it needs what another job recorded (a sprint
event's dates, who solved questions last month), it asks here. Each function is one
read, stateless, with a dataclass or plain numbers out, so the owning job can change
its tables and fix the read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_ts
from bot.db import Database
from bot.db import Row


@dataclass(frozen=True, slots=True)
class SprintEvent:
    """A published sprint of the events job, as the contribute job's board needs it."""

    id: int
    guild_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str


_SPRINT_SQL = (
    "SELECT id, guild_id, title, starts_at, ends_at, location FROM events "
    "WHERE guild_id = ? AND kind = 'sprint' AND state = 'published'"
)


def _sprint(row: Row) -> SprintEvent:
    return SprintEvent(
        row["id"],
        row["guild_id"],
        row["title"],
        from_ts(row["starts_at"]),
        from_ts(row["ends_at"]),
        row["location"],
    )


async def sprint(db: Database, guild_id: int, event_id: int) -> SprintEvent | None:
    """A published sprint event of this guild, or None."""
    row = await db.fetchone(_SPRINT_SQL + " AND id = ?", (guild_id, event_id))
    return _sprint(row) if row else None


async def sprints(
    db: Database, guild_id: int, *, ending_after: int, limit: int = 25
) -> list[SprintEvent]:
    """Published sprints that end after ``ending_after``, soonest first."""
    rows = await db.fetchall(
        _SPRINT_SQL + " AND ends_at > ? ORDER BY starts_at LIMIT ?",
        (guild_id, ending_after, limit),
    )
    return [_sprint(row) for row in rows]


async def solved_questions(
    db: Database, guild_id: int, start: int, end: int
) -> dict[int, int]:
    """Questions credited to each helper as solved in [start, end) (question triage)."""
    rows = await db.fetchall(
        "SELECT helper_id, count(*) AS n FROM triage_questions "
        "WHERE guild_id = ? AND solved_at >= ? AND solved_at < ? "
        "AND helper_id IS NOT NULL AND state = 'solved' GROUP BY helper_id",
        (guild_id, start, end),
    )
    return {row["helper_id"]: row["n"] for row in rows}


async def mentoring(
    db: Database, guild_id: int, start: int, end: int
) -> dict[int, int]:
    """Mentees each mentor was paired with at some time in [start, end) (mentorship)."""
    rows = await db.fetchall(
        "SELECT mentor_id, count(*) AS n FROM mentor_pairings "
        "WHERE guild_id = ? AND claimed_at < ? AND (closed_at IS NULL OR closed_at >= ?) "
        "AND state != 'released' GROUP BY mentor_id",
        (guild_id, end, start),
    )
    return {row["mentor_id"]: row["n"] for row in rows}


async def caretaking(
    db: Database, guild_id: int, start: int, end: int
) -> dict[int, int]:
    """Extensions each member cared for at some time in [start, end).

    Read from extension stewardship's rosters (``ext_caretakers``): a member counts
    for an extension when they were on its roster during the period, whatever their
    role (lead, maintainer or triager).
    """
    rows = await db.fetchall(
        "SELECT user_id, count(DISTINCT package) AS n FROM ext_caretakers "
        "WHERE guild_id = ? AND since < ? AND (left_at IS NULL OR left_at >= ?) "
        "GROUP BY user_id",
        (guild_id, end, start),
    )
    return {row["user_id"]: row["n"] for row in rows}
