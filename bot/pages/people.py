"""Members' choices about the public pages: their name shown, their content removed.

A member is "a member" on the pages until they agree to show a name
(``/pages names``); a member who removes their content (``/pages remove``) has
every question and answer they wrote taken off the pages at once, until they put it
back. Pages read these choices in the same query as what they show (the table is
``page_members``), so a change shows on the next request: nothing is cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.clock import now_ts
from bot.db import Database

#: The longest name shown on the pages.
NAME_LIMIT = 80


@dataclass(frozen=True, slots=True)
class Choices:
    """One member's choices in one server."""

    name: str | None = None
    removed: bool = False


async def choices(db: Database, guild_id: int, user_id: int) -> Choices:
    row = await db.fetchone(
        "SELECT name, removed_at FROM page_members WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    if row is None:
        return Choices()
    return Choices(row["name"], row["removed_at"] is not None)


async def show_name(
    db: Database, guild_id: int, user_id: int, name: str | None
) -> None:
    """Show ``name`` next to the member's content (``None``: "a member" again)."""
    clean = " ".join(name.split())[:NAME_LIMIT] if name else None
    await db.execute(
        "INSERT INTO page_members (guild_id, user_id, name, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "name = excluded.name, updated_at = excluded.updated_at",
        (guild_id, user_id, clean or None, now_ts()),
    )


async def set_removed(db: Database, guild_id: int, user_id: int, removed: bool) -> bool:
    """Take the member's content off the pages (or put it back); False if unchanged."""
    now = now_ts()
    async with db.transaction() as tx:
        before = await tx.fetchone(
            "SELECT removed_at FROM page_members WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        was_removed = before is not None and before["removed_at"] is not None
        if was_removed == removed:
            return False
        await tx.execute(
            "INSERT INTO page_members (guild_id, user_id, removed_at, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "removed_at = excluded.removed_at, updated_at = excluded.updated_at",
            (guild_id, user_id, now if removed else None, now),
        )
    return True


async def agreed_names(
    db: Database, guild_id: int, user_ids: Iterable[int]
) -> dict[int, str]:
    """The names of those of ``user_ids`` who agreed to show one (and did not take
    their content off the pages): everyone else is counted, never named."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = await db.fetchall(
        "SELECT user_id, name FROM page_members WHERE guild_id = ? "
        f"AND name IS NOT NULL AND removed_at IS NULL AND user_id IN ({marks})",
        (guild_id, *ids),
    )
    return {row["user_id"]: row["name"] for row in rows}
