"""Daily online backups of the database, and restoring one while the bot is stopped.

When ``PALLETS_BOT_BACKUP_DIR`` is set, a scheduled job (``ops.backup``) copies the
database every day at :data:`BACKUP_TIME` UTC with SQLite's online backup API, which
takes a consistent snapshot while the bot keeps writing, then keeps only the newest
``PALLETS_BOT_BACKUP_KEEP`` files. Each run schedules the next day's, and start-up
schedules the next one too, so a day missed while the bot was down never stops the
chain.

:func:`restore` replaces the database with a backup. It refuses while any pallets-bot
process holds the database's process lock (``<database>.lock``, see :mod:`bot.db`)
and holds that lock itself while it works, so the bot cannot start half-way through.
It refuses a file that is not a pallets-bot database: empty, unreadable, damaged, from
a newer version, or with a schema that differs from what the migrations make (a
foreign table, a planted trigger or view, a missing index).

A backup knows when it was taken (``backup.taken_at`` in its ``meta`` table). The work
that was pending in it and came due before the restore may have run in the life the
backup does not know about: the restore leaves a mark (``restore.*`` in ``meta``) and
the next start records that work as missed, unless the operator asked to replay it
(``--replay``); replayed sends look in their channel first (see :mod:`bot.outbox`).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from bot.clock import now_ts
from bot.clock import utcnow
from bot.db import DatabaseCorrupt
from bot.db import DatabaseError
from bot.db import DatabaseLocked
from bot.db import DatabaseTooNew
from bot.db import load_migrations
from bot.scheduler import Job

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

JOB_KIND = "ops.backup"
#: Quiet hours for most of the community; UTC.
BACKUP_TIME = time(3, 30)
#: A backup up to most of a day late is still worth taking.
CATCH_UP = timedelta(hours=20)
PREFIX = "pallets-bot-"
SUFFIX = ".sqlite3"


def next_backup_at(now: datetime) -> datetime:
    """The next daily backup time strictly after ``now`` (aware UTC)."""
    today = datetime.combine(now.date(), BACKUP_TIME, tzinfo=now.tzinfo)
    return today if today > now else today + timedelta(days=1)


def backup_name(moment: datetime) -> str:
    """File name of a backup taken at ``moment``; names sort by time."""
    return f"{PREFIX}{moment.strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"


def list_backups(directory: Path) -> list[Path]:
    """The backups in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.glob(f"{PREFIX}*{SUFFIX}")
        if path.is_file() and not path.name.endswith(".partial")
    )


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return what was deleted."""
    backups = list_backups(directory)
    doomed = backups[: max(len(backups) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


async def backup_file(database: Path, destination: Path) -> None:
    """Copy ``database`` to ``destination`` consistently, even while it is written.

    Reads through a connection of its own (read-only), so it never sees the bot's
    uncommitted writes and never holds the bot's writer.
    """
    if not database.is_file():
        raise DatabaseError(f"no database at {database}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    async with aiosqlite.connect(f"file:{database}?mode=ro", uri=True) as source:
        async with aiosqlite.connect(partial) as target:
            await source.backup(target)
            # In the copy only: when it was taken, for a later restore to say what
            # came after it.
            try:
                await target.execute(
                    "INSERT INTO meta (key, value) VALUES ('backup.taken_at', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(now_ts()),),
                )
                await target.commit()
            except sqlite3.OperationalError:
                pass  # not migrated yet (no meta table): nothing to remember
    partial.replace(destination)


async def take_backup(bot: PalletsBot) -> Path:
    """Write today's backup into the configured folder and prune old ones."""
    directory = bot.settings.backup_dir
    assert directory is not None
    destination = directory / backup_name(utcnow())
    await backup_file(bot.settings.database_path, destination)
    removed = prune(directory, bot.settings.backup_keep)
    log.info(
        "database backed up to %s (%d old backups removed)", destination, len(removed)
    )
    return destination


async def schedule_next(bot: PalletsBot) -> None:
    """Schedule the next daily backup (idempotent: the key is the day)."""
    due = next_backup_at(utcnow())
    await bot.schedule(
        JOB_KIND, f"ops:backup:{due.date().isoformat()}", due, guild_id=None
    )


async def install(bot: PalletsBot) -> None:
    """Register the backup job and schedule the next run, when backups are on."""
    if bot.settings.backup_dir is None:
        return

    async def run(job: Job) -> None:
        try:
            await take_backup(bot)
        finally:
            # Whatever happened today, tomorrow's backup must still be planned.
            await schedule_next(bot)

    bot.scheduler.register(JOB_KIND, run, catch_up=CATCH_UP)
    await schedule_next(bot)


# -- restore --------------------------------------------------------------------------
class RestoreError(DatabaseCorrupt):
    """The backup cannot be restored (it is not a pallets-bot database as the
    migrations make it); the message says why. Exits 12, as a damaged file does."""


