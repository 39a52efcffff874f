"""Every SQL statement of the extension watch."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.clock import now_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.extwatch._logic import Evidence
from cogs.extwatch._logic import github_from_json
from cogs.extwatch._logic import osv_from_json
from cogs.extwatch._logic import pypi_from_json
from cogs.extwatch._logic import Status

SOURCES = ("pypi", "github", "osv")


@dataclass(frozen=True, slots=True)
class Watched:
    guild_id: int
    package: str
    display_name: str
    repo: str | None
    notes: str
    reported_status: Status | None

    @classmethod
    def from_row(cls, row: Row) -> Watched:
        reported = row["reported_status"]
        return record(cls, row, reported_status=Status(reported) if reported else None)


@dataclass(frozen=True, slots=True)
class Snapshot:
    package: str
    source: str
    data: dict[str, Any] | None
    fetched_at: int | None
    attempted_at: int
    error: str | None
    missing: bool

    @property
    def stale(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, slots=True)
class Cached:
    """What the cache holds about one package."""

    snapshots: dict[str, Snapshot]
    backlog: list[tuple[int, int]]

    def evidence(self) -> Evidence:
        def data(source: str) -> dict[str, Any] | None:
            snap = self.snapshots.get(source)
            return snap.data if snap is not None else None

        pypi, github, osv = data("pypi"), data("github"), data("osv")
        pypi_snap = self.snapshots.get("pypi")
        return Evidence(
            pypi=pypi_from_json(pypi) if pypi else None,
            github=github_from_json(github) if github else None,
            osv=osv_from_json(osv) if osv else None,
            backlog_history=tuple(self.backlog),
            missing_on_pypi=bool(pypi_snap and pypi_snap.missing and not pypi),
        )

    @property
    def stale(self) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.stale]

    @property
    def fetched_at(self) -> int | None:
        times = [s.fetched_at for s in self.snapshots.values() if s.fetched_at]
        return min(times) if times else None


# -- the watch list ----------------------------------------------------------------------
async def seeded_guilds(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT guild_id FROM extwatch_seeded ORDER BY guild_id")
    return [row["guild_id"] for row in rows]


async def seed(
    db: Database, guild_id: int, entries: Iterable[tuple[str, str, str | None, str]]
) -> bool:
    """Fill the guild's list once from the shipped file; return whether it did."""
    now = now_ts()
    async with db.transaction() as tx:
        done = await tx.execute(
            "INSERT INTO extwatch_seeded (guild_id, seeded_at) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, now),
        )
        if done.rowcount == 0:
            return False
        await tx.executemany(
            "INSERT INTO extwatch_watch (guild_id, package, display_name, repo, notes, "
            "added_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, package) DO NOTHING",
            [
                (guild_id, package, display, repo, notes, now)
                for package, display, repo, notes in entries
            ],
        )
    return True


async def watched(db: Database, guild_id: int) -> list[Watched]:
    rows = await db.fetchall(
        "SELECT * FROM extwatch_watch WHERE guild_id = ? ORDER BY display_name COLLATE NOCASE",
        (guild_id,),
    )
    return [Watched.from_row(row) for row in rows]


async def get_watched(db: Database, guild_id: int, package: str) -> Watched | None:
    row = await db.fetchone(
        "SELECT * FROM extwatch_watch WHERE guild_id = ? AND package = ?",
        (guild_id, package),
    )
    return Watched.from_row(row) if row is not None else None


async def add_watched(
    db: Database,
    guild_id: int,
    package: str,
    display_name: str,
    repo: str | None,
    notes: str,
    added_by: int,
) -> bool:
    """Add a package; False when the guild already watches it."""
    result = await db.execute(
        "INSERT INTO extwatch_watch (guild_id, package, display_name, repo, notes, "
        "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (guild_id, package) DO NOTHING",
        (guild_id, package, display_name, repo, notes, added_by, now_ts()),
    )
    return result.rowcount == 1


async def remove_watched(db: Database, guild_id: int, package: str) -> bool:
    result = await db.execute(
        "DELETE FROM extwatch_watch WHERE guild_id = ? AND package = ?",
        (guild_id, package),
    )
    return result.rowcount == 1


async def set_reported(
    db: Database, guild_id: int, statuses: dict[str, Status]
) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE extwatch_watch SET reported_status = ? "
            "WHERE guild_id = ? AND package = ?",
            [
                (status.value, guild_id, package)
                for package, status in statuses.items()
                if status is not Status.UNKNOWN
            ],
        )


async def all_watched_packages(db: Database) -> dict[str, str | None]:
    """package -> repo over every guild (one fetch per package, however many guilds)."""
    rows = await db.fetchall(
        "SELECT package, max(repo) AS repo FROM extwatch_watch GROUP BY package"
    )
    return {row["package"]: row["repo"] for row in rows}


# -- the cache -----------------------------------------------------------------------------
async def save_good(
    db: Database, package: str, source: str, data: dict[str, Any] | None, *, now: int
) -> None:
    """Record a successful fetch (``data`` None: the API says it does not exist)."""
    await db.execute(
        "INSERT INTO extwatch_snapshots (package, source, data, fetched_at, attempted_at, "
        "error, missing) VALUES (?, ?, ?, ?, ?, NULL, ?) "
        "ON CONFLICT (package, source) DO UPDATE SET data = excluded.data, "
        "fetched_at = excluded.fetched_at, attempted_at = excluded.attempted_at, "
        "error = NULL, missing = excluded.missing",
        (
            package,
            source,
            json.dumps(data, sort_keys=True) if data is not None else None,
            now,
            now,
            int(data is None),
        ),
    )


async def save_failure(
    db: Database, package: str, source: str, error: str, *, now: int
) -> None:
    """Record a failed fetch; the last good data stays."""
    await db.execute(
        "INSERT INTO extwatch_snapshots (package, source, attempted_at, error) "
        "VALUES (?, ?, ?, ?) "
        "ON CONFLICT (package, source) DO UPDATE SET attempted_at = excluded.attempted_at, "
        "error = excluded.error",
        (package, source, now, error[:300]),
    )


async def add_backlog_sample(
    db: Database, repo: str, backlog: int, *, now: int
) -> None:
    await db.execute(
        "INSERT INTO extwatch_backlog (repo, sampled_at, backlog) VALUES (?, ?, ?) "
        "ON CONFLICT (repo, sampled_at) DO UPDATE SET backlog = excluded.backlog",
        (repo.lower(), now, backlog),
    )


async def cached(db: Database, package: str, repo: str | None) -> Cached:
    rows = await db.fetchall(
        "SELECT * FROM extwatch_snapshots WHERE package = ?", (package,)
    )
    snapshots = {
        row["source"]: Snapshot(
            package=row["package"],
            source=row["source"],
            data=json.loads(row["data"]) if row["data"] else None,
            fetched_at=row["fetched_at"],
            attempted_at=row["attempted_at"],
            error=row["error"],
            missing=bool(row["missing"]),
        )
        for row in rows
    }
    backlog: list[tuple[int, int]] = []
    if repo:
        samples = await db.fetchall(
            "SELECT sampled_at, backlog FROM extwatch_backlog WHERE repo = ? "
            "ORDER BY sampled_at",
            (repo.lower(),),
        )
        backlog = [(row["sampled_at"], row["backlog"]) for row in samples]
    return Cached(snapshots, backlog)
