"""Every SQL statement of the mentorship job."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.mentorship._logic import DEFAULT_CHECKIN_DAYS
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import QueueSlice
from cogs.mentorship._logic import WAIT_THRESHOLDS


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
# The timezones of the available mentors, for SUGGESTED_MENTORS' closeness.
MENTOR_TIMEZONES = (
    "SELECT DISTINCT timezone FROM mentor_profiles WHERE guild_id = ? AND available = 1"
)
# The mentors logic.suggest_mentors picks for a request, picked by SQLite: available
# with room, not the mentee, sharing a topic; best fit first (Fit's order: shared
# topics, the timezone's closeness as :closeness maps it, a shared language; the
# request's wait is the same for all), then the smaller user id.
SUGGESTED_MENTORS = (
    "WITH wanted AS (SELECT value FROM json_each(:topics)), "
    "spoken AS (SELECT value FROM json_each(:languages)), "
    "zones AS (SELECT key AS zone, value AS closeness FROM json_each(:closeness)), "
    "mentors AS ("
    f"{_PROFILE_SELECT} WHERE p.guild_id = :guild AND p.available = 1 "
    "AND p.user_id != :mentee), "
    "scored AS (SELECT m.*, "
    "(SELECT count(DISTINCT t.value) FROM json_each(m.topics) AS t "
    " WHERE t.value IN wanted) AS overlap, "
    "EXISTS (SELECT 1 FROM json_each(m.languages) AS l WHERE l.value IN spoken) "
    " AS shared, "
    "z.closeness AS closeness FROM mentors AS m JOIN zones AS z ON z.zone = m.timezone) "
    "SELECT * FROM scored WHERE overlap > 0 AND capacity > active "
    "ORDER BY overlap DESC, closeness DESC, shared DESC, user_id LIMIT :limit"
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
# The queue index (_columns.QueueIndex, kept by the engine) follows the open requests through the change
# log that migration 0008's triggers write.
# Two subqueries: min() and max() in one SELECT would read the whole log.
QUEUE_CHANGE_BOUNDS = (
    "SELECT coalesce((SELECT min(seq) FROM mentor_queue_changes), 0) AS lo, "
    "coalesce((SELECT max(seq) FROM mentor_queue_changes), 0) AS hi"
)
# A mentor's profile (none: NULLs) and the change log's bounds, in one trip: what
# each page of their queue reads first.
PROFILE_WITH_QUEUE_BOUNDS = (
    f"SELECT b.lo, b.hi, p.* FROM ({QUEUE_CHANGE_BOUNDS}) AS b "
    f"LEFT JOIN ({PROFILE}) AS p ON 1"
)
QUEUE_CHANGES = (
    "SELECT DISTINCT request_id FROM mentor_queue_changes "
    "WHERE seq > ? AND seq <= ? AND guild_id = ?"
)
_QUEUE_COLUMNS = (
    "id, guild_id, mentee_id, topics, goal, timezone, languages, state, created_at"
)
# The open requests in the order of their index, a slice at a time: each slice
# starts after the last one's (created_at, id), so none is read twice. One row a
# slice, each column a JSON list, so Python makes no object per request.
QUEUE_LOAD = (
    "SELECT json_group_array(id) AS ids, json_group_array(mentee_id) AS mentees, "
    "json_group_array(created_at) AS created, "
    "json_group_array(topics || char(31) || timezone || char(31) || languages) "
    "AS profiles FROM (SELECT id, mentee_id, topics, timezone, languages, created_at "
    "FROM mentor_requests WHERE guild_id = ? AND state = 'open' "
    "AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?)"
)
#: Requests read (and indexed) between two yields to the event loop while loading:
#: a slice costs about a millisecond of the loop's time.
QUEUE_LOAD_CHUNK = 1000
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


# -- the queue index's reads (the index itself is the engine's) -------------------------
async def queue_change_bounds(db: Database) -> tuple[int, int]:
    """The lowest and highest sequence numbers in the queue's change log."""
    bounds = await db.fetchone(QUEUE_CHANGE_BOUNDS)
    assert bounds is not None
    return int(bounds["lo"]), int(bounds["hi"])


