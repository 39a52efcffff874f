"""Every SQL statement of the mentorship job."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.mentorship._logic import DEFAULT_CHECKIN_DAYS
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import page_count
from cogs.mentorship._logic import QUEUE_PAGE_SIZE
from cogs.mentorship._logic import QueueIndex


@dataclass(frozen=True, slots=True)
class Pairing:
    id: int
    guild_id: int
    request_id: int
    mentor_id: int
    mentee_id: int
    state: str
    thread_id: int | None
    claimed_at: int
    closed_at: int | None

    def involves(self, user_id: int) -> bool:
        return user_id in (self.mentor_id, self.mentee_id)


@dataclass(frozen=True, slots=True)
class Stats:
    open_requests: int
    active_pairs: int
    completed: int
    waits: list[int]


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    guild_id: int
    pairs: list[tuple[int, int]]
    state: str


def _profile(row: Row) -> MentorProfile:
    return record(
        MentorProfile,
        row,
        topics=tuple(json.loads(row["topics"])),
        languages=tuple(json.loads(row["languages"])),
        available=bool(row["available"]),
    )


def _request(row: Row) -> MentorRequest:
    return record(
        MentorRequest,
        row,
        topics=tuple(json.loads(row["topics"])),
        languages=tuple(json.loads(row["languages"])),
    )


def _pairing(row: Row) -> Pairing:
    return record(Pairing, row)


_PROFILE_SELECT = (
    "SELECT p.*, (SELECT count(*) FROM mentor_pairings x WHERE x.guild_id = p.guild_id "
    "AND x.mentor_id = p.user_id AND x.state = 'active') AS active "
    "FROM mentor_profiles p"
)


PROFILE = f"{_PROFILE_SELECT} WHERE p.guild_id = ? AND p.user_id = ?"
AVAILABLE_MENTORS = (
    f"{_PROFILE_SELECT} WHERE p.guild_id = ? AND p.available = 1 ORDER BY p.user_id"
)
OPEN_REQUESTS = (
    "SELECT * FROM mentor_requests WHERE guild_id = ? AND state = 'open' "
    "ORDER BY created_at, id"
)
# The weekly digest names the oldest few waiting requests and counts the rest.
UNCLAIMED = (
    "SELECT * FROM mentor_requests WHERE guild_id = ? AND state = 'open' "
    "AND created_at <= ? ORDER BY created_at, id LIMIT ?"
)
UNCLAIMED_COUNT = (
    "SELECT count(*) FROM mentor_requests WHERE guild_id = ? AND state = 'open' "
    "AND created_at <= ?"
)
# The queue index (logic.QueueIndex) follows the open requests through the change
# log that migration 0008's triggers write.
# Two subqueries: min() and max() in one SELECT would read the whole log.
QUEUE_CHANGE_BOUNDS = (
    "SELECT coalesce((SELECT min(seq) FROM mentor_queue_changes), 0) AS lo, "
    "coalesce((SELECT max(seq) FROM mentor_queue_changes), 0) AS hi"
)
QUEUE_CHANGES = (
    "SELECT DISTINCT request_id FROM mentor_queue_changes "
    "WHERE seq > ? AND seq <= ? AND guild_id = ?"
)
_QUEUE_COLUMNS = (
    "id, guild_id, mentee_id, topics, goal, timezone, languages, state, created_at"
)
QUEUE_LOAD = (
    "SELECT id, mentee_id, topics, timezone, languages, created_at "
    "FROM mentor_requests WHERE guild_id = ? AND state = 'open'"
)
#: Requests indexed between two yields to the event loop while loading.
QUEUE_LOAD_CHUNK = 2000
# CROSS JOIN keeps the listed ids outside: one primary-key lookup each, never a walk
# of the guild's requests.
QUEUE_REREAD = (
    f"SELECT {', '.join('r.' + c for c in _QUEUE_COLUMNS.split(', '))}, "
    "NULL AS release_note FROM json_each(?) AS j "
    "CROSS JOIN mentor_requests AS r ON r.id = j.value"
)
REQUESTS_BY_ID = (
    "SELECT r.* FROM json_each(?) AS j CROSS JOIN mentor_requests AS r "
    "ON r.id = j.value WHERE r.guild_id = ?"
)
#: Changed requests above which the index is reloaded rather than patched.
QUEUE_PATCH_LIMIT = 2000
STATS_COUNTS = (
    "SELECT "
    "(SELECT count(*) FROM mentor_requests WHERE guild_id = :g AND state = 'open') "
    "  AS open_requests, "
    "(SELECT count(*) FROM mentor_pairings WHERE guild_id = :g AND state = 'active') "
    "  AS active_pairs, "
    "(SELECT count(*) FROM mentor_pairings WHERE guild_id = :g AND state = 'ended') "
    "  AS completed"
)
# The wait is from the request to its first claim (a release does not reset it).
STATS_WAITS = (
    "SELECT min(p.claimed_at) - r.created_at AS wait FROM mentor_pairings p "
    "JOIN mentor_requests r ON r.id = p.request_id WHERE p.guild_id = ? "
    "GROUP BY p.request_id"
)


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queues: dict[int, QueueIndex] = {}
        self._queue_lock = asyncio.Lock()

    # -- the ranked queue ---------------------------------------------------------------
    async def queue_page(
        self,
        mentor: MentorProfile,
        at: datetime,
        page: int,
        size: int = QUEUE_PAGE_SIZE,
    ) -> tuple[int, list[MentorRequest], int]:
        """One page of the open requests ranked for ``mentor`` (as ``rank_queue``).

        Returns the page number (clamped to the pages there are), its requests and
        how many requests the mentor's queue holds. The ranking runs over the guild's
        queue index, kept in step through the change log; only the page is read.
        """
        async with self._queue_lock:
            index = await self._synced_queue(mentor.guild_id)
            number = max(page, 0)
            ranked, total = index.rank(mentor, at, (number + 1) * size)
            if number >= page_count(total, size):  # past the end: the last page
                number = page_count(total, size) - 1
                ranked, total = index.rank(mentor, at, (number + 1) * size)
        ids = [int(i) for i in ranked[number * size : (number + 1) * size]]
        rows = await self.db.fetchall(
            REQUESTS_BY_ID, (json.dumps(ids), mentor.guild_id)
        )
        by_id = {row["id"]: _request(row) for row in rows}
        return number, [by_id[i] for i in ids if i in by_id], total

    async def _synced_queue(self, guild_id: int) -> QueueIndex:
        bounds = await self.db.fetchone(QUEUE_CHANGE_BOUNDS)
        assert bounds is not None
        lo, hi = int(bounds["lo"]), int(bounds["hi"])
        index = self._queues.get(guild_id)
        if index is not None and index.seq >= lo - 1:
            if hi > index.seq:
                changed = await self.db.fetchall(
                    QUEUE_CHANGES, (index.seq, hi, guild_id)
                )
                if len(changed) > QUEUE_PATCH_LIMIT:
                    index = None
                else:
                    ids = [row["request_id"] for row in changed]
                    rows = await self.db.fetchall(QUEUE_REREAD, (json.dumps(ids),))
                    for request_id in ids:
                        index.discard(request_id)
                    for row in rows:
                        if row["state"] == "open" and row["guild_id"] == guild_id:
                            index.put(_request(row))
            if index is not None:
                index.seq = hi
                return index
        # First use in this process, or too far behind: read the whole queue once.
        # ``hi`` was read first, so a change made meanwhile is applied next time.
        index = QueueIndex()
        rows = await self.db.fetchall(QUEUE_LOAD, (guild_id,))
        # Topic and language lists repeat a lot: parse each distinct text once.
        parsed: dict[str, tuple[str, ...]] = {}

        def parse(text: str) -> tuple[str, ...]:
            value = parsed.get(text)
            if value is None:
                value = parsed[text] = tuple(json.loads(text))
            return value

        for number, row in enumerate(rows, start=1):
            index.put(
                MentorRequest(
                    id=row["id"],
                    guild_id=guild_id,
                    mentee_id=row["mentee_id"],
                    topics=parse(row["topics"]),
                    goal="",
                    timezone=row["timezone"],
                    languages=parse(row["languages"]),
                    state="open",
                    created_at=row["created_at"],
                )
            )
            if number % QUEUE_LOAD_CHUNK == 0:
                # A big queue loads in slices, so commands keep being answered.
                index.flush()
                await asyncio.sleep(0)
        del rows
        index.seq = hi
        self._queues[guild_id] = index
        return index

    async def warm_queue(self, guild_id: int) -> None:
        """Build the guild's queue index ahead of the first /mentor queue."""
        async with self._queue_lock:
            await self._synced_queue(guild_id)

    # -- profiles ---------------------------------------------------------------------
    async def profile(self, guild_id: int, user_id: int) -> MentorProfile | None:
        row = await self.db.fetchone(PROFILE, (guild_id, user_id))
        return None if row is None else _profile(row)

    async def available_mentors(self, guild_id: int) -> list[MentorProfile]:
        rows = await self.db.fetchall(AVAILABLE_MENTORS, (guild_id,))
        return [_profile(row) for row in rows]

    async def save_profile(self, profile: MentorProfile, now: int) -> None:
        await self.db.execute(
            "INSERT INTO mentor_profiles (guild_id, user_id, topics, languages, timezone, "
            "capacity, available, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET topics = excluded.topics, "
            "languages = excluded.languages, timezone = excluded.timezone, "
            "capacity = excluded.capacity, available = excluded.available, "
            "updated_at = excluded.updated_at",
            (
                profile.guild_id,
                profile.user_id,
                json.dumps(list(profile.topics)),
                json.dumps(list(profile.languages)),
                profile.timezone,
                profile.capacity,
                int(profile.available),
                now,
            ),
        )

    # -- requests ---------------------------------------------------------------------
    async def live_request(self, guild_id: int, mentee_id: int) -> MentorRequest | None:
        row = await self.db.fetchone(
            "SELECT * FROM mentor_requests WHERE guild_id = ? AND mentee_id = ? "
            "AND state IN ('open', 'claimed')",
            (guild_id, mentee_id),
        )
        return None if row is None else _request(row)

    async def request(self, guild_id: int, request_id: int) -> MentorRequest | None:
        row = await self.db.fetchone(
            "SELECT * FROM mentor_requests WHERE guild_id = ? AND id = ?",
            (guild_id, request_id),
        )
        return None if row is None else _request(row)

    async def open_requests(self, guild_id: int) -> list[MentorRequest]:
        rows = await self.db.fetchall(OPEN_REQUESTS, (guild_id,))
        return [_request(row) for row in rows]

    async def unclaimed(
        self, guild_id: int, cutoff: int, limit: int
    ) -> tuple[list[MentorRequest], int]:
        """The oldest ``limit`` open requests made by ``cutoff``, and how many there are."""
        rows = await self.db.fetchall(UNCLAIMED, (guild_id, cutoff, limit))
        total = await self.db.fetchval(UNCLAIMED_COUNT, (guild_id, cutoff))
        return [_request(row) for row in rows], int(total)

    async def create_request(
        self,
        *,
        guild_id: int,
        mentee_id: int,
        topics: tuple[str, ...],
        goal: str,
        timezone: str,
        languages: tuple[str, ...],
        now: int,
    ) -> int | None:
        """Insert a request; None when the member already has a live one."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO mentor_requests (guild_id, mentee_id, topics, goal, timezone, "
                "languages, created_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS ("
                "SELECT 1 FROM mentor_requests WHERE guild_id = ? AND mentee_id = ? "
                "AND state IN ('open', 'claimed')) RETURNING id",
                (
                    guild_id,
                    mentee_id,
                    json.dumps(list(topics)),
                    goal,
                    timezone,
                    json.dumps(list(languages)),
                    now,
                    guild_id,
                    mentee_id,
                ),
            )
        return None if row is None else int(row["id"])

    async def cancel_request(self, guild_id: int, mentee_id: int, now: int) -> bool:
        result = await self.db.execute(
            "UPDATE mentor_requests SET state = 'cancelled', closed_at = ? "
            "WHERE guild_id = ? AND mentee_id = ? AND state = 'open'",
            (now, guild_id, mentee_id),
        )
        return result.rowcount == 1

    # -- claiming ---------------------------------------------------------------------
    async def claim(
        self, guild_id: int, request_id: int, mentor_id: int, now: int
    ) -> Pairing | None:
        """Claim an open request for ``mentor_id`` in one conditional UPDATE.

        The request goes from ``open`` to ``claimed`` only if it is still open, is not
        the mentor's own, and the mentor is available with a free slot; the capacity
        is counted inside the same write transaction, so two claims can never both
        win and a mentor can never exceed their capacity. None when it did not win.
        """
        async with self.db.transaction() as tx:
            won = await tx.fetchone(
                "UPDATE mentor_requests SET state = 'claimed', release_note = NULL "
                "WHERE guild_id = :guild AND id = :request AND state = 'open' "
                "AND mentee_id != :mentor "
                "AND (SELECT count(*) FROM mentor_pairings WHERE guild_id = :guild "
                "     AND mentor_id = :mentor AND state = 'active') "
                "  < (SELECT capacity FROM mentor_profiles WHERE guild_id = :guild "
                "     AND user_id = :mentor AND available = 1) "
                "RETURNING mentee_id",
                {"guild": guild_id, "request": request_id, "mentor": mentor_id},
            )
            if won is None:
                return None
            row = await tx.fetchone(
                "INSERT INTO mentor_pairings (guild_id, request_id, mentor_id, mentee_id, "
                "claimed_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                (guild_id, request_id, mentor_id, won["mentee_id"], now),
            )
            assert row is not None
            return _pairing(row)

    async def undo_claim(self, pairing: Pairing, now: int) -> None:
        """Put a request back in the queue when its pair's thread could not be made."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE mentor_pairings SET state = 'released', closed_at = ?, "
                "note = 'thread could not be created' WHERE id = ? AND state = 'active'",
                (now, pairing.id),
            )
            await tx.execute(
                "UPDATE mentor_requests SET state = 'open' WHERE id = ? "
                "AND state = 'claimed'",
                (pairing.request_id,),
            )

    async def set_thread(self, pairing_id: int, thread_id: int) -> None:
        await self.db.execute(
            "UPDATE mentor_pairings SET thread_id = ? WHERE id = ? AND thread_id IS NULL",
            (thread_id, pairing_id),
        )

    # -- pairings ---------------------------------------------------------------------
    async def pairing(self, pairing_id: int) -> Pairing | None:
        row = await self.db.fetchone(
            "SELECT * FROM mentor_pairings WHERE id = ?", (pairing_id,)
        )
        return None if row is None else _pairing(row)

    async def active_pairings_of(self, guild_id: int, user_id: int) -> list[Pairing]:
        rows = await self.db.fetchall(
            "SELECT * FROM mentor_pairings WHERE guild_id = ? AND state = 'active' "
            "AND (mentor_id = ? OR mentee_id = ?) ORDER BY id",
            (guild_id, user_id, user_id),
        )
        return [_pairing(row) for row in rows]

    async def close_pairing(
        self, pairing: Pairing, *, state: str, note: str | None, now: int
    ) -> bool:
        """End (``ended``) or release (``released``) an active pairing, atomically.

        A released request goes back to the queue with the note; an ended one closes.
        """
        request_state = "open" if state == "released" else "ended"
        async with self.db.transaction() as tx:
            done = await tx.execute(
                "UPDATE mentor_pairings SET state = ?, closed_at = ?, note = ? "
                "WHERE id = ? AND state = 'active'",
                (state, now, note, pairing.id),
            )
            if done.rowcount != 1:
                return False
            await tx.execute(
                "UPDATE mentor_requests SET state = ?, release_note = ?, "
                "closed_at = CASE WHEN ? = 'ended' THEN ? ELSE NULL END "
                "WHERE id = ? AND state = 'claimed'",
                (request_state, note, request_state, now, pairing.request_id),
            )
        return True

    # -- check-ins and feedback -------------------------------------------------------
    async def checkin_days(self, guild_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT checkin_days FROM mentor_settings WHERE guild_id = ?", (guild_id,)
        )
        return DEFAULT_CHECKIN_DAYS if value is None else int(value)

    async def set_checkin_days(self, guild_id: int, days: int) -> None:
        await self.db.execute(
            "INSERT INTO mentor_settings (guild_id, checkin_days) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET checkin_days = excluded.checkin_days",
            (guild_id, days),
        )

    async def record_checkin(self, pairing_id: int, seq: int, now: int) -> None:
        await self.db.execute(
            "INSERT INTO mentor_checkins (pairing_id, seq, sent_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (pairing_id, seq, now),
        )

    async def answer_checkin(
        self, pairing_id: int, seq: int, answer: str, user_id: int, now: int
    ) -> bool | None:
        """Record a member's answer; True when it is new or changed, None if no such check-in."""
        async with self.db.transaction() as tx:
            exists = await tx.fetchval(
                "SELECT 1 FROM mentor_checkins WHERE pairing_id = ? AND seq = ?",
                (pairing_id, seq),
            )
            if exists is None:
                return None
            row = await tx.fetchone(
                "INSERT INTO mentor_checkin_answers (pairing_id, seq, user_id, answer, "
                "answered_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pairing_id, seq, user_id) "
                "DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at "
                "WHERE answer != excluded.answer RETURNING answer",
                (pairing_id, seq, user_id, answer, now),
            )
        return row is not None

    async def save_feedback(
        self, pairing_id: int, user_id: int, body: str, now: int
    ) -> None:
        await self.db.execute(
            "INSERT INTO mentor_feedback (pairing_id, user_id, body, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (pairing_id, user_id) DO UPDATE SET "
            "body = excluded.body, created_at = excluded.created_at",
            (pairing_id, user_id, body, now),
        )

    async def feedback(self, pairing_id: int) -> dict[int, str]:
        rows = await self.db.fetchall(
            "SELECT user_id, body FROM mentor_feedback WHERE pairing_id = ?",
            (pairing_id,),
        )
        return {row["user_id"]: row["body"] for row in rows}

    # -- organisers -------------------------------------------------------------------
    async def stats(self, guild_id: int) -> Stats:
        row = await self.db.fetchone(STATS_COUNTS, {"g": guild_id})
        assert row is not None
        waits = await self.db.fetchall(STATS_WAITS, (guild_id,))
        return Stats(
            open_requests=row["open_requests"],
            active_pairs=row["active_pairs"],
            completed=row["completed"],
            waits=[int(w["wait"]) for w in waits],
        )

    async def save_proposal(
        self, guild_id: int, user_id: int, pairs: list[tuple[int, int]], now: int
    ) -> int:
        result = await self.db.execute(
            "INSERT INTO mentor_match_proposals (guild_id, created_by, created_at, pairs) "
            "VALUES (?, ?, ?, ?)",
            (guild_id, user_id, now, json.dumps(pairs)),
        )
        assert result.lastrowid is not None
        return result.lastrowid

    async def take_proposal(self, guild_id: int, proposal_id: int) -> Proposal | None:
        """Mark a proposal confirmed and return it; None if unknown or already done."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE mentor_match_proposals SET state = 'confirmed' "
                "WHERE id = ? AND guild_id = ? AND state = 'proposed' RETURNING *",
                (proposal_id, guild_id),
            )
        if row is None:
            return None
        pairs: list[Any] = json.loads(row["pairs"])
        return Proposal(
            id=row["id"],
            guild_id=row["guild_id"],
            pairs=[(int(a), int(b)) for a, b in pairs],
            state=row["state"],
        )
