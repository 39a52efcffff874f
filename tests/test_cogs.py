"""Walk every cog: the rules each job's package must keep."""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

import simcord
from discord import app_commands

from bot import PalletsBot
from bot.app import cog_names
from bot.i18n import is_valid_command_name
from bot.paths import COGS_DIR

NO_DESCRIPTION = {"", "…", "..."}


def walk(
    bot: PalletsBot,
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    out: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = []
    for command in bot.tree.get_commands():
        if isinstance(command, app_commands.Group):
            out.append(command)
            out.extend(command.walk_commands())
        elif isinstance(command, app_commands.Command):
            out.append(command)
    return out


async def test_every_command_and_option_has_a_description(
    simcord_env: simcord.Env, simcord_bot: PalletsBot
) -> None:
    missing = []
    for command in walk(simcord_bot):
        if command.description.strip() in NO_DESCRIPTION:
            missing.append(f"/{command.qualified_name}")
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                if parameter.description.strip() in NO_DESCRIPTION:
                    missing.append(f"/{command.qualified_name} {parameter.name}")
    assert missing == []


async def test_command_names_are_unique_and_valid(
    simcord_env: simcord.Env, simcord_bot: PalletsBot
) -> None:
    names = Counter(command.qualified_name for command in walk(simcord_bot))
    assert [name for name, count in names.items() if count > 1] == []
    for command in walk(simcord_bot):
        assert is_valid_command_name(command.name), command.qualified_name
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                assert is_valid_command_name(parameter.name), parameter.name


def test_every_cog_package_has_only_setup_in_its_init() -> None:
    assert cog_names(), "no cogs found"
    for name in cog_names():
        package = COGS_DIR / name.split(".")[1]
        tree = ast.parse((package / "__init__.py").read_text("utf-8"))
        functions = [
            node.name for node in tree.body if isinstance(node, ast.AsyncFunctionDef)
        ]
        others = [
            node
            for node in tree.body
            if not isinstance(
                node, ast.Import | ast.ImportFrom | ast.AsyncFunctionDef | ast.Expr
            )
        ]
        assert functions == ["setup"], name
        assert others == [], name
        assert (package / "_cog.py").is_file(), name


def test_logic_modules_are_pure() -> None:
    """Pure logic never imports discord, the database, or the network."""
    forbidden = {"discord", "aiosqlite", "aiohttp", "sqlite3", "bot.db"}
    for path in sorted(COGS_DIR.glob("*/_logic.py")):
        tree = ast.parse(path.read_text("utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        bad = {
            name
            for name in imported
            if name.split(".")[0] in forbidden or name in forbidden
        }
        assert bad == set(), f"{path.relative_to(COGS_DIR)} imports {sorted(bad)}"


def test_sql_lives_in_queries_modules() -> None:
    """Cogs and views never talk to the database directly."""
    for path in sorted(COGS_DIR.glob("*/_cog.py")) + sorted(
        COGS_DIR.glob("*/_views.py")
    ):
        text = path.read_text("utf-8")
        for needle in (
            "db.execute(",
            "db.fetchone(",
            "db.fetchall(",
            "db.fetchval(",
            "tx.execute(",
        ):
            assert needle not in text, (
                f"{path.relative_to(COGS_DIR)} runs SQL: {needle}"
            )
