from __future__ import annotations

from datetime import datetime
from datetime import UTC
from pathlib import Path

from bot.db import Database
from bot.db import load_migrations
from cogs.chats import _queries as q
from cogs.chats._logic import Cadence


async def test_series_stored_before_weekly_cadences_keep_their_dates(
    tmp_path: Path,
) -> None:
    """The migration that widened cadences keeps every stored series, its phase and
    its occurrences (rebuilding the table would have cascade-deleted them)."""
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        migrations = load_migrations()
        before = next(m.version for m in migrations if m.name.endswith("_recurrence"))
        await db.migrate(migrations[: before - 1])
        async with db.transaction() as tx:
            for name, cadence, week, phase in (
                ("Flask chat", "monthly", 2, 0),
                ("Pallets chat", "quarterly", -1, 1),
            ):
                await tx.execute(
                    "INSERT INTO chat_series (guild_id, name, cadence, weekday, week, "
                    "local_time, timezone, month_phase, duration_minutes, "
                    "location_kind, location_url, lead_days, created_by, created_at) "
                    "VALUES (1, ?, ?, 3, ?, '17:00', 'Europe/Paris', ?, 60, "
                    "'external', 'https://meet.example', 7, 1, 0)",
                    (name, cadence, week, phase),
                )
            await tx.execute(
                "INSERT INTO chat_occurrences (guild_id, series_id, slot_at, "
                "starts_at, ends_at) VALUES (1, 1, 1767888000, 1767888000, 1767891600)"
            )
        await db.migrate()
        monthly, quarterly = await q.all_series(db, 1)
        assert (monthly.cadence, monthly.week) == (Cadence.MONTHLY, 2)
        assert (quarterly.cadence, quarterly.week) == (Cadence.QUARTERLY, -1)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        assert [
            s.date().isoformat() for s in monthly.recurrence.occurrences(now, 2)
        ] == [
            "2026-01-08",
            "2026-02-12",
        ]
        # phase 1: February, May, August, November; the last Thursday
        assert [
            s.date().isoformat() for s in quarterly.recurrence.occurrences(now, 2)
        ] == ["2026-02-26", "2026-05-28"]
        assert len(await q.all_occurrences(db, monthly.id)) == 1
    finally:
        await db.close()
