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
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from bot.clock import utcnow
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
class RestoreError(DatabaseError):
    """The backup cannot be restored; the message says why."""


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


def check_backup(path: Path) -> int:
    """Return the schema version of the backup at ``path``, or raise RestoreError."""
    if not path.is_file():
        raise RestoreError(f"no backup at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{path} is not a readable SQLite database: {exc}") from exc
    if integrity != "ok":
        raise RestoreError(f"{path} fails the integrity check: {integrity}")
    known = len(load_migrations())
    if version > known:
        raise DatabaseTooNew(
            f"{path} is at schema version {version}, but this pallets-bot knows only "
            f"{known}: upgrade pallets-bot first"
        )
    return version


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


def restore(backup: Path, database: Path) -> Path | None:
    """Replace ``database`` with ``backup``; return where the old database was kept.

    Refuses (:class:`DatabaseLocked`) while the bot runs. The database being replaced
    is kept beside it as ``<name>.before-restore-<time>`` (with its write-ahead log
    folded in), so a restore can itself be undone. Migrations bring an older backup
    up to date when the bot next starts.
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
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    log.info("restored %s from %s", database, backup)
    return kept
