"""The shipped deployment files: configuration reference, systemd unit, log format."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import logs
from bot.devtools import settings_doc
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "pallets-bot.service"


def test_configuration_reference_is_up_to_date() -> None:
    assert settings_doc.DOC_PATH.read_text("utf-8") == settings_doc.render(), (
        "docs/configuration.md is out of date: run `uv run python -m bot.devtools.settings_doc`"
    )


def test_configuration_reference_names_every_setting() -> None:
    text = settings_doc.render()
    for name, field in Settings.model_fields.items():
        assert f"`PALLETS_BOT_{name.upper()}`" in text
        assert field.description, f"setting {name} has no description"


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: cannot verify the unit file")
    # verify checks that ExecStart exists: point it at this checkout's script.
    script = Path(sys.executable).parent / "pallets-bot"
    if not script.exists():
        pytest.skip(f"{script} is not installed: cannot stand in for ExecStart")
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text("utf-8").replace(
            "/opt/pallets-bot/.venv/bin/pallets-bot", str(script)
        ),
        "utf-8",
    )
    result = subprocess.run(
        [analyze, "verify", str(unit)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    if (
        result.returncode != 0
        and "Failed to" in result.stderr
        and (
            "bus" in result.stderr.lower() or "system manager" in result.stderr.lower()
        )
    ):
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()}")
    # Unknown keys and bad values are only warnings (exit 0): fail on any of them.
    problems = [line for line in result.stderr.splitlines() if unit.name in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_unit_runs_the_bot_with_json_logs_and_backups() -> None:
    text = UNIT.read_text("utf-8")
    assert "ExecStart=/opt/pallets-bot/.venv/bin/pallets-bot run" in text
    assert "PALLETS_BOT_LOG_FORMAT=json" in text
    assert "PALLETS_BOT_BACKUP_DIR=" in text
    # Bytecode is kept between starts although /opt is read-only (start-up time).
    assert "CacheDirectory=pallets-bot" in text
    assert "PYTHONPYCACHEPREFIX=/var/cache/pallets-bot/" in text


def _format(fmt: str, *, tty: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", fmt)
        handler = root.handlers[0]
        record = logging.LogRecord(
            "bot.test", logging.INFO, __file__, 1, "hi %s", ("x",), None
        )
        with logs.bound(guild_id=42):
            for flt in handler.filters:
                assert not isinstance(flt, logging.Filter) or flt.filter(record)
        return handler.format(record)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_logs_are_json_lines_when_asked_or_not_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for fmt, tty in (("json", True), ("auto", False)):
        line = json.loads(_format(fmt, tty=tty, monkeypatch=monkeypatch))
        assert line["message"] == "hi x"
        assert line["level"] == "INFO"
        assert line["guild_id"] == 42


def test_logs_are_readable_text_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for fmt, tty in (("text", False), ("auto", True)):
        line = _format(fmt, tty=tty, monkeypatch=monkeypatch)
        assert "INFO" in line and "bot.test: hi x" in line and "guild_id=42" in line
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