async def profile_with_queue_bounds(
    db: Database, guild_id: int, user_id: int
) -> tuple[MentorProfile | None, tuple[int, int]]:
    """:func:`profile` and :func:`queue_change_bounds`, read at once."""
    row = await db.fetchone(PROFILE_WITH_QUEUE_BOUNDS, (guild_id, user_id))
    assert row is not None
    found = None if row["user_id"] is None else _profile(row)
    return found, (int(row["lo"]), int(row["hi"]))


async def queue_changes(
    db: Database, guild_id: int, after: int, upto: int
) -> list[int]:
    """Ids of the guild's requests changed after change ``after``, up to ``upto``."""
    rows = await db.fetchall(QUEUE_CHANGES, (after, upto, guild_id))
    return [int(row["request_id"]) for row in rows]


async def queue_reread(db: Database, ids: list[int]) -> list[MentorRequest]:
    """The listed requests as they are now (any state, any guild; no notes)."""
    rows = await db.fetchall(QUEUE_REREAD, (json.dumps(ids),))
    return [_request(row) for row in rows]


async def open_queue(
    db: Database, guild_id: int, chunk: int = QUEUE_LOAD_CHUNK
) -> AsyncIterator[QueueSlice]:
    """The guild's open requests as the queue index loads them, ``chunk`` at a time.

    Each slice is one short read, so a big queue loads while commands keep being
    answered (the caller yields between slices).
    """
    after: tuple[int, int] = (-(2**63), 0)
    while True:
        row = await db.fetchone(QUEUE_LOAD, (guild_id, *after, chunk))
        assert row is not None  # an aggregate: one row, of empty lists at the end
        part = QueueSlice(
            ids=json.loads(row["ids"]),
            mentees=json.loads(row["mentees"]),
            created=json.loads(row["created"]),
            profiles=json.loads(row["profiles"]),
        )
        if not part.ids:
            return
        yield part
        if len(part.ids) < chunk:
            return
        after = (part.created[-1], part.ids[-1])


