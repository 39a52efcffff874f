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
from cogs.extwatch._logic import Activity
from cogs.extwatch._logic import activity_from_json
from cogs.extwatch._logic import Caretaker
from cogs.extwatch._logic import CaretakerRole
from cogs.extwatch._logic import Evidence
from cogs.extwatch._logic import github_from_json
from cogs.extwatch._logic import Help
from cogs.extwatch._logic import Hours
from cogs.extwatch._logic import osv_from_json
from cogs.extwatch._logic import pypi_from_json
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import Step

SOURCES = ("pypi", "github", "osv", "activity")


@dataclass(frozen=True, slots=True)
class Watched:
    """A watched extension: its registry entry (``bot.extensions``) and its status."""

    guild_id: int
    package: str
    display_name: str
    repo: str | None
    notes: str
    reported_status: Status | None
    docs_url: str | None = None
    alternative: str | None = None
    pypi: bool = True
    min_caretakers: int | None = None
    source: str = "seed"

    @classmethod
    def from_row(cls, row: Row) -> Watched:
        reported = row["reported_status"]
        return record(
            cls,
            row,
            reported_status=Status(reported) if reported else None,
            pypi=bool(row["pypi"]),
        )


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

    def activity(self) -> Activity | None:
        """Who committed and released lately (None: never fetched)."""
        snap = self.snapshots.get("activity")
        if snap is None or snap.data is None:
            return None
        return activity_from_json(snap.data)

    @property
    def stale(self) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.stale]

    @property
    def fetched_at(self) -> int | None:
        times = [s.fetched_at for s in self.snapshots.values() if s.fetched_at]
        return min(times) if times else None


# -- the watch list ----------------------------------------------------------------------
# The list is the server's extension registry (the core's ``extensions`` table, kept
# by ``bot.extensions``): these statements only read it; writes go through the core
# so its cache stays true.
_WATCHED = (
    "SELECT e.*, r.status AS reported_status FROM extensions AS e "
    "LEFT JOIN extwatch_reported AS r "
    "ON r.guild_id = e.guild_id AND r.package = e.package "
    "WHERE e.guild_id = ? AND e.watched = 1 AND e.kind = 'extension'"
)


async def seeded_guilds(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT guild_id FROM extwatch_seeded ORDER BY guild_id")
    return [row["guild_id"] for row in rows]


async def mark_seeded(db: Database, guild_id: int) -> bool:
    """Record that a server uses the watch; return whether this is its first use."""
    done = await db.execute(
        "INSERT INTO extwatch_seeded (guild_id, seeded_at) VALUES (?, ?) "
        "ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, now_ts()),
    )
    return done.rowcount == 1


async def is_seeded(db: Database, guild_id: int) -> bool:
    """Whether the server's registry is filled and its watch set up (one read)."""
    row = await db.fetchone(
        "SELECT EXISTS (SELECT 1 FROM extwatch_seeded WHERE guild_id = ?) "
        "AND EXISTS (SELECT 1 FROM extensions_seeded WHERE guild_id = ?) AS done",
        (guild_id, guild_id),
    )
    return row is not None and bool(row["done"])


async def watched(db: Database, guild_id: int) -> list[Watched]:
    rows = await db.fetchall(
        _WATCHED + " ORDER BY e.display_name COLLATE NOCASE", (guild_id,)
    )
    return [Watched.from_row(row) for row in rows]


async def get_watched(db: Database, guild_id: int, package: str) -> Watched | None:
    row = await db.fetchone(_WATCHED + " AND e.package = ?", (guild_id, package))
    return Watched.from_row(row) if row is not None else None


async def set_reported(
    db: Database, guild_id: int, statuses: dict[str, Status]
) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO extwatch_reported (guild_id, package, status) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, package) DO UPDATE SET status = excluded.status",
            [
                (guild_id, package, status.value)
                for package, status in statuses.items()
                if status is not Status.UNKNOWN
            ],
        )