@contextmanager
def process_lock(database: Path) -> Iterator[None]:
    """Hold the database's process lock, or raise :class:`DatabaseLocked`."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{database}.lock", "a+", encoding="utf-8") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            raise DatabaseLocked(
                f"{database} is in use by pallets-bot (pid {holder}): "
                "stop the bot before restoring a backup"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@functools.cache
def expected_schema(version: int) -> frozenset[tuple[str, str, str]]:
    """The objects (type, name, SQL) the migrations up to ``version`` create."""
    conn = sqlite3.connect(":memory:")
    try:
        for migration in load_migrations()[:version]:
            conn.executescript(migration.sql)
        return _schema(conn)
    finally:
        conn.close()


def _schema(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return frozenset(
        (kind, name, re.sub(r"\s+", " ", sql or "").strip()) for kind, name, sql in rows
    )


def schema_problems(conn: sqlite3.Connection, version: int) -> list[str]:
    """What differs between the database's schema and what the migrations make:
    foreign objects (a table, trigger, view or index no migration made), missing
    ones, and ones whose definition was changed."""
    expected = {(kind, name): sql for kind, name, sql in expected_schema(version)}
    found = {(kind, name): sql for kind, name, sql in _schema(conn)}
    problems = []
    for kind, name in sorted(found.keys() - expected.keys()):
        problems.append(f"a {kind} no migration made: {name}")
    for kind, name in sorted(expected.keys() - found.keys()):
        problems.append(f"missing {kind} {name}")
    for kind, name in sorted(found.keys() & expected.keys()):
        if found[kind, name] != expected[kind, name]:
            problems.append(f"{kind} {name} differs from its migration")
    return problems


def check_database_file(path: Path) -> int:
    """Return the schema version of the pallets-bot database at ``path``, or raise.

    Refuses an empty file, a file SQLite cannot read or that fails its integrity
    check, a schema version of 0 or from a newer pallets-bot, and a schema that is
    not what the migrations make (:func:`schema_problems`).
    """
    if not path.is_file():
        raise RestoreError(f"no backup at {path}")
    if path.stat().st_size == 0:
        raise RestoreError(f"{path} is empty (0 bytes): not a backup")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            known = len(load_migrations())
            problems = (
                schema_problems(conn, version)
                if integrity == "ok" and 0 < version <= known
                else []
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{path} is not a readable SQLite database: {exc}") from exc
    if integrity != "ok":
        raise RestoreError(f"{path} fails the integrity check: {integrity}")
    if version > known:
        raise DatabaseTooNew(
            f"{path} is at schema version {version}, but this pallets-bot knows only "
            f"{known}: upgrade pallets-bot first"
        )
    if version == 0:
        raise RestoreError(
            f"{path} is not a pallets-bot database (it has no schema version)"
        )
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RestoreError(
            f"{path} is not a pallets-bot database as the migrations make it: "
            f"{shown}{more}"
        )
    return version


def check_backup(path: Path) -> int:
    """Return the schema version of the backup at ``path``, or raise RestoreError."""
    return check_database_file(path)


def _copy(source: Path, destination: Path, *, read_only: bool = True) -> None:
    mode = "ro" if read_only else "rw"
    src = sqlite3.connect(f"file:{source}?mode={mode}", uri=True)
    try:
        dst = sqlite3.connect(destination)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@dataclass(frozen=True, slots=True)
class Restored:
    """What :func:`restore` did."""

    #: Where the replaced database was kept, if there was one.
    kept: Path | None
    #: When the backup was taken (epoch seconds; estimated for old backups).
    taken_at: int
    #: Pending jobs in the backup that came due before the restore: recorded missed
    #: at the next start, or run again with ``replay``.
    due: int
    replay: bool


def _taken_at(conn: sqlite3.Connection, path: Path) -> int:
    """When the backup was taken: its own record, or the last thing it knows of."""
    row = conn.execute(
        "SELECT value FROM meta WHERE key = 'backup.taken_at'"
    ).fetchone()
    if row is not None:
        return int(row[0])
    latest = conn.execute(
        "SELECT max(t) FROM (SELECT max(created_at, coalesce(finished_at, 0)) AS t "
        "FROM jobs UNION ALL SELECT max(created_at, coalesce(sent_at, 0)) FROM outbox)"
    ).fetchone()[0]
    return int(latest) if latest else int(path.stat().st_mtime)


def _mark(partial: Path, *, replay: bool) -> tuple[int, int]:
    """Leave the restore's mark in the copy; return (taken_at, due)."""
    now = now_ts()
    conn = sqlite3.connect(partial)
    try:
        taken_at = _taken_at(conn, partial)
        due = int(
            conn.execute(
                "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running') "
                "AND due_at <= ?",
                (now,),
            ).fetchone()[0]
        )
        with conn:
            conn.execute("DELETE FROM meta WHERE key LIKE 'restore.%'")
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("restore.backup_taken_at", str(taken_at)),
                    ("restore.restored_at", str(now)),
                    ("restore.replay", "1" if replay else "0"),
                ],
            )
    finally:
        conn.close()
    return taken_at, due


def restore(backup: Path, database: Path, *, replay: bool = False) -> Restored:
    """Replace ``database`` with ``backup``.

    Refuses (:class:`DatabaseLocked`) while the bot runs, and (:class:`RestoreError`)
    a file that is not a pallets-bot database (:func:`check_database_file`). The
    database being replaced is kept beside it as ``<name>.before-restore-<time>``
    (with its write-ahead log folded in), so a restore can itself be undone.
    Migrations bring an older backup up to date when the bot next starts, and the
    work due before the restore is recorded missed then, unless ``replay``.
    """
    check_backup(backup)
    with process_lock(database):
        kept: Path | None = None
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        if database.exists():
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            # Through SQLite, so anything still in the -wal file is part of the copy.
            # Read-write: reading a leftover -wal may need to create the -shm file.
            _copy(database, kept, read_only=False)
        partial = database.with_name(database.name + ".restoring")
        partial.unlink(missing_ok=True)
        _copy(backup, partial)
        taken_at, due = _mark(partial, replay=replay)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    log.info("restored %s from %s", database, backup)
    return Restored(kept, taken_at, due, replay)
