"""Daily backups: scheduled, pruned, and restorable; restore refuses while running."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path

import pytest
import simcord
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bot import backups
from bot.app import PalletsBot
from bot.cli import main
from bot.db import DatabaseLocked
from bot.devtools import testing
from bot.devtools.testing import World
from bot.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return testing.test_settings(
        tmp_path, backup_dir=tmp_path / "backups", backup_keep=2
    )


def guild_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(
            conn.execute(
                "SELECT guild_id, log_channel_id, organiser_role_id "
                "FROM guild_settings ORDER BY guild_id"
            )
        )
    finally:
        conn.close()


@given(st.datetimes(timezones=st.just(UTC)))
def test_next_backup_is_within_a_day_and_at_the_backup_time(now: datetime) -> None:
    due = backups.next_backup_at(now)
    assert now < due <= now + timedelta(days=1)
    assert due.time() == backups.BACKUP_TIME


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        (tmp_path / backups.backup_name(start + timedelta(days=day))).write_bytes(b"")
    (tmp_path / "unrelated.txt").write_text("keep me")
    removed = backups.prune(tmp_path, 2)
    assert len(removed) == 3
    assert [p.name for p in backups.list_backups(tmp_path)] == [
        backups.backup_name(start + timedelta(days=3)),
        backups.backup_name(start + timedelta(days=4)),
    ]
    assert (tmp_path / "unrelated.txt").exists()


async def test_daily_backups_run_keep_the_last_n_and_restore(
    simcord_env: simcord.Env, world: World, settings: Settings, tmp_path: Path
) -> None:
    assert settings.backup_dir is not None
    assert backups.list_backups(settings.backup_dir) == []
    # The clock starts at 00:00 UTC: the first backup is at 03:30, then daily.
    await simcord_env.advance_time(4 * 3600)
    first = backups.list_backups(settings.backup_dir)
    assert len(first) == 1
    expected = guild_rows(settings.database_path)
    assert expected and guild_rows(first[0]) == expected

    for _ in range(3):
        await simcord_env.advance_time(24 * 3600)
    kept = backups.list_backups(settings.backup_dir)
    assert len(kept) == 2  # backup_keep
    assert first[0] not in kept

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    # A running bot holds the database: restore refuses and changes nothing.
    with pytest.raises(DatabaseLocked, match="stop the bot"):
        backups.restore(kept[-1], settings.database_path)
    result = CliRunner().invoke(
        main,
        ["restore", "--yes", str(kept[-1])],
        env={"PALLETS_BOT_DATABASE_PATH": str(settings.database_path)},
    )
    assert result.exit_code == DatabaseLocked.exit_code  # 11: in use
    assert "stop the bot" in result.output

    # After a change and a stop, restoring brings the backed-up rows back.
    await bot.guild_config.update(world.guild.id, log_channel_id=None)
    await simcord_env.settle()
    await bot.stop_services()
    assert guild_rows(settings.database_path) != expected
    result = CliRunner().invoke(
        main,
        ["restore", "--yes", str(kept[-1])],
        env={"PALLETS_BOT_DATABASE_PATH": str(settings.database_path)},
    )
    assert result.exit_code == 0, result.output
    assert "previous database was kept" in result.output
    assert guild_rows(settings.database_path) == expected
    befores = list(tmp_path.glob("*.before-restore-*"))
    assert len(befores) == 1
    assert guild_rows(befores[0]) != expected

    # The restored database opens: the bot starts on it.
    await testing.restart(simcord_env, settings)
    new_bot = simcord_env.bot
    assert isinstance(new_bot, PalletsBot)
    assert (
        await new_bot.guild_config.get(world.guild.id)
    ).log_channel_id == world.log.id


def test_restore_refuses_something_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("not a database" * 100)
    with pytest.raises(backups.RestoreError):
        backups.restore(bogus, tmp_path / "db.sqlite3")
    assert not (tmp_path / "db.sqlite3").exists()