async def all_watched_packages(db: Database) -> dict[str, str | None]:
    """package -> repo over every guild (one fetch per package, however many guilds)."""
    rows = await db.fetchall(
        "SELECT package, max(repo) AS repo FROM extensions "
        "WHERE watched = 1 AND kind = 'extension' GROUP BY package"
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


# -- caretakers ------------------------------------------------------------------------------
def _caretaker(row: Row) -> Caretaker:
    return record(Caretaker, row, role=CaretakerRole(row["role"]))


async def caretakers(db: Database, guild_id: int, package: str) -> list[Caretaker]:
    """The current caretakers of an extension, leads first, then by seniority."""
    rows = await db.fetchall(
        "SELECT * FROM ext_caretakers WHERE guild_id = ? AND package = ? "
        "AND left_at IS NULL ORDER BY role = 'lead' DESC, since, id",
        (guild_id, package),
    )
    return [_caretaker(row) for row in rows]


async def caretakers_by_package(
    db: Database, guild_id: int
) -> dict[str, list[Caretaker]]:
    """The current caretakers of every extension of a server (as :func:`caretakers`)."""
    rows = await db.fetchall(
        "SELECT * FROM ext_caretakers WHERE guild_id = ? "
        "AND left_at IS NULL ORDER BY role = 'lead' DESC, since, id",
        (guild_id,),
    )
    out: dict[str, list[Caretaker]] = {}
    for row in rows:
        out.setdefault(row["package"], []).append(_caretaker(row))
    return out


async def caretaker_counts(db: Database, guild_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT package, count(*) AS n FROM ext_caretakers "
        "WHERE guild_id = ? AND left_at IS NULL GROUP BY package",
        (guild_id,),
    )
    return {row["package"]: row["n"] for row in rows}


async def get_caretaker(db: Database, caretaker_id: int) -> Caretaker | None:
    row = await db.fetchone(
        "SELECT * FROM ext_caretakers WHERE id = ? AND left_at IS NULL",
        (caretaker_id,),
    )
    return _caretaker(row) if row is not None else None


async def add_caretaker(
    db: Database,
    guild_id: int,
    package: str,
    user_id: int,
    github: str | None,
    role: CaretakerRole,
    added_by: int,
) -> bool:
    """Add someone to a roster; False when they are on it already."""
    result = await db.execute(
        "INSERT INTO ext_caretakers (guild_id, package, user_id, github, role, since, "
        "added_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, package, user_id, github, role.value, now_ts(), added_by),
    )
    return result.rowcount == 1


async def remove_caretaker(
    db: Database, guild_id: int, package: str, user_id: int
) -> bool:
    result = await db.execute(
        "UPDATE ext_caretakers SET left_at = ? WHERE guild_id = ? AND package = ? "
        "AND user_id = ? AND left_at IS NULL",
        (now_ts(), guild_id, package, user_id),
    )
    return result.rowcount == 1


async def mark_asked(db: Database, caretaker_id: int, now: int) -> bool:
    """Record that a caretaker is asked whether they are still in (once)."""
    result = await db.execute(
        "UPDATE ext_caretakers SET asked_at = ? WHERE id = ? AND left_at IS NULL "
        "AND (asked_at IS NULL OR asked_at < ?)",
        (now, caretaker_id, now),
    )
    return result.rowcount == 1


async def confirm_caretaker(db: Database, caretaker_id: int) -> bool:
    result = await db.execute(
        "UPDATE ext_caretakers SET confirmed_at = ? WHERE id = ? AND left_at IS NULL",
        (now_ts(), caretaker_id),
    )
    return result.rowcount == 1


async def step_down(db: Database, caretaker_id: int) -> bool:
    result = await db.execute(
        "UPDATE ext_caretakers SET left_at = ? WHERE id = ? AND left_at IS NULL",
        (now_ts(), caretaker_id),
    )
    return result.rowcount == 1


# -- offers of help --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    guild_id: int
    package: str
    user_id: int
    github: str | None
    help: Help
    hours: Hours
    channel_id: int | None
    state: str
    decided_by: int | None
    created_at: int


def _offer(row: Row) -> Offer:
    return record(Offer, row, help=Help(row["help"]), hours=Hours(row["hours"]))


async def add_offer(
    db: Database,
    guild_id: int,
    package: str,
    user_id: int,
    github: str | None,
    help: Help,
    hours: Hours,
    channel_id: int | None,
) -> int | None:
    """Record an offer; None when the member has one waiting for this extension."""
    result = await db.execute(
        "INSERT INTO ext_offers (guild_id, package, user_id, github, help, hours, "
        "channel_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            guild_id,
            package,
            user_id,
            github,
            help.value,
            hours.value,
            channel_id,
            now_ts(),
        ),
    )
    return result.lastrowid if result.rowcount == 1 else None


