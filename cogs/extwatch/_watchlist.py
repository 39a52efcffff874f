"""The shipped watch list that seeds each server's list."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.paths import DATA_DIR
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import parse_repo

WATCHLIST_FILE = DATA_DIR / "extwatch" / "watchlist.toml"


def load_watchlist(
    path: Path = WATCHLIST_FILE,
) -> list[tuple[str, str, str | None, str]]:
    """(normalised package, display name, repo, notes) for each entry."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [
        (
            normalise_name(entry["name"]),
            entry["name"],
            parse_repo(entry["repo"]) if entry.get("repo") else None,
            entry.get("notes", ""),
        )
        for entry in data.get("package", [])
    ]
