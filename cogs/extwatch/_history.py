"""The history of each watched extension's status (``extwatch_history``).

Whenever the watch has fetched and assessed a server's extensions (the weekly check,
an organiser's ``/ext-admin refresh``), :func:`record` adds a row for each extension whose
status differs from the last one recorded: the first check records the first status
(``previous`` is ``None``), "not checked yet" is never recorded. The public pages read
it: an extension's page lists its history, the Atom feed lists the changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from bot.db import Database
from bot.db import Row
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Reason
from cogs.extwatch._logic import ReasonCode
from cogs.extwatch._logic import Status


@dataclass(frozen=True, slots=True)
class StatusChange:
    id: int
    package: str
    status: Status
    #: ``None``: the first status recorded.
    previous: Status | None
    reasons: tuple[Reason, ...]
    changed_at: int

    @classmethod
    def from_row(cls, row: Row) -> StatusChange:
        return cls(
            id=row["id"],
            package=row["package"],
            status=Status(row["status"]),
            previous=Status(row["previous"]) if row["previous"] else None,
            reasons=reasons_from_json(row["reasons"]),
            changed_at=row["changed_at"],
        )


def reasons_to_json(reasons: Iterable[Reason]) -> str:
    return json.dumps(
        [
            {"code": r.code.value, "status": r.status.value, "values": dict(r.values)}
            for r in reasons
        ],
        sort_keys=True,
    )


def reasons_from_json(text: str) -> tuple[Reason, ...]:
    """The stored reasons; a code this version does not know is left out."""
    out = []
    for item in json.loads(text or "[]"):
        try:
            reason = Reason(
                ReasonCode(item["code"]),
                Status(item["status"]),
                dict(item.get("values") or {}),
            )
        except (KeyError, TypeError, ValueError):
            continue
        out.append(reason)
    return tuple(out)


async def latest(db: Database, guild_id: int) -> dict[str, Status]:
    """The last status recorded for each extension of a server."""
    rows = await db.fetchall(
        "SELECT package, status FROM extwatch_history AS h WHERE guild_id = ? "
        "AND id = (SELECT max(id) FROM extwatch_history "
        "WHERE guild_id = h.guild_id AND package = h.package)",
        (guild_id,),
    )
    return {row["package"]: Status(row["status"]) for row in rows}


async def record(
    db: Database,
    guild_id: int,
    assessed: Iterable[tuple[str, Assessment]],
    now: int,
) -> list[str]:
    """Add a row for each extension whose status changed; return their packages."""
    known = await latest(db, guild_id)
    rows = [
        (
            guild_id,
            package,
            assessment.status.value,
            known[package].value if package in known else None,
            reasons_to_json(assessment.reasons),
            now,
        )
        for package, assessment in assessed
        if assessment.status is not Status.UNKNOWN
        and known.get(package) is not assessment.status
    ]
    if rows:
        await db.executemany(
            "INSERT INTO extwatch_history "
            "(guild_id, package, status, previous, reasons, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    return [row[1] for row in rows]


async def of_package(
    db: Database, guild_id: int, package: str, limit: int
) -> list[StatusChange]:
    """An extension's statuses, newest first."""
    rows = await db.fetchall(
        "SELECT * FROM extwatch_history WHERE guild_id = ? AND package = ? "
        "ORDER BY changed_at DESC, id DESC LIMIT ?",
        (guild_id, package, limit),
    )
    return [StatusChange.from_row(row) for row in rows]


async def changes(db: Database, guild_id: int, limit: int) -> list[StatusChange]:
    """The latest changes of status (not first statuses), newest first."""
    rows = await db.fetchall(
        "SELECT * FROM extwatch_history WHERE guild_id = ? AND previous IS NOT NULL "
        "ORDER BY changed_at DESC, id DESC LIMIT ?",
        (guild_id, limit),
    )
    return [StatusChange.from_row(row) for row in rows]