async def get_offer(db: Database, offer_id: int) -> Offer | None:
    row = await db.fetchone("SELECT * FROM ext_offers WHERE id = ?", (offer_id,))
    return _offer(row) if row is not None else None


async def decide_offer(db: Database, offer_id: int, accepted: bool, by_id: int) -> bool:
    """Accept or decline a waiting offer; False when it was decided already."""
    result = await db.execute(
        "UPDATE ext_offers SET state = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND state = 'pending'",
        ("accepted" if accepted else "declined", by_id, now_ts(), offer_id),
    )
    return result.rowcount == 1


# -- followers -------------------------------------------------------------------------------
async def follow(db: Database, guild_id: int, package: str, user_id: int) -> bool:
    result = await db.execute(
        "INSERT INTO ext_followers (guild_id, package, user_id, since) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, package, user_id, now_ts()),
    )
    return result.rowcount == 1


async def unfollow(db: Database, guild_id: int, package: str, user_id: int) -> bool:
    result = await db.execute(
        "DELETE FROM ext_followers WHERE guild_id = ? AND package = ? AND user_id = ?",
        (guild_id, package, user_id),
    )
    return result.rowcount == 1


async def followers(db: Database, guild_id: int, package: str) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM ext_followers WHERE guild_id = ? AND package = ? "
        "ORDER BY since, user_id",
        (guild_id, package),
    )
    return [row["user_id"] for row in rows]


# -- alerts ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    guild_id: int
    package: str
    flag: str
    detail: dict[str, Any]
    raised_at: int
    announced: bool


def _alert(row: Row) -> Alert:
    return record(
        Alert, row, detail=json.loads(row["detail"]), announced=bool(row["announced"])
    )


async def open_alerts(db: Database, guild_id: int, package: str) -> list[Alert]:
    rows = await db.fetchall(
        "SELECT * FROM ext_alerts WHERE guild_id = ? AND package = ? "
        "AND cleared_at IS NULL ORDER BY id",
        (guild_id, package),
    )
    return [_alert(row) for row in rows]


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert raised (after the first assessment) or cleared, at ``at``."""

    alert_id: int
    package: str
    detail: dict[str, Any]
    at: int
    cleared: bool


async def alert_changes(
    db: Database, guild_id: int, flag: str, limit: int, package: str | None = None
) -> list[AlertChange]:
    """The latest alerts for ``flag`` raised or cleared, newest first, of every
    extension or of ``package``. An alert of the first assessment (the baseline,
    never announced) counts only when cleared."""
    one = " AND package = ?" if package is not None else ""
    args = (guild_id, flag) + ((package,) if package is not None else ())
    rows = await db.fetchall(
        "SELECT id, package, detail, raised_at AS at, 0 AS cleared FROM ext_alerts "
        f"WHERE guild_id = ? AND flag = ?{one} AND announced = 1 "
        "UNION ALL "
        "SELECT id, package, detail, cleared_at AS at, 1 AS cleared FROM ext_alerts "
        f"WHERE guild_id = ? AND flag = ?{one} AND cleared_at IS NOT NULL "
        "ORDER BY at DESC, id DESC, cleared DESC LIMIT ?",
        (*args, *args, limit),
    )
    return [
        AlertChange(
            row["id"],
            row["package"],
            json.loads(row["detail"]),
            row["at"],
            bool(row["cleared"]),
        )
        for row in rows
    ]


async def get_alert(db: Database, alert_id: int) -> Alert | None:
    row = await db.fetchone("SELECT * FROM ext_alerts WHERE id = ?", (alert_id,))
    return _alert(row) if row is not None else None


async def raise_alert(
    db: Database,
    guild_id: int,
    package: str,
    flag: str,
    detail: dict[str, Any],
    *,
    announced: bool,
) -> int | None:
    """Open an alert; None when one is open for that flag already."""
    result = await db.execute(
        "INSERT INTO ext_alerts (guild_id, package, flag, detail, raised_at, announced) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, package, flag, json.dumps(detail), now_ts(), int(announced)),
    )
    return result.lastrowid if result.rowcount == 1 else None


async def clear_alert(db: Database, alert_id: int) -> None:
    await db.execute(
        "UPDATE ext_alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL",
        (now_ts(), alert_id),
    )


async def take_baseline(db: Database, guild_id: int, package: str) -> bool:
    """Record that a package's risks were assessed; True the first time."""
    result = await db.execute(
        "INSERT INTO ext_alert_baseline (guild_id, package, since) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (guild_id, package, now_ts()),
    )
    return result.rowcount == 1