async def requests_by_id(
    db: Database, guild_id: int, ids: list[int]
) -> list[MentorRequest]:
    """The guild's requests with these ids, in the order given (missing ones left out)."""
    rows = await db.fetchall(REQUESTS_BY_ID, (json.dumps(ids), guild_id))
    by_id = {row["id"]: _request(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


# -- profiles ---------------------------------------------------------------------
async def profile(db: Database, guild_id: int, user_id: int) -> MentorProfile | None:
    row = await db.fetchone(PROFILE, (guild_id, user_id))
    return None if row is None else _profile(row)


async def available_mentors(db: Database, guild_id: int) -> list[MentorProfile]:
    rows = await db.fetchall(AVAILABLE_MENTORS, (guild_id,))
    return [_profile(row) for row in rows]


async def mentor_timezones(db: Database, guild_id: int) -> list[str]:
    """The timezones the guild's available mentors are in."""
    rows = await db.fetchall(MENTOR_TIMEZONES, (guild_id,))
    return [str(row["timezone"]) for row in rows]


async def suggested_mentors(
    db: Database, request: MentorRequest, closeness: dict[str, int], limit: int
) -> list[MentorProfile]:
    """As :func:`~cogs.mentorship._logic.suggest_mentors`, every available mentor
    scored by SQLite (off the event loop, no Python object per mentor).

    :param closeness: per timezone of the available mentors, how close it is to
        the request's (``closeness_by_zone``; a mentor in another is left out).
    """
    rows = await db.fetchall(
        SUGGESTED_MENTORS,
        {
            "guild": request.guild_id,
            "mentee": request.mentee_id,
            "topics": json.dumps(list(request.topics)),
            "languages": json.dumps(list(request.languages)),
            "closeness": json.dumps(closeness),
            "limit": limit,
        },
    )
    return [_profile(row) for row in rows]


async def save_profile(db: Database, profile: MentorProfile, now: int) -> None:
    await db.execute(
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
async def live_request(
    db: Database, guild_id: int, mentee_id: int
) -> MentorRequest | None:
    row = await db.fetchone(
        "SELECT * FROM mentor_requests WHERE guild_id = ? AND mentee_id = ? "
        "AND state IN ('open', 'claimed')",
        (guild_id, mentee_id),
    )
    return None if row is None else _request(row)


async def request(db: Database, guild_id: int, request_id: int) -> MentorRequest | None:
    row = await db.fetchone(
        "SELECT * FROM mentor_requests WHERE guild_id = ? AND id = ?",
        (guild_id, request_id),
    )
    return None if row is None else _request(row)


async def open_requests(db: Database, guild_id: int) -> list[MentorRequest]:
    rows = await db.fetchall(OPEN_REQUESTS, (guild_id,))
    return [_request(row) for row in rows]


async def unclaimed(
    db: Database, guild_id: int, cutoff: int, limit: int
) -> tuple[list[MentorRequest], int]:
    """The oldest ``limit`` open requests made by ``cutoff``, and how many there are."""
    rows = await db.fetchall(UNCLAIMED, (guild_id, cutoff, limit))
    total = await db.fetchval(UNCLAIMED_COUNT, (guild_id, cutoff))
    return [_request(row) for row in rows], int(total)


async def create_request(
    db: Database,
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
    async with db.transaction() as tx:
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


async def cancel_request(db: Database, guild_id: int, mentee_id: int, now: int) -> bool:
    result = await db.execute(
        "UPDATE mentor_requests SET state = 'cancelled', closed_at = ? "
        "WHERE guild_id = ? AND mentee_id = ? AND state = 'open'",
        (now, guild_id, mentee_id),
    )
    return result.rowcount == 1


# -- claiming ---------------------------------------------------------------------
async def claim(
    db: Database, guild_id: int, request_id: int, mentor_id: int, now: int
) -> Pairing | None:
    """Claim an open request for ``mentor_id`` in one conditional UPDATE.

    The request goes from ``open`` to ``claimed`` only if it is still open, is not
    the mentor's own, and the mentor is available with a free slot; the capacity
    is counted inside the same write transaction, so two claims can never both
    win and a mentor can never exceed their capacity. None when it did not win.
    """
    async with db.transaction() as tx:
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


async def undo_claim(db: Database, pairing: Pairing, now: int) -> None:
    """Put a request back in the queue when its pair's thread could not be made."""
    async with db.transaction() as tx:
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


async def set_thread(db: Database, pairing_id: int, thread_id: int) -> None:
    await db.execute(
        "UPDATE mentor_pairings SET thread_id = ? WHERE id = ? AND thread_id IS NULL",
        (thread_id, pairing_id),
    )


async def threadless_pairings(db: Database) -> list[Pairing]:
    """Active pairings with no thread recorded (a claim cut short)."""
    rows = await db.fetchall(
        "SELECT * FROM mentor_pairings WHERE state = 'active' AND thread_id IS NULL "
        "ORDER BY id"
    )
    return [_pairing(row) for row in rows]


# -- pairings ---------------------------------------------------------------------
async def pairing(db: Database, pairing_id: int) -> Pairing | None:
    row = await db.fetchone("SELECT * FROM mentor_pairings WHERE id = ?", (pairing_id,))
    return None if row is None else _pairing(row)


async def active_pairings_of(
    db: Database, guild_id: int, user_id: int
) -> list[Pairing]:
    rows = await db.fetchall(
        "SELECT * FROM mentor_pairings WHERE guild_id = ? AND state = 'active' "
        "AND (mentor_id = ? OR mentee_id = ?) ORDER BY id",
        (guild_id, user_id, user_id),
    )
    return [_pairing(row) for row in rows]


async def close_pairing(
    db: Database, pairing: Pairing, *, state: str, note: str | None, now: int
) -> bool:
    """End (``ended``) or release (``released``) an active pairing, atomically.

    A released request goes back to the queue with the note; an ended one closes.
    """
    request_state = "open" if state == "released" else "ended"
    async with db.transaction() as tx:
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
# The digest's fingerprint (logic.digest_fingerprint) of the open requests made by
# :cutoff, written by SQLite as "id:stage;" in id order, a slice after :after at a
# time: a big queue is one short string per slice, not a Python object per request.
# NOT INDEXED: the slices follow the rowid, so each continues where the last ended.
_STAGE = " + ".join(
    f"((:now - created_at) / 86400 >= {days})" for days in WAIT_THRESHOLDS
)
WAITING_STAGES = (
    "SELECT group_concat(id || ':' || stage || ';', '') AS text, max(id) AS last, "
    "count(*) AS n FROM (SELECT id, "
    f"{_STAGE} AS stage FROM mentor_requests NOT INDEXED "
    "WHERE id > :after AND guild_id = :guild AND state = 'open' "
    "AND created_at <= :cutoff ORDER BY id LIMIT :limit)"
)
#: Requests written per slice of the fingerprint.
STAGES_CHUNK = 20_000


async def waiting_stages(
    db: Database, guild_id: int, cutoff: int, now: int, chunk: int = STAGES_CHUNK
) -> AsyncIterator[str]:
    """The fingerprint's text of every open request made by ``cutoff``, in slices
    (the caller yields between them)."""
    after = -(2**63)
    while True:
        row = await db.fetchone(
            WAITING_STAGES,
            {
                "after": after,
                "guild": guild_id,
                "cutoff": cutoff,
                "now": now,
                "limit": chunk,
            },
        )
        if row is None or not row["n"]:
            return
        yield str(row["text"])
        if row["n"] < chunk:
            return
        after = int(row["last"])


async def digest_fingerprint(db: Database, guild_id: int) -> str | None:
    """The fingerprint of the last digest posted (None: none yet)."""
    value = await db.fetchval(
        "SELECT digest_fingerprint FROM mentor_settings WHERE guild_id = ?",
        (guild_id,),
    )
    return None if value is None else str(value)


async def record_digest(db: Database, guild_id: int, fingerprint: str, at: int) -> None:
    await db.execute(
        "INSERT INTO mentor_settings (guild_id, digest_fingerprint, digest_at) "
        "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "digest_fingerprint = excluded.digest_fingerprint, "
        "digest_at = excluded.digest_at",
        (guild_id, fingerprint, at),
    )


async def checkin_days(db: Database, guild_id: int) -> int:
    value = await db.fetchval(
        "SELECT checkin_days FROM mentor_settings WHERE guild_id = ?", (guild_id,)
    )
    return DEFAULT_CHECKIN_DAYS if value is None else int(value)


async def set_checkin_days(db: Database, guild_id: int, days: int) -> None:
    await db.execute(
        "INSERT INTO mentor_settings (guild_id, checkin_days) VALUES (?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET checkin_days = excluded.checkin_days",
        (guild_id, days),
    )


async def record_checkin(db: Database, pairing_id: int, seq: int, now: int) -> None:
    await db.execute(
        "INSERT INTO mentor_checkins (pairing_id, seq, sent_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (pairing_id, seq, now),
    )


async def answer_checkin(
    db: Database, pairing_id: int, seq: int, answer: str, user_id: int, now: int
) -> bool | None:
    """Record a member's answer; True when it is new or changed, None if no such check-in."""
    async with db.transaction() as tx:
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
    db: Database, pairing_id: int, user_id: int, body: str, now: int
) -> None:
    await db.execute(
        "INSERT INTO mentor_feedback (pairing_id, user_id, body, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (pairing_id, user_id) DO UPDATE SET "
        "body = excluded.body, created_at = excluded.created_at",
        (pairing_id, user_id, body, now),
    )


async def feedback(db: Database, pairing_id: int) -> dict[int, str]:
    rows = await db.fetchall(
        "SELECT user_id, body FROM mentor_feedback WHERE pairing_id = ?",
        (pairing_id,),
    )
    return {row["user_id"]: row["body"] for row in rows}


# -- organisers -------------------------------------------------------------------
async def stats(db: Database, guild_id: int) -> Stats:
    row = await db.fetchone(STATS_COUNTS, {"g": guild_id})
    assert row is not None
    waits = await db.fetchall(STATS_WAITS, (guild_id,))
    return Stats(
        open_requests=row["open_requests"],
        active_pairs=row["active_pairs"],
        completed=row["completed"],
        waits=[int(w["wait"]) for w in waits],
    )


async def save_proposal(
    db: Database, guild_id: int, user_id: int, pairs: list[tuple[int, int]], now: int
) -> int:
    result = await db.execute(
        "INSERT INTO mentor_match_proposals (guild_id, created_by, created_at, pairs) "
        "VALUES (?, ?, ?, ?)",
        (guild_id, user_id, now, json.dumps(pairs)),
    )
    assert result.lastrowid is not None
    return result.lastrowid


async def take_proposal(
    db: Database, guild_id: int, proposal_id: int, request_ids: set[int] | None = None
) -> Proposal | None:
    """Take the pairs of ``request_ids`` (every pair: None) out of a proposal and
    return them; the proposal is confirmed once none is left. None if it is unknown
    or already confirmed; no pairs when those were taken already."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT * FROM mentor_match_proposals "
            "WHERE id = ? AND guild_id = ? AND state = 'proposed'",
            (proposal_id, guild_id),
        )
        if row is None:
            return None
        stored: list[Any] = json.loads(row["pairs"])
        pairs = [(int(a), int(b)) for a, b in stored]
        taken = [p for p in pairs if request_ids is None or p[0] in request_ids]
        left = [p for p in pairs if p not in taken]
        await tx.execute(
            "UPDATE mentor_match_proposals SET pairs = ?, state = ? WHERE id = ?",
            (json.dumps(left), "proposed" if left else "confirmed", proposal_id),
        )
    return Proposal(
        id=row["id"],
        guild_id=row["guild_id"],
        pairs=taken,
        state="proposed" if left else "confirmed",
    )


async def give_back_pairs(
    db: Database, proposal_id: int, pairs: list[tuple[int, int]]
) -> None:
    """Put pairs that could not be made back into their proposal, to confirm later."""
    if not pairs:
        return
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT pairs FROM mentor_match_proposals WHERE id = ?", (proposal_id,)
        )
        if row is None:
            return
        stored: list[Any] = json.loads(row["pairs"])
        left = [(int(a), int(b)) for a, b in stored]
        left += [p for p in pairs if p not in left]
        await tx.execute(
            "UPDATE mentor_match_proposals SET pairs = ?, state = 'proposed' "
            "WHERE id = ?",
            (json.dumps(left), proposal_id),
        )


# -- organisers the bot has seen ---------------------------------------------------------
async def seen_organisers(db: Database, guild_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM seen_organisers WHERE guild_id = ? ORDER BY user_id",
        (guild_id,),
    )
    return [int(row["user_id"]) for row in rows]


async def remember_organiser(
    db: Database, guild_id: int, user_id: int, now: int
) -> None:
    await db.execute(
        "INSERT INTO seen_organisers (guild_id, user_id, seen_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
        (guild_id, user_id, now),
    )


async def forget_organiser(db: Database, guild_id: int, user_id: int) -> None:
    await db.execute(
        "DELETE FROM seen_organisers WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
