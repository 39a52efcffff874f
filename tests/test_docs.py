from __future__ import annotations

import ast
import re

from bot.devtools import commands_doc
from bot.paths import ROOT


def test_command_reference_is_up_to_date() -> None:
    assert commands_doc.DOC_PATH.read_text("utf-8") == commands_doc.render(), (
        "docs/commands.md is out of date: run `uv run python -m bot.devtools.commands_doc`"
    )


def test_every_test_the_reliability_page_names_exists() -> None:
    """docs/reliability.md maps each guarantee to a test: a renamed test breaks it."""
    page = (ROOT / "docs" / "reliability.md").read_text("utf-8")
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page))
    assert len(named) > 30
    missing = []
    for path, name in sorted(named):
        tree = ast.parse((ROOT / path).read_text("utf-8"))
        defined = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if name not in defined:
            missing.append(f"{path}::{name}")
    assert not missing, missing
