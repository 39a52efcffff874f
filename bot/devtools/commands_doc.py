"""Render ``docs/commands.md`` from the slash-command tree.

Generated so it cannot drift from the code; a test fails when it is out of date.
Regenerate it with ``python -m bot.devtools.commands_doc``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from discord import app_commands

from bot.app import offline_bot
from bot.paths import ROOT

DOC_PATH = ROOT / "docs" / "commands.md"

_HEADER = """\
# Slash commands

<!-- Generated from the command tree by `python -m bot.devtools.commands_doc`; do not edit. -->

Every command answers in the member's Discord language where a catalogue exists.
Commands that change something check the member's role in the handler (organiser,
helper, mentor, grants reviewer, as set with `/setup roles`); members who can manage
the server pass every role check. Refusals and bad input get an ephemeral message and
change nothing.
"""


def _options(command: app_commands.Command[Any, ..., Any]) -> list[str]:
    lines = []
    for parameter in command.parameters:
        required = "" if parameter.required else " (optional)"
        choices = ""
        if parameter.choices:
            choices = ": one of " + ", ".join(f"`{c.name}`" for c in parameter.choices)
        lines.append(
            f"  - `{parameter.name}`{required}: {parameter.description}{choices}"
        )
    return lines


async def _render() -> str:
    out = [_HEADER]
    async with offline_bot() as bot:
        top = sorted(bot.tree.get_commands(), key=lambda c: c.name)
        for command in top:
            out.append(f"\n## /{command.name}\n")
            if isinstance(command, app_commands.Group):
                out.append(f"{command.description}\n")
                for sub in sorted(
                    command.walk_commands(), key=lambda c: c.qualified_name
                ):
                    if isinstance(sub, app_commands.Command):
                        out.append(f"- **/{sub.qualified_name}**: {sub.description}")
                        out.extend(_options(sub))
            elif isinstance(command, app_commands.Command):
                out.append(f"- **/{command.name}**: {command.description}")
                out.extend(_options(command))
    return "\n".join(out) + "\n"


def render() -> str:
    return asyncio.run(_render())


def main() -> None:
    DOC_PATH.parent.mkdir(exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
