"""The digest's fingerprint as SQLite writes it is the reference fingerprint."""

from __future__ import annotations

import random
from pathlib import Path

from bot.db import Database
from cogs.mentorship import _logic as logic
from cogs.mentorship import _queries as q

NOW = 1_780_000_000
DAY = 86_400


async def test_waiting_stages_fingerprint_as_the_reference(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        await db.migrate()
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
    finally:
        await db.close()
