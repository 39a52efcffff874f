"""The repository habits contributors rely on stay true."""

from __future__ import annotations

import re
import tomllib

from bot.paths import ROOT


def _locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    (version,) = [p["version"] for p in lock["package"] if p["name"] == package]
    return str(version)


def test_pre_commit_runs_the_ruff_that_uv_lock_pins() -> None:
    config = (ROOT / ".pre-commit-config.yaml").read_text("utf-8")
    match = re.search(r"ruff-pre-commit\n\s+rev: v(\S+)", config)
    assert match is not None
    assert match.group(1) == _locked_version("ruff")


def test_the_changelog_has_an_unreleased_section_first() -> None:
    text = (ROOT / "CHANGES.md").read_text("utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[0] == "Unreleased"


def test_the_readmes_architecture_names_every_core_module() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("## Architecture", 1)[1].split("```")[1]
    modules = [
        path.name
        for folder in (ROOT / "bot", ROOT / "bot" / "devtools")
        for path in sorted(folder.glob("*.py"))
        if path.name != "__init__.py"
    ]
    missing = [name for name in modules if name not in block]
    assert missing == [], f"README's architecture does not name {missing}"
