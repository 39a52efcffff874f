from __future__ import annotations

from bot import commands_doc


def test_command_reference_is_up_to_date() -> None:
    assert commands_doc.DOC_PATH.read_text("utf-8") == commands_doc.render(), (
        "docs/commands.md is out of date: run `uv run python -m bot.commands_doc`"
    )
