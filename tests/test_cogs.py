"""Walk every cog: the rules each job's package must keep."""

from __future__ import annotations

import ast
from collections import Counter
from graphlib import CycleError
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import simcord
from discord import app_commands

from bot import PalletsBot
from bot.app import cog_names
from bot.app import offline_bot
from bot.i18n import is_valid_command_name
from bot.paths import COGS_DIR
from bot.paths import ROOT
from cogs.mentorship._cog import MentorshipCog

BOT_DIR = ROOT / "bot"
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


# -- the rooms of a job package (CONTRIBUTING.md, "How the code is laid out") ----------
COG_LINE_LIMIT = 600


def _job_dirs() -> list[Path]:
    return [COGS_DIR / name.split(".")[1] for name in cog_names()]


def _module_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    imported: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            for child in ast.walk(node):
                if isinstance(child, ast.Import):
                    imported.update(alias.name for alias in child.names)
                elif isinstance(child, ast.ImportFrom) and child.module:
                    imported.add(child.module)
                    imported.update(
                        f"{child.module}.{alias.name}" for alias in child.names
                    )

    visit(tree.body)
    return imported


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def test_cogs_hold_commands_and_listeners_only() -> None:
    for job in _job_dirs():
        cog = job / "_cog.py"
        lines = len(cog.read_text("utf-8").splitlines())
        assert lines <= COG_LINE_LIMIT, f"{cog.relative_to(COGS_DIR)}: {lines} lines"
        calls = _calls(cog)
        assert not calls & {"_", "ngettext"}, f"{job.name}: wording belongs in _render"
        for needle in ("scheduler.register", "actions.register", "outbox.send"):
            assert needle not in cog.read_text("utf-8"), (
                f"{job.name}/_cog.py calls {needle}: that is the engine's work"
            )


def test_engines_do_the_work_and_leave_the_words_to_the_renderer() -> None:
    for engine in sorted(COGS_DIR.glob("*/_engine.py")):
        assert not _calls(engine) & {"_", "ngettext"}, (
            f"{engine.relative_to(COGS_DIR)} words something: that is _render's job"
        )


def test_renderers_are_pure() -> None:
    forbidden = {"bot.db", "aiosqlite", "aiohttp", "sqlite3", "bot.outbox"}
    for render in sorted(COGS_DIR.glob("*/_render.py")):
        tree = ast.parse(render.read_text("utf-8"))
        awaits = [node for node in ast.walk(tree) if isinstance(node, ast.Await)]
        assert awaits == [], f"{render.relative_to(COGS_DIR)} awaits: it must be pure"
        imports = _module_imports(render)
        job = render.parent.name
        bad = {
            name
            for name in imports
            if name in forbidden
            or name.split(".")[0] in forbidden
            or name.startswith(f"cogs.{job}._engine")
        }
        assert bad == set(), f"{render.relative_to(COGS_DIR)} imports {sorted(bad)}"


def test_views_never_reach_for_the_cog_or_the_engine() -> None:
    for views in sorted(COGS_DIR.glob("*/_views.py")):
        job = views.parent.name
        text = views.read_text("utf-8")
        assert "get_cog" not in text, f"{job}/_views.py looks its cog up"
        reached = {
            name
            for name in _module_imports(views)
            if name.startswith((f"cogs.{job}._cog", f"cogs.{job}._engine"))
        }
        assert reached == set(), f"{job}/_views.py imports {sorted(reached)}"


def test_queries_are_stateless_functions() -> None:
    for queries in sorted(COGS_DIR.glob("*/_queries.py")):
        tree = ast.parse(queries.read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                methods = {
                    item.name
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                }
                assert "__init__" not in methods, (
                    f"{queries.relative_to(COGS_DIR)}: {node.name} holds state; "
                    "caches and indexes belong in the engine"
                )
            if isinstance(node, ast.Global):
                raise AssertionError(f"{queries.relative_to(COGS_DIR)} uses global")


def test_no_job_imports_another_job_and_the_core_imports_none() -> None:
    jobs = {job.name for job in _job_dirs()}
    for job in _job_dirs():
        for module in sorted(job.glob("*.py")):
            others = {
                name.split(".")[1]
                for name in _module_imports(module)
                if name.startswith("cogs.") and name.split(".")[1] in jobs
            } - {job.name}
            assert others == set(), f"{module.relative_to(COGS_DIR)} imports {others}"
    core = [p for p in sorted(BOT_DIR.glob("*.py")) if p.name != "app.py"]
    for module in core:
        reached = {n for n in _module_imports(module) if n.split(".")[0] == "cogs"}
        assert reached == set(), f"bot/{module.name} imports {sorted(reached)}"


def test_no_import_circle_between_a_jobs_modules() -> None:
    for job in _job_dirs():
        own = f"cogs.{job.name}."
        graph = {
            module.stem: {
                name[len(own) :].split(".")[0]
                for name in _module_imports(module)
                if name.startswith(own)
            }
            for module in job.glob("*.py")
        }
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as circle:
            raise AssertionError(
                f"{job.name}: import circle {circle.args[1]}"
            ) from None


def test_only_engines_register_job_kinds_and_actions() -> None:
    for module in sorted(COGS_DIR.glob("*/*.py")):
        if module.name == "_engine.py":
            continue
        text = module.read_text("utf-8")
        for needle in ("scheduler.register(", "actions.register(", "register_pages("):
            assert needle not in text, f"{module.relative_to(COGS_DIR)}: {needle}"


async def test_reading_the_tree_offline_keeps_the_cog_classes_the_process_holds() -> (
    None
):
    # discord.py drops an unloaded extension's modules; a tool reading the tree (the command
    # reference, the catalogue check) must not leave the caller's imported classes stale.
    async with offline_bot() as bot:
        assert bot.get_cog(MentorshipCog.__cog_name__) is not None
    async with offline_bot() as bot:
        assert isinstance(bot.get_cog(MentorshipCog.__cog_name__), MentorshipCog)
