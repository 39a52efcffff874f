"""Every SQL statement of the grants job. Each state change writes an audit row in
the same transaction, so the trail cannot miss a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.clock import from_ts
from bot.clock import now_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from bot.db import Transaction
from cogs.grants._logic import GrantDraft
from cogs.grants._logic import State


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    guild_id: int
    requester_id: int
    requester_locale: str | None
    event_id: int | None
    event_text: str
    amount: Decimal
    currency: str
    purpose: str
    attendance: int
    state: State
    reviewer_id: int | None
    note: str | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Grant:
        decided = row["decided_at"]
        return record(
            cls,
            row,
            amount=Decimal(row["amount"]),
            state=State(row["state"]),
            decided_at=from_ts(decided) if decided else None,
            created_at=from_ts(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    grant_id: int
    actor_id: int
    from_state: State | None
    to_state: State
    note: str | None
    at: datetime


async def _audit(
    tx: Transaction,
    grant: Grant,
    actor_id: int,
    from_state: State | None,
    to_state: State,
    note: str | None,
) -> int:
    result = await tx.execute(
        "INSERT INTO event_grant_audit (grant_id, guild_id, actor_id, from_state, "
        "to_state, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            grant.id,
            grant.guild_id,
            actor_id,
            from_state.value if from_state else None,
            to_state.value,
            note,
            now_ts(),
        ),
    )
    assert result.lastrowid is not None
    return result.lastrowid


async def event_title(db: Database, guild_id: int, event_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT title FROM events WHERE id = ? AND guild_id = ? AND state != 'draft'",
        (event_id, guild_id),
    )
    return str(value) if value is not None else None


async def create(
    db: Database,
    guild_id: int,
    requester_id: int,
    locale: str | None,
    draft: GrantDraft,
    *,
    event_id: int | None,
    event_text: str,
) -> Grant:
    now = now_ts()
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO event_grants (guild_id, requester_id, requester_locale, "
            "event_id, event_text, amount, currency, purpose, attendance, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                guild_id,
                requester_id,
                locale,
                event_id,
                event_text,
                str(draft.amount),
                draft.currency,
                draft.purpose,
                draft.attendance,
                now,
                now,
            ),
        )
        assert row is not None
        grant = Grant.from_row(row)
        await _audit(tx, grant, requester_id, None, State.PENDING, None)
    return grant


async def get(db: Database, guild_id: int, grant_id: int) -> Grant | None:
    row = await db.fetchone(
        "SELECT * FROM event_grants WHERE id = ? AND guild_id = ?", (grant_id, guild_id)
    )
    return Grant.from_row(row) if row else None


def _marks(count: int) -> str:
    return ", ".join("?" for _ in range(count))


def by_states_sql(count: int) -> str:
    return (
        "SELECT * FROM event_grants WHERE guild_id = ? "
        f"AND state IN ({_marks(count)}) ORDER BY id LIMIT ? OFFSET ?"
    )


def count_by_states_sql(count: int) -> str:
    return (
        "SELECT count(*) FROM event_grants WHERE guild_id = ? "
        f"AND state IN ({_marks(count)})"
    )


async def by_states(
    db: Database,
    guild_id: int,
    states: tuple[State, ...],
    *,
    limit: int = 25,
    offset: int = 0,
) -> list[Grant]:
    rows = await db.fetchall(
        by_states_sql(len(states)),
        (guild_id, *(s.value for s in states), limit, offset),
    )
    return [Grant.from_row(row) for row in rows]


async def page_by_states(
    db: Database,
    guild_id: int,
    states: tuple[State, ...],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Grant], int]:
    """A page of the requests in ``states`` and how many there are (one read)."""
    values = tuple(s.value for s in states)
    count, rows = await db.fetch_together(
        (count_by_states_sql(len(states)), (guild_id, *values)),
        (by_states_sql(len(states)), (guild_id, *values, limit, offset)),
    )
    return [Grant.from_row(row) for row in rows], int(count[0][0] or 0)


OF_REQUESTER = (
    "SELECT * FROM event_grants WHERE guild_id = ? AND requester_id = ? "
    "ORDER BY id DESC LIMIT ? OFFSET ?"
)
COUNT_OF_REQUESTER = (
    "SELECT count(*) FROM event_grants WHERE guild_id = ? AND requester_id = ?"
)


async def of_requester(
    db: Database,
    guild_id: int,
    requester_id: int,
    *,
    limit: int = 25,
    offset: int = 0,
) -> list[Grant]:
    rows = await db.fetchall(OF_REQUESTER, (guild_id, requester_id, limit, offset))
    return [Grant.from_row(row) for row in rows]


async def count_of_requester(db: Database, guild_id: int, requester_id: int) -> int:
    return int(await db.fetchval(COUNT_OF_REQUESTER, (guild_id, requester_id)))


async def decide(
    db: Database, grant: Grant, reviewer_id: int, to_state: State, note: str | None
) -> tuple[Grant, int] | None:
    """Record a reviewer's decision; ``None`` if someone decided it first."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE event_grants SET state = ?, reviewer_id = ?, note = ?, "
            "decided_at = ?, updated_at = ? "
            "WHERE id = ? AND state IN ('pending', 'needs_info') RETURNING *",
            (to_state.value, reviewer_id, note, now_ts(), now_ts(), grant.id),
        )
        if row is None:
            return None
        updated = Grant.from_row(row)
        audit_id = await _audit(tx, updated, reviewer_id, grant.state, to_state, note)
    return updated, audit_id


async def answer(
    db: Database, grant: Grant, requester_id: int, text: str
) -> Grant | None:
    """The requester answers a needs-info question: back to the review queue."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE event_grants SET state = 'pending', updated_at = ? "
            "WHERE id = ? AND requester_id = ? AND state = 'needs_info' RETURNING *",
            (now_ts(), grant.id, requester_id),
        )
        if row is None:
            return None
        updated = Grant.from_row(row)
        await _audit(tx, updated, requester_id, State.NEEDS_INFO, State.PENDING, text)
    return updated


async def audit_trail(db: Database, grant_id: int) -> list[AuditEntry]:
    rows = await db.fetchall(
        "SELECT * FROM event_grant_audit WHERE grant_id = ? ORDER BY id", (grant_id,)
    )
    return [
        AuditEntry(
            id=row["id"],
            grant_id=row["grant_id"],
            actor_id=row["actor_id"],
            from_state=State(row["from_state"]) if row["from_state"] else None,
            to_state=State(row["to_state"]),
            note=row["note"],
            at=from_ts(row["at"]),
        )
        for row in rows
    ]