# -- adoption ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AdoptionStep:
    step: Step
    done_by: int
    done_at: int
    note: str


@dataclass(frozen=True, slots=True)
class Adoption:
    id: int
    guild_id: int
    package: str
    opened_by: int
    opened_at: int
    state: str
    closed_at: int | None
    steps: tuple[AdoptionStep, ...]


async def latest_adoption(db: Database, guild_id: int, package: str) -> Adoption | None:
    """The open adoption case of an extension, else its last one."""
    row = await db.fetchone(
        "SELECT * FROM ext_adoptions WHERE guild_id = ? AND package = ? "
        "ORDER BY state = 'open' DESC, id DESC LIMIT 1",
        (guild_id, package),
    )
    if row is None:
        return None
    steps = await db.fetchall(
        "SELECT * FROM ext_adoption_steps WHERE adoption_id = ? ORDER BY done_at",
        (row["id"],),
    )
    return record(
        Adoption,
        row,
        steps=tuple(record(AdoptionStep, s, step=Step(s["step"])) for s in steps),
    )


async def open_adoption(
    db: Database, guild_id: int, package: str, by_id: int
) -> int | None:
    """Open a case; None when one is open already."""
    result = await db.execute(
        "INSERT INTO ext_adoptions (guild_id, package, opened_by, opened_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, package, by_id, now_ts()),
    )
    return result.lastrowid if result.rowcount == 1 else None


async def record_step(
    db: Database, adoption_id: int, step: Step, by_id: int, note: str, *, last: bool
) -> bool:
    """Record a step (and close the case with the last one); False when it is done."""
    now = now_ts()
    async with db.transaction() as tx:
        result = await tx.execute(
            "INSERT INTO ext_adoption_steps (adoption_id, step, done_by, done_at, note) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (adoption_id, step.value, by_id, now, note),
        )
        if result.rowcount == 0:
            return False
        if last:
            await tx.execute(
                "UPDATE ext_adoptions SET state = 'done', closed_at = ? WHERE id = ?",
                (now, adoption_id),
            )
    return True


# -- Flask, Werkzeug and Jinja releases --------------------------------------------------------
async def core_release(db: Database, package: str) -> str | None:
    version: str | None = await db.fetchval(
        "SELECT version FROM ext_core_releases WHERE package = ?", (package,)
    )
    return version


async def set_core_release(db: Database, package: str, version: str) -> None:
    await db.execute(
        "INSERT INTO ext_core_releases (package, version, seen_at) VALUES (?, ?, ?) "
        "ON CONFLICT (package) DO UPDATE SET version = excluded.version, "
        "seen_at = excluded.seen_at",
        (package, version, now_ts()),
    )


async def cached_many(
    db: Database, items: Iterable[tuple[str, str | None]]
) -> dict[str, Cached]:
    """What the cache holds about each (package, repo): :func:`cached` in two
    queries for a whole list (the public pages read every watched extension)."""
    wanted = list(items)
    packages = sorted({package for package, _repo in wanted})
    repos = sorted({repo.lower() for _package, repo in wanted if repo})
    snapshots: dict[str, dict[str, Snapshot]] = {p: {} for p in packages}
    backlogs: dict[str, list[tuple[int, int]]] = {r: [] for r in repos}
    if packages:
        marks = ", ".join("?" * len(packages))
        rows = await db.fetchall(
            f"SELECT * FROM extwatch_snapshots WHERE package IN ({marks})",  # noqa: S608
            packages,
        )
        for row in rows:
            snapshots[row["package"]][row["source"]] = Snapshot(
                package=row["package"],
                source=row["source"],
                data=json.loads(row["data"]) if row["data"] else None,
                fetched_at=row["fetched_at"],
                attempted_at=row["attempted_at"],
                error=row["error"],
                missing=bool(row["missing"]),
            )
    if repos:
        marks = ", ".join("?" * len(repos))
        rows = await db.fetchall(
            "SELECT repo, sampled_at, backlog FROM extwatch_backlog "
            f"WHERE repo IN ({marks}) ORDER BY repo, sampled_at",  # noqa: S608
            repos,
        )
        for row in rows:
            backlogs[row["repo"]].append((row["sampled_at"], row["backlog"]))
    return {
        package: Cached(
            snapshots[package], list(backlogs.get(repo.lower(), [])) if repo else []
        )
        for package, repo in wanted
    }
