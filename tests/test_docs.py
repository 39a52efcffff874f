from __future__ import annotations

import ast
import re
from typing import Any

import simcord

from bot.devtools import commands_doc
from bot.devtools import transcripts
from bot.paths import ROOT

_COMMAND = re.compile(r"^- \*\*/(?P<path>[\w -]+)\*\*: (?P<description>.+)$")
_OPTION = re.compile(
    r"^  - `(?P<name>[\w-]+)`(?P<optional> \(optional\))?: (?P<description>.+)$"
)


def test_command_reference_is_up_to_date() -> None:
    assert commands_doc.DOC_PATH.read_text("utf-8") == commands_doc.render(), (
        "docs/commands.md is out of date: run `uv run python -m bot.devtools.commands_doc`"
    )


def _documented() -> dict[str, list[tuple[str, bool, str]]]:
    """docs/commands.md read back: each command's options as (name, required, text)."""
    commands: dict[str, list[tuple[str, bool, str]]] = {}
    current: list[tuple[str, bool, str]] = []
    for line in commands_doc.DOC_PATH.read_text("utf-8").splitlines():
        if match := _COMMAND.match(line):
            current = commands.setdefault(match["path"], [])
        elif match := _OPTION.match(line):
            current.append((match["name"], not match["optional"], match["description"]))
    return commands


def _synced(env: simcord.Env) -> list[dict[str, Any]]:
    """The command payload the bot PUT to Discord (simcord) when it started."""
    syncs = [
        entry.json
        for entry in env.http_requests
        if entry.method == "PUT"
        and re.fullmatch(r"/applications/\d+/commands", entry.path)
    ]
    assert syncs, "the bot did not sync its commands"
    payload = syncs[-1]
    assert isinstance(payload, list)
    return payload


async def test_command_reference_names_what_discord_receives(
    simcord_env: simcord.Env,
) -> None:
    """Every command and option in docs/commands.md, by the name members see.

    Read back from the page and compared with the payload the bot synced, so a
    generator that wrote Python parameter names (``grant:`` for Discord's ``id:``)
    or dropped a command would fail here.
    """
    documented = _documented()
    synced = {
        path: [
            (option["name"], bool(option.get("required")), option["description"])
            for option in commands_doc.value_options(leaf)
        ]
        for path, leaf in commands_doc.leaves(_synced(simcord_env))
    }
    assert sorted(documented) == sorted(synced)
    for path, options in synced.items():
        names = [(name, required) for name, required, _text in options]
        assert [(n, r) for n, r, _t in documented[path]] == names, path
        for (_name, _required, text), (_n, _r, shown) in zip(
            options, documented[path], strict=True
        ):
            assert shown.startswith(text), (path, shown, text)
    assert ("id", True) in [(n, r) for n, r, _t in documented["grant-review decide"]]


#: A command as the prose writes it: `/setup roles releases:`, `/setup calendar enabled:True`.
_MENTION = re.compile(
    r"`/(?P<path>[a-z-]+(?: [a-z-]+)*)(?: (?P<option>[a-z_]+):[^`]*)?`"
)
#: Web paths the prose names, not commands.
_WEB_PATHS = {"metrics", "healthz"}


async def test_commands_the_readme_and_docs_name_are_the_bots(
    simcord_env: simcord.Env,
) -> None:
    """The README and the docs name commands and options as members see them, and
    only ones that exist: a renamed or removed command fails here."""
    leaves = dict(commands_doc.leaves(_synced(simcord_env)))
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    pages += sorted((ROOT / "docs").glob("*.md"))
    seen = 0
    for page in pages:
        for match in _MENTION.finditer(page.read_text("utf-8")):
            path, option = match["path"], match["option"]
            if path in _WEB_PATHS or path.startswith(("var", "usr", "etc")):
                continue
            seen += 1
            known = path in leaves or any(
                leaf.startswith(f"{path} ") for leaf in leaves
            )
            assert known, f"{page.name} names /{path}, which is no command"
            if option is not None:
                names = [o["name"] for o in commands_doc.value_options(leaves[path])]
                assert option in names, f"{page.name}: /{path} has no option {option}"
    assert seen > 20


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


def test_the_reverse_proxy_examples_publish_the_pages_and_keep_operations_private() -> (
    None
):
    """The README's and the deployment guide's proxies pass the calendar *and* the
    public pages (every path but the two for operators), never only the calendar."""
    for name in ("README.md", "docs/deployment.md"):
        text = (ROOT / name).read_text("utf-8")
        blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
        assert blocks, name
        for block in blocks:
            assert "location ~ ^/(healthz|metrics)$ { return 404; }" in block, name
            assert re.search(
                r"location / \{\s*proxy_pass http://127\.0\.0\.1", block
            ), name


def test_the_readmes_transcripts_are_what_the_bot_prints() -> None:
    readme = transcripts.README.read_text("utf-8")
    assert transcripts.in_readme(readme) == transcripts.transcripts(), (
        "README.md's transcripts are out of date: run "
        "`uv run python -m bot.devtools.transcripts`"
    )
