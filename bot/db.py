"""SQLite storage: one writer, one reader, numbered migrations, one process at a time.

Writes go through :meth:`Database.transaction`, which serialises them on a single
writer connection with ``BEGIN IMMEDIATE``; reads use a second connection and see
only committed data (WAL). A transaction opened inside another one joins it, so a
helper that writes (the scheduler, the outbox) can take part in a cog's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import fcntl
import functools
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import IO
from typing import TYPE_CHECKING
from typing import TypeVar

import aiosqlite

from bot.paths import MIGRATIONS_DIR

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
Row = sqlite3.Row
D = TypeVar("D", bound="DataclassInstance")
T = TypeVar("T")


def record(cls: type[D], row: Row, **converted: Any) -> D:
    """Build the dataclass ``cls`` from ``row``, each field from its column's name.

    ``converted`` gives the fields whose column needs converting (``bool``, a
    timestamp, an enum) or that are not columns at all; they win over the row.
    """
    values = {name: row[name] for name in _field_names(cls) if name not in converted}
    return cls(**values, **converted)


@functools.cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    # dataclasses.fields() builds a tuple of Field objects each time: costly for
    # every row of a list.
    return tuple(field.name for field in dataclasses.fields(cls))


_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do.

    ``exit_code`` is what the command line exits with, one per kind of trouble, so a
    service manager or a script can tell them apart (see :mod:`bot.cli`).
    """

    exit_code = 10


class DatabaseLocked(DatabaseError):
    """Another pallets-bot process holds the database."""

    exit_code = 11


class DatabaseCorrupt(DatabaseError):
    """The file is not an SQLite database, or fails its integrity check."""

    exit_code = 12


class DatabaseUnreadable(DatabaseError):
    """The file (or its directory) cannot be opened: permissions, most likely."""

    exit_code = 13


class DatabaseReadOnly(DatabaseError):
    """The database cannot be written: a read-only file or directory."""

    exit_code = 14


class DatabaseTooNew(DatabaseError):
    """The database was written by a newer pallets-bot than this one."""

    exit_code = 15


class DatabaseFull(DatabaseError):
    """A write failed because the disk (or the database's size limit) is full.

    The transaction was rolled back: nothing of it was kept.
    """

    exit_code = 17


def _primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code: extended ones (READONLY_DIRECTORY) keep it low."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def classify(path: Path, exc: sqlite3.Error, doing: str) -> DatabaseError:
    """Turn an SQLite error into the :class:`DatabaseError` that says what to do."""
    code = _primary_code(exc)
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return DatabaseCorrupt(
            f"{path}: {doing}: {exc}: the file is damaged or not a pallets-bot "
            "database; restore a backup (pallets-bot restore)"
        )
    if code == sqlite3.SQLITE_FULL:
        return DatabaseFull(
            f"{path}: {doing}: {exc}: free some disk space; nothing was saved"
        )
    if code == sqlite3.SQLITE_READONLY or (
        code == sqlite3.SQLITE_CANTOPEN
        and path.exists()
        and os.access(path, os.R_OK)
        and not os.access(path.parent, os.W_OK)
    ):
        return DatabaseReadOnly(
            f"{path}: {doing}: {exc}: the database and its directory must be "
            "writable (SQLite keeps its -wal and -shm files beside it)"
        )
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return DatabaseUnreadable(
            f"{path}: {doing}: {exc}: check that the file and its directory can be "
            "read and written by the user running pallets-bot"
        )
    return DatabaseError(f"{path}: {doing}: {exc}")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    lastrowid: int | None
    rowcount: int


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Return the numbered migrations in ``directory``, checking there are no gaps."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise DatabaseError(f"migration file name not understood: {path.name}")
        migrations.append(
            Migration(int(match.group(1)), path.stem, path.read_text("utf-8"))
        )
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise DatabaseError(
                f"migrations must be numbered 1, 2, 3, ...: {migration.name} is out of order"
            )
    return migrations


