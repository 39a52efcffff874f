from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import Database
from bot.db import DatabaseError
from bot.db import DatabaseLocked
from bot.db import DatabaseTooNew
from bot.db import load_migrations


async def open_db(path: Path) -> Database:
    db = Database(path)
    await db.open()
    return db


async def test_migrations_apply_from_empty(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "new" / "bot.sqlite3")
    try:
        applied = await db.migrate()
        assert applied == [m.name for m in load_migrations()]
        assert await db.schema_version() == len(load_migrations())
        assert await db.migrate() == []
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(len(load_migrations())))
async def test_migrations_apply_from_every_earlier_version(
    tmp_path: Path, start: int
) -> None:
    migrations = load_migrations()
    db = await open_db(tmp_path / "bot.sqlite3")
    try:
        await db.migrate(migrations[:start])
        assert await db.schema_version() == start
        await db.migrate(migrations)
        assert await db.schema_version() == len(migrations)
        fresh = await open_db(tmp_path / "fresh.sqlite3")
        try:
            await fresh.migrate(migrations)
            schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
            assert await db.fetchall(schema) is not None
            assert [tuple(r) for r in await db.fetchall(schema)] == [
                tuple(r) for r in await fresh.fetchall(schema)
            ]
        finally:
            await fresh.close()
    finally:
        await db.close()


async def test_second_process_on_the_same_database_is_refused(tmp_path: Path) -> None:
    first = await open_db(tmp_path / "bot.sqlite3")
    try:
        with pytest.raises(DatabaseLocked, match="in use by pallets-bot"):
            await open_db(tmp_path / "bot.sqlite3")
    finally:
        await first.close()
    again = await open_db(tmp_path / "bot.sqlite3")
    await again.close()


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    db = await open_db(path)
    try:
        with pytest.raises(DatabaseTooNew, match="schema version 999"):
            await db.migrate()
    finally:
        await db.close()


async def test_corrupt_database_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="cannot open the database"):
        await open_db(path)


async def test_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "bot.sqlite3")
    try:
        await db.migrate()
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
                raise RuntimeError("boom")
        assert await db.fetchval("SELECT count(*) FROM meta WHERE key = 'a'") == 0
        async with db.transaction() as outer:
            await outer.execute("INSERT INTO meta (key, value) VALUES ('b', '1')")
            async with db.transaction() as inner:
                assert inner is outer
            assert await db.fetchval("SELECT value FROM meta WHERE key = 'b'") == "1"
    finally:
        await db.close()


async def test_online_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "bot.sqlite3")
    try:
        await db.migrate()
        await db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        await db.backup(tmp_path / "backups" / "copy.sqlite3")
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "backups" / "copy.sqlite3") as copy:
        assert copy.execute("SELECT value FROM meta WHERE key = 'x'").fetchone() == (
            "y",
        )


async def test_reads_together_see_one_state_and_their_transaction(
    tmp_path: Path,
) -> None:
    db = await open_db(tmp_path / "bot.sqlite3")
    try:
        await db.migrate()
        await db.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        count, rows = await db.fetch_together(
            ("SELECT count(*) FROM meta WHERE key = ?", ("x",)),
            ("SELECT value FROM meta WHERE key = ?", ("x",)),
        )
        assert count[0][0] == 1 and [r["value"] for r in rows] == ["1"]
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('y', '2')")
            (inside,) = await db.fetch_together(("SELECT count(*) FROM meta", ()))
            assert inside[0][0] == await tx.fetchval("SELECT count(*) FROM meta")
        # The reader is back to autocommit: a later write is seen at once.
        await db.execute("INSERT INTO meta (key, value) VALUES ('z', '3')")
        assert await db.fetchval("SELECT count(*) FROM meta WHERE key = 'z'") == 1
    finally:
        await db.close()
