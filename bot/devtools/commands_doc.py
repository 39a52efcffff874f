"""Render ``docs/commands.md`` from the command payload Discord receives.

The names and descriptions are the synced payload's (what ``tree.sync()`` sends, so
renamed options appear as members see them, ``/grant-review decide id:``, not as the
Python parameter is called). Generated so it cannot drift from the code; a test
fails when it is out of date, and another compares it with the payload simcord
receives at sync. Regenerate it with ``python -m bot.devtools.commands_doc``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

import discord

from bot import i18n
from bot.app import offline_bot
from bot.guilds import Role
from bot.i18n import BabelTranslator
from bot.paths import ROOT
from bot.permissions import role_groups
from bot.permissions import role_label

DOC_PATH = ROOT / "docs" / "commands.md"

#: Discord's option types that hold sub-commands rather than values.
SUB_COMMAND = discord.AppCommandOptionType.subcommand.value
SUB_COMMAND_GROUP = discord.AppCommandOptionType.subcommand_group.value

_HEADER = """\
# Slash commands

<!-- Generated from the synced command payload by `python -m bot.devtools.commands_doc`; do not edit. -->

Every command answers in the member's Discord language where a catalogue exists (the
command and option names below are the English ones; Discord shows members the
translated names). Commands that change something check the member's role in the
handler (organiser, helper, mentor, grants reviewer, as set with `/setup roles`);
members who can manage the server pass every role check. Refusals and bad input get
an ephemeral message and change nothing.

Each role's commands are a group of their own (`/triage`, `/chat-admin`,
`/grant-review`, `/mentor-tools`...). Discord hides a command by a Discord permission,
not by a server's role, so a role group is shown only to members who can manage the
server until a server admin shows it to its roles: Server Settings > Integrations >
pallets-bot > the command > add the roles (`/setup roles` lists them).
"""


async def synced_payload() -> list[dict[str, Any]]:
    """The command payload ``tree.sync()`` sends Discord, translations included."""
    payload, _groups = await _synced()
    return payload


async def _synced() -> tuple[list[dict[str, Any]], dict[str, tuple[Role, ...]]]:
    """The synced payload, and the roles each role group is for."""
    async with offline_bot() as bot:
        translator = BabelTranslator()
        await bot.tree.set_translator(translator)
        payload = [
            await command.get_translated_payload(bot.tree, translator)
            for command in bot.tree.get_commands()
        ]
        return payload, role_groups(bot.tree)


def leaves(payload: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every invocable command as ``("grant-review decide", its payload)``, sorted by name."""

    def walk(prefix: str, node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        path = f"{prefix} {node['name']}".strip()
        children = [
            option
            for option in node.get("options", [])
            if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
        ]
        if not children:
            yield path, node
        for child in sorted(children, key=lambda option: option["name"]):
            yield from walk(path, child)

    for command in sorted(payload, key=lambda command: command["name"]):
        yield from walk("", command)


def value_options(command: dict[str, Any]) -> list[dict[str, Any]]:
    """The options a member fills in, in the order Discord shows them."""
    return [
        option
        for option in command.get("options", [])
        if option["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP)
    ]


def _option_line(option: dict[str, Any]) -> str:
    required = "" if option.get("required") else " (optional)"
    choices = ""
    if option.get("choices"):
        choices = ": one of " + ", ".join(f"`{c['name']}`" for c in option["choices"])
    return f"  - `{option['name']}`{required}: {option['description']}{choices}"


def _who(command: dict[str, Any], roles: tuple[Role, ...] = ()) -> str:
    permissions = command.get("default_member_permissions")
    if not permissions:
        return ""
    names = [
        name.replace("_", " ").title().replace("Guild", "Server")
        for name, held in discord.Permissions(int(permissions))
        if held
    ]
    who = f" Discord shows it only to members with {', '.join(names)}"
    if not roles:
        return who + "."
    with i18n.scope("en", "en"):
        labels = i18n.format_list([role_label(role) for role in roles])
    return f"{who}, and to the {labels} {'role' if len(roles) == 1 else 'roles'} once a server admin shows it to them."


def render_payload(
    payload: list[dict[str, Any]], groups: Mapping[str, tuple[Role, ...]] | None = None
) -> str:
    groups = groups or {}
    out = [_HEADER]
    for command in sorted(payload, key=lambda command: command["name"]):
        out.append(f"\n## /{command['name']}\n")
        grouped = any(
            option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            for option in command.get("options", [])
        )
        who = _who(command, groups.get(command["name"], ()))
        if grouped:
            description = command["description"]
            if who and not description.endswith("."):
                description += "."  # the sentence that follows needs its own
            out.append(f"{description}{who}\n")
        for path, leaf in leaves([command]):
            who = "" if grouped else who
            out.append(f"- **/{path}**: {leaf['description']}{who}")
            out.extend(_option_line(option) for option in value_options(leaf))
    return "\n".join(out) + "\n"


def render() -> str:
    return render_payload(*asyncio.run(_synced()))


def main() -> None:
    DOC_PATH.parent.mkdir(exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
