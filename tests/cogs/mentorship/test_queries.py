"""The mentorship SQL that does a rule's work (the digest's fingerprint and
suggestions, the queue index's load) agrees with the reference rules in _logic."""

from __future__ import annotations

import json
import random
from datetime import datetime
from datetime import UTC

from bot.db import Database
from cogs.mentorship import _logic as logic
from cogs.mentorship import _queries as q
from cogs.mentorship._columns import QueueIndex
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest

NOW = 1_780_000_000
DAY = 86_400


async def test_waiting_stages_fingerprint_as_the_reference(db: Database) -> None:
    rng = random.Random(5)
    rows = []
    for request_id in rng.sample(range(1, 10_000), 300):
        rows.append(
            (
                request_id,
                rng.choice((1, 1, 1, 2)),  # another guild's now and then
                request_id,
                rng.choice(("open", "open", "claimed", "cancelled")),
                NOW - rng.randrange(0, 90 * DAY),
            )
        )
    await db.executemany(
        "INSERT INTO mentor_requests (id, guild_id, mentee_id, topics, goal, "
        "timezone, languages, state, created_at) "
        "VALUES (?, ?, ?, '[]', '', 'UTC', '[]', ?, ?)",
        rows,
    )
    cutoff = NOW - 7 * DAY
    waiting = [
        (request_id, created)
        for request_id, guild, _mentee, state, created in rows
        if guild == 1 and state == "open" and created <= cutoff
    ]
    parts = [part async for part in q.waiting_stages(db, 1, cutoff, NOW, chunk=7)]
    assert len(parts) > 3  # read in slices
    assert logic.fingerprint_of(parts) == logic.digest_fingerprint(waiting, NOW)
    assert [p async for p in q.waiting_stages(db, 3, cutoff, NOW)] == []


ZONES = ("UTC", "Europe/Paris", "Europe/London", "America/New_York", "Asia/Kolkata")
TOPICS = ("flask", "jinja", "click", "testing")
LANGS = ("english", "french", 'odd "quote\\', "español")


def _some(rng: random.Random, values: tuple[str, ...], most: int) -> tuple[str, ...]:
    return tuple(rng.sample(values, rng.randint(0, most)))


async def test_suggested_mentors_are_suggest_mentors(db: Database) -> None:
    rng = random.Random(7)
    mentors = []
    for user_id in range(1, 80):
        mentor = MentorProfile(
            guild_id=rng.choice((1, 1, 1, 2)),  # another guild's now and then
            user_id=user_id,
            topics=_some(rng, TOPICS, 3),
            languages=_some(rng, LANGS, 2),
            timezone=rng.choice(ZONES),
            capacity=rng.randint(0, 2),
            available=rng.random() < 0.8,
            active=rng.randint(0, 2),
        )
        await q.save_profile(db, mentor, NOW)
        for n in range(mentor.active):
            request_id = user_id * 10 + n
            await db.execute(
                "INSERT INTO mentor_requests (id, guild_id, mentee_id, topics, "
                "goal, timezone, languages, state, created_at) "
                "VALUES (?, ?, ?, '[]', '', 'UTC', '[]', 'claimed', ?)",
                (request_id, mentor.guild_id, 1000 + request_id, NOW),
            )
            await db.execute(
                "INSERT INTO mentor_pairings (guild_id, request_id, mentor_id, "
                "mentee_id, claimed_at) VALUES (?, ?, ?, ?, ?)",
                (mentor.guild_id, request_id, user_id, 1000 + request_id, NOW),
            )
        mentors.append(mentor)
    ours = [m for m in mentors if m.guild_id == 1]
    zones = await q.mentor_timezones(db, 1)
    assert set(zones) <= set(ZONES) and len(zones) == len(set(zones))
    # Either side of Europe's move to summer time (01:00 UTC on 29 March).
    for at in (
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    ):
        for n in range(60):
            request = MentorRequest(
                id=5000 + n,
                guild_id=1,
                mentee_id=rng.choice((rng.randint(1, 79), 9999)),  # a mentor's own
                topics=_some(rng, TOPICS, 3),
                goal="",
                timezone=rng.choice(ZONES),
                languages=_some(rng, LANGS, 2),
                state="open",
                created_at=NOW - DAY,
            )
            closeness = logic.closeness_by_zone(zones, request.timezone, at)
            for limit in (1, 3, 5):
                expected = logic.suggest_mentors(request, ours, at, limit)
                got = await q.suggested_mentors(db, request, closeness, limit)
                assert got == expected


async def test_queue_index_loaded_from_sql_ranks_as_rank_queue(db: Database) -> None:
    rng = random.Random(11)
    for request_id in range(1, 400):
        topics = _some(rng, TOPICS, 3)  # in any order: the same set ranks alike
        await db.execute(
            "INSERT INTO mentor_requests (id, guild_id, mentee_id, topics, goal, "
            "timezone, languages, state, created_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)",
            (
                request_id,
                rng.choice((1, 1, 1, 2)),  # another guild's now and then
                request_id,  # one live request a member
                json.dumps(list(topics)),
                rng.choice(ZONES),
                json.dumps(list(_some(rng, LANGS, 2))),
                rng.choice(("open", "open", "open", "claimed", "cancelled")),
                # Some at the same second: the id breaks the tie.
                rng.choice((NOW - DAY, NOW - rng.randrange(0, 60 * DAY))),
            ),
        )
    index = QueueIndex()
    slices = 0
    async for part in q.open_queue(db, 1, chunk=7):
        index.load_slice(part)
        slices += 1
    index.flush()
    assert slices > 10  # read in slices
    requests = await q.open_requests(db, 1)
    assert len(index) == len(requests)
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    for user_id in (1, 2, 3, 600):  # a mentor with a request of their own, or not
        mentor = MentorProfile(
            guild_id=1,
            user_id=user_id,
            topics=_some(rng, TOPICS, 2),
            languages=_some(rng, LANGS, 2),
            timezone=rng.choice(ZONES),
            capacity=1,
            available=True,
        )
        expected = [r.id for r in logic.rank_queue(mentor, requests, at)]
        ranked, total = index.rank(mentor, at)
        assert ranked.tolist() == expected and total == len(expected)


async def test_profile_with_queue_bounds_reads_both_at_once(db: Database) -> None:
    mentor = MentorProfile(1, 7, ("flask",), ("english",), "UTC", 2, True)
    await q.save_profile(db, mentor, NOW)
    for mentee in (1, 2):
        await q.create_request(
            db,
            guild_id=1,
            mentee_id=mentee,
            topics=("flask",),
            goal="goal",
            timezone="UTC",
            languages=(),
            now=NOW,
        )
    bounds = await q.queue_change_bounds(db)
    assert bounds[1] > 0
    assert await q.profile_with_queue_bounds(db, 1, 7) == (mentor, bounds)
    assert await q.profile_with_queue_bounds(db, 1, 8) == (None, bounds)
    assert await q.profile_with_queue_bounds(db, 2, 7) == (None, bounds)