async def _in_one_trip(
    conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work`` on the connection's own thread in a single hand-off.

    aiosqlite's ``execute``, ``fetchone`` and the cursor's ``close`` are three trips
    between the event loop and the connection's thread; each costs a wake-up of both,
    which under load is most of a fast query's time. aiosqlite (pinned in uv.lock)
    has no public one-trip call for this, so the queueing method is used directly.
    """
    return await conn._execute(lambda: work(conn._conn))  # type: ignore[no-untyped-call, no-any-return]


def _one(sql: str, params: Params) -> Callable[[sqlite3.Connection], Row | None]:
    return lambda c: c.execute(sql, params).fetchone()


def _all(sql: str, params: Params) -> Callable[[sqlite3.Connection], list[Row]]:
    return lambda c: c.execute(sql, params).fetchall()


class Transaction:
    """The writer connection inside ``BEGIN IMMEDIATE``; sees its own writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> WriteResult:
        def work(c: sqlite3.Connection) -> WriteResult:
            cursor = c.execute(sql, params)
            return WriteResult(cursor.lastrowid, cursor.rowcount)

        return await _in_one_trip(self._conn, work)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        await self._conn.executemany(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await _in_one_trip(self._conn, _one(sql, params))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await _in_one_trip(self._conn, _all(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def _is_full(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) == sqlite3.SQLITE_FULL


_current_tx: contextvars.ContextVar[tuple[Database, Transaction] | None] = (
    contextvars.ContextVar("pallets_bot_current_tx", default=None)
)


class Database:
    """The bot's SQLite database."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._lock_file: IO[str] | None = None

    # -- life cycle -----------------------------------------------------------------
    async def open(self) -> None:
        """Take the process lock, connect, and set the pragmas."""
        self._acquire_process_lock()
        try:
            self._writer = await self._connect()
            self._reader = await self._connect()
            try:
                mode = await self._pragma(self._writer, "journal_mode=WAL")
            except sqlite3.Error as exc:
                raise classify(self.path, exc, "cannot switch to WAL") from exc
            if str(mode).lower() != "wal":
                raise DatabaseError(
                    f"{self.path}: could not switch to WAL journal mode"
                )
            await self._pragma(self._writer, "synchronous=NORMAL")
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn = await pending
        except sqlite3.Error as exc:
            # aiosqlite stops its worker thread; let it finish while this loop
            # runs, or it reports to a closed loop at exit (a noisy traceback).
            worker = getattr(pending, "_thread", None)
            if worker is not None:
                await asyncio.to_thread(worker.join, 5)
            raise classify(self.path, exc, "cannot open the database") from exc
        try:
            conn.row_factory = sqlite3.Row
            await self._pragma(conn, "foreign_keys=ON")
            await self._pragma(conn, f"busy_timeout={self.busy_timeout_ms}")
            # Reading the schema is the first thing that fails on a corrupt file.
            await self._pragma(conn, "schema_version")
        except BaseException as exc:
            # Close it, or its worker thread keeps the process from exiting.
            await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise classify(self.path, exc, "cannot open the database") from exc
            raise
        return conn

    @staticmethod
    async def _pragma(conn: aiosqlite.Connection, pragma: str) -> Any:
        async with conn.execute(f"PRAGMA {pragma}") as cursor:
            row = await cursor.fetchone()
            return None if row is None else row[0]

    def _acquire_process_lock(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_file = open(f"{self.path}.lock", "a+", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            # The lock file lives beside the database, as SQLite's -wal and -shm do.
            raise DatabaseReadOnly(
                f"{self.path}: cannot create the database or its lock file: {exc}; "
                "the directory must be writable by the user running pallets-bot"
            ) from exc
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            lock_file.close()
            raise DatabaseLocked(
                f"{self.path} is in use by pallets-bot (pid {holder}); "
                "stop that process first, or point PALLETS_BOT_DATABASE_PATH elsewhere"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        self._lock_file = lock_file

    async def close(self) -> None:
        """Close both connections and release the process lock."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        self._reader = self._writer = None
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    # -- migrations -----------------------------------------------------------------
    async def schema_version(self) -> int:
        return int(await self._pragma(self._require_writer(), "user_version"))

    async def migrate(self, migrations: list[Migration] | None = None) -> list[str]:
        """Apply the migrations the database has not seen; return their names."""
        migrations = load_migrations() if migrations is None else migrations
        conn = self._require_writer()
        current = await self.schema_version()
        if current > len(migrations):
            raise DatabaseTooNew(
                f"{self.path} is at schema version {current}, but this pallets-bot "
                f"knows only {len(migrations)}: upgrade pallets-bot or restore a backup"
            )
        applied = []
        async with self._write_lock:
            for migration in migrations[current:]:
                script = (
                    "BEGIN IMMEDIATE;\n"
                    f"{migration.sql}\n"
                    f"PRAGMA user_version = {migration.version};\n"
                    "COMMIT;"
                )
                try:
                    await conn.executescript(script)
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        await conn.rollback()
                    raise DatabaseError(
                        f"migration {migration.name} failed: {exc}"
                    ) from exc
                log.info("applied migration %s", migration.name)
                applied.append(migration.name)
        return applied

    # -- reads ----------------------------------------------------------------------
    def _read_conn(self) -> aiosqlite.Connection | Transaction:
        current = _current_tx.get()
        if current is not None and current[0] is self:
            return current[1]
        if self._reader is None:
            raise DatabaseError("the database is not open")
        return self._reader

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        conn = self._read_conn()
        if isinstance(conn, Transaction):
            return await conn.fetchone(sql, params)
        return await _in_one_trip(conn, _one(sql, params))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        conn = self._read_conn()
        if isinstance(conn, Transaction):
            return await conn.fetchall(sql, params)
        return await _in_one_trip(conn, _all(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def fetch_together(self, *reads: tuple[str, Params]) -> list[list[Row]]:
        """The rows of each ``(sql, params)``, read in one trip and one snapshot.

        A list and its count (a page and "of 1,234") in one hand-off to SQLite's
        thread instead of two, and counted in the same state of the database.
        """
        conn = self._read_conn()
        if isinstance(conn, Transaction):
            return [await conn.fetchall(sql, params) for sql, params in reads]

        def work(c: sqlite3.Connection) -> list[list[Row]]:
            c.execute("BEGIN")
            try:
                return [c.execute(sql, params).fetchall() for sql, params in reads]
            finally:
                c.execute("COMMIT")

        return await _in_one_trip(conn, work)

    # -- writes ---------------------------------------------------------------------
    def _require_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise DatabaseError("the database is not open")
        return self._writer

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run a block as one write transaction; joins an enclosing one."""
        current = _current_tx.get()
        if current is not None and current[0] is self:
            yield current[1]
            return
        conn = self._require_writer()
        async with self._write_lock:
            tx = Transaction(conn)
            token = _current_tx.set((self, tx))
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield tx
                    await conn.commit()
                except BaseException as exc:
                    # Also when COMMIT itself failed (a full disk): SQLite then
                    # leaves the transaction open, and every later BEGIN would fail.
                    await conn.rollback()
                    if isinstance(exc, sqlite3.Error) and _is_full(exc):
                        raise classify(self.path, exc, "write failed") from exc
                    raise
            finally:
                _current_tx.reset(token)

    async def execute(self, sql: str, params: Params = ()) -> WriteResult:
        """Run one write statement in its own transaction (or the enclosing one)."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, params)

    async def check_writable(self) -> None:
        """Raise when a write cannot be committed (used by the health check)."""
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES ('last_write_check', "
                "strftime('%s','now')) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )

    async def backup(self, destination: Path) -> None:
        """Write a consistent copy of the database with SQLite's online backup API."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination.with_name(destination.name + ".partial")
        tmp.unlink(missing_ok=True)
        target = await aiosqlite.connect(tmp)
        try:
            await self._require_writer().backup(target)
        finally:
            await target.close()
        tmp.replace(destination)
