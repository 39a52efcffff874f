from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.db import load_migrations


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("PALLETS_BOT_TOKEN", "DISCORD_TOKEN", "PALLETS_BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "PALLETS_BOT_DATABASE_PATH", str(tmp_path / "db" / "bot.sqlite3")
    )
    return CliRunner()


def test_run_without_a_token_exits_2_and_points_at_the_playground(
    runner: CliRunner,
) -> None:
    result = runner.invoke(main, ["run"])
    assert result.exit_code == 2
    assert "PALLETS_BOT_TOKEN" in result.output
    assert "pallets-bot playground" in result.output


def test_malformed_setting_is_a_one_line_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PALLETS_BOT_LOG_LEVEL", "LOUD")
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert "PALLETS_BOT_LOG_LEVEL" in result.output


def test_check_on_a_fresh_clone_says_run_creates_the_database(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "configuration ok" in result.output
    path = tmp_path / "db" / "bot.sqlite3"
    assert (
        f"no database yet: pallets-bot run will create {path} and apply the "
        f"{len(load_migrations())} migrations"
    ) in result.output
    # Checking changes nothing: no file, no folder, no lock.
    assert not (tmp_path / "db").exists()


def test_migrate_then_check_then_backup(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "applied 0001_core" in result.output
    result = runner.invoke(main, ["migrate"])
    assert "up to date" in result.output
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert f"schema version {len(load_migrations())}" in result.output
    result = runner.invoke(main, ["backup", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        version = copy.execute("PRAGMA user_version").fetchone()[0]
    assert version == len(load_migrations())


def test_check_reports_a_corrupt_database(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "db" / "bot.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"garbage" * 1000)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 12
    assert "cannot open the database" in result.output
