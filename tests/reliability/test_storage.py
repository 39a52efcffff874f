"""Storage faults: each one a clear message and its own exit code, never silent loss.

The exit codes are listed in :mod:`bot.cli`. Permission tests need a non-root user
(root reads and writes through any mode bits); the read-only directory test uses
``chattr +i`` instead when run as root, where the filesystem allows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import simcord
from click.testing import CliRunner
from click.testing import Result

from bot.app import PalletsBot
from bot.backups import backup_file
from bot.cli import main
from bot.db import Database
from bot.db import DatabaseFull
from bot.db import load_migrations
from bot.devtools.testing import World
from bot.errors import unwrap
from bot.paths import ROOT
from bot.settings import Settings

IS_ROOT = os.geteuid() == 0
ROOT_SKIP = "root reads and writes through any permission bits"

CODE_LOCKED = 11
CODE_CORRUPT = 12
CODE_UNREADABLE = 13
CODE_READ_ONLY = 14
CODE_TOO_NEW = 15


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("PALLETS_BOT_TOKEN", "DISCORD_TOKEN", "PALLETS_BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PALLETS_BOT_DATABASE_PATH", str(db_path))
    return CliRunner()


def migrated(path: Path) -> None:
    async def go() -> None:
        db = Database(path)
        await db.open()
        try:
            await db.migrate()
        finally:
            await db.close()

    asyncio.run(go())


def python_path() -> str:
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def run_bot(db_path: Path) -> subprocess.CompletedProcess[str]:
    """``pallets-bot run`` in its own process (it configures logging globally).

    The token is fake: a database the bot cannot use must be refused before any
    connection to Discord is attempted.
    """
    env = {
        **os.environ,
        "PYTHONPATH": python_path(),
        "PALLETS_BOT_TOKEN": "not-a-real-token",
        "PALLETS_BOT_DATABASE_PATH": str(db_path),
    }
    env.pop("DISCORD_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        env=env,
        cwd=db_path.parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_refused(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    output = result.output
    assert "Error: " in output, output
    for word in words:
        assert word in output, output


# -- refusals at start-up -----------------------------------------------------------------
def test_corrupt_database_file_exits_12_from_check_migrate_and_run(
    runner: CliRunner, db_path: Path
) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(b"not an SQLite file " * 500)
    for command in ("check", "migrate"):
        result = runner.invoke(main, [command])
        assert_refused(result, CODE_CORRUPT, str(db_path), "restore a backup")
    ran = run_bot(db_path)
    assert ran.returncode == CODE_CORRUPT, ran.stderr
    assert "restore a backup" in ran.stderr
    assert db_path.read_bytes() == b"not an SQLite file " * 500  # untouched


def test_truncated_database_fails_the_integrity_check_with_exit_12(
    runner: CliRunner, db_path: Path
) -> None:
    migrated(db_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [(f"k{i}", "x" * 200) for i in range(2000)],
        )
    size = db_path.stat().st_size
    with db_path.open("r+b") as fp:
        fp.truncate(size // 2)  # a half-written copy, say
    result = runner.invoke(main, ["check"])
    assert_refused(result, CODE_CORRUPT, str(db_path))


@pytest.mark.skipif(IS_ROOT, reason=ROOT_SKIP)
def test_unreadable_database_file_exits_13(runner: CliRunner, db_path: Path) -> None:
    migrated(db_path)
    db_path.chmod(0)
    try:
        for command in ("check", "migrate"):
            result = runner.invoke(main, [command])
            assert_refused(result, CODE_UNREADABLE, str(db_path), "can be read")
        ran = run_bot(db_path)
        assert ran.returncode == CODE_UNREADABLE, ran.stderr
    finally:
        db_path.chmod(0o644)


@contextlib.contextmanager
def read_only_directory(directory: Path) -> Iterator[None]:
    """Make ``directory`` refuse new files, even to root when the filesystem allows."""
    if not IS_ROOT:
        mode = directory.stat().st_mode
        directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield
        finally:
            directory.chmod(mode)
        return
    made = subprocess.run(
        ["chattr", "+i", str(directory)], capture_output=True, check=False
    )
    if made.returncode != 0:
        pytest.skip(f"{ROOT_SKIP}, and chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


@pytest.mark.parametrize("lock_file_exists", [False, True])
def test_read_only_directory_exits_14_and_says_why(
    runner: CliRunner, db_path: Path, lock_file_exists: bool
) -> None:
    migrated(db_path)
    lock = Path(f"{db_path}.lock")
    if not lock_file_exists:
        lock.unlink()
    with read_only_directory(db_path.parent):
        for command in ("check", "migrate"):
            result = runner.invoke(main, [command])
            assert_refused(result, CODE_READ_ONLY, str(db_path), "writable")
        ran = run_bot(db_path)
    assert ran.returncode == CODE_READ_ONLY, ran.stderr
    assert "writable" in ran.stderr
    assert runner.invoke(main, ["check"]).exit_code == 0


def test_database_from_a_newer_version_exits_15(
    runner: CliRunner, db_path: Path
) -> None:
    migrated(db_path)
    newer = len(load_migrations()) + 1
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    for command in ("check", "migrate"):
        result = runner.invoke(main, [command])
        assert_refused(result, CODE_TOO_NEW, f"schema version {newer}", "upgrade")
    ran = run_bot(db_path)
    assert ran.returncode == CODE_TOO_NEW, ran.stderr
    assert "upgrade pallets-bot" in ran.stderr
    with sqlite3.connect(db_path) as conn:  # nothing was migrated "down"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == newer


def test_unmigrated_database_passes_check_which_says_run_migrates_it(
    runner: CliRunner, db_path: Path
) -> None:
    db_path.parent.mkdir()
    sqlite3.connect(db_path).close()
    known = len(load_migrations())
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert (
        f"schema version 0 of {known}): pallets-bot run will apply the {known} "
        "missing migrations"
    ) in result.output
    with sqlite3.connect(db_path) as conn:  # check itself migrates nothing
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


def test_missing_database_in_a_read_only_directory_exits_14_from_check(
    runner: CliRunner, db_path: Path
) -> None:
    db_path.parent.mkdir()
    with read_only_directory(db_path.parent):
        result = runner.invoke(main, ["check"])
    assert_refused(result, CODE_READ_ONLY, str(db_path), "writable")
    assert list(db_path.parent.iterdir()) == []


def test_missing_database_under_a_file_exits_14_from_check_and_run(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").write_text("a file, not a folder")
    path = tmp_path / "data" / "bot.sqlite3"
    monkeypatch.setenv("PALLETS_BOT_DATABASE_PATH", str(path))
    result = runner.invoke(main, ["check"])
    assert_refused(result, CODE_READ_ONLY, "is not a directory")
    ran = run_bot(path)
    assert ran.returncode == CODE_READ_ONLY, ran.stderr


def test_database_in_use_exits_11(runner: CliRunner, db_path: Path) -> None:
    async def hold() -> None:
        db = Database(db_path)
        await db.open()
        try:
            await db.migrate()
            # The bot is running: maintenance that needs the database refuses.
            result = await asyncio.to_thread(runner.invoke, main, ["migrate"])
            assert_refused(result, CODE_LOCKED, "in use by pallets-bot")
            ran = await asyncio.to_thread(run_bot, db_path)
            assert ran.returncode == CODE_LOCKED, ran.stderr
            assert f"pid {os.getpid()}" in ran.stderr
            backup = db_path.parent / "copy.sqlite3"
            result = await asyncio.to_thread(
                runner.invoke, main, ["backup", str(backup)]
            )
            assert result.exit_code == 0, result.output  # a backup is fine
            result = await asyncio.to_thread(
                runner.invoke, main, ["restore", "--yes", str(backup)]
            )
            assert_refused(result, CODE_LOCKED, "stop the bot")
        finally:
            await db.close()

    asyncio.run(hold())


def test_restore_of_a_damaged_backup_is_refused_and_keeps_the_database(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    migrated(db_path)
    before = db_path.read_bytes()
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"garbage" * 1000)
    result = runner.invoke(main, ["restore", "--yes", str(damaged)])
    assert result.exit_code != 0
    assert "not a readable SQLite database" in result.output
    assert db_path.read_bytes() == before


# -- a full disk while the bot runs -------------------------------------------------------
SMALL_PAGES = 512


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    from bot.devtools.testing import test_settings

    settings = test_settings(tmp_path)
    # Small pages, so that one proposal's text needs a page of its own, and a
    # page limit set at the database's size refuses it.
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute(f"PRAGMA page_size = {SMALL_PAGES}")
        conn.execute("VACUUM")
    return settings


async def set_page_limit(bot: PalletsBot, unlimited: bool = False) -> None:
    writer = bot.db._writer
    assert writer is not None
    if unlimited:
        await writer.execute("PRAGMA max_page_count = 4294967294")
        return
    # Pages a migration freed (a table rebuilt) would be reused before the file
    # grows: give them back first, so the next write that needs a page fails.
    async with writer.execute("PRAGMA freelist_count") as cursor:
        free = await cursor.fetchone()
    if free is not None and free[0]:
        await writer.execute("VACUUM")
    async with writer.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await writer.execute(f"PRAGMA max_page_count = {row[0]}")


async def test_disk_full_during_a_command_rolls_back_tells_everyone_and_recovers(
    simcord_env: simcord.Env, world: World
) -> None:
    from tests.cogs.chats.test_cog import advance_to
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.chats.test_cog import TO_OPEN

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN)
    count = "SELECT count(*) FROM chat_proposals"
    assert await bot.db.fetchval(count) == 0
    log_before = len(world.log.history())

    await set_page_limit(bot)
    details = "Why the application context exists, with examples. " * 9
    refused = await world.alice.slash(
        world.general, "chat propose", title="App context", details=details[:500]
    )
    assert refused.response is not None and refused.response.ephemeral
    assert "storage is full" in (refused.response.content or "")
    assert "try again later" in (refused.response.content or "")
    errors = [unwrap(e) for e in simcord_env.errors]  # seen, and acknowledged
    assert errors and all(isinstance(e, DatabaseFull) for e in errors)
    assert await bot.db.fetchval(count) == 0  # nothing half-saved
    notices = [m.content for m in world.log.history()[log_before:]]
    assert len([n for n in notices if "storage is full" in n]) == 1

    # Still full: the member is told again, the organisers are not told twice.
    again = await world.bob.slash(
        world.general, "chat propose", title="Blueprints", details=details[:500]
    )
    assert "storage is full" in (again.response.content or "")  # type: ignore[union-attr]
    simcord_env.errors  # noqa: B018  (acknowledge the second refusal)
    notices = [m.content for m in world.log.history()[log_before:]]
    assert len([n for n in notices if "storage is full" in n]) == 1

    # The bot kept running; once there is room, the same command works.
    listed = await world.carol.slash(world.general, "chat next")
    assert listed.response is not None
    await set_page_limit(bot, unlimited=True)
    done = await world.alice.slash(
        world.general, "chat propose", title="App context", details=details[:500]
    )
    assert "storage is full" not in (done.response.content or "")  # type: ignore[union-attr]
    assert await bot.db.fetchval(count) == 1
    assert await bot.db.fetchval("PRAGMA integrity_check") == "ok"


# -- backups while the bot writes ---------------------------------------------------------
def cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": python_path(),
        "PALLETS_BOT_DATABASE_PATH": str(database),
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def verify_restores(copy: Path, target: Path) -> None:
    """``copy`` is consistent, restores with the CLI, and opens under the migrations."""
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(
            load_migrations()
        )
    result = CliRunner().invoke(
        main,
        ["restore", "--yes", str(copy)],
        env={"PALLETS_BOT_DATABASE_PATH": str(target), "PALLETS_BOT_CONFIG": None},
    )
    assert result.exit_code == 0, result.output

    async def reopen() -> None:
        restored = Database(target)
        await restored.open()
        try:
            assert await restored.migrate() == []
            assert await restored.fetchval("PRAGMA integrity_check") == "ok"
            assert await restored.fetchval("SELECT count(*) FROM mentor_profiles") <= 1
        finally:
            await restored.close()

    asyncio.run(reopen())


async def test_backup_while_the_bot_writes_is_consistent_and_restores(
    simcord_env: simcord.Env, world: World, settings: Settings, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    copies: list[Path] = []
    failures: list[BaseException] = []

    def take_backups() -> None:
        # Real threads and a real process, copying while the bot's writer writes.
        try:
            for n in range(4):
                copy = backups / f"online-{n}.sqlite3"
                asyncio.run(backup_file(settings.database_path, copy))
                copies.append(copy)
            copy = backups / "cli.sqlite3"
            ran = cli(settings.database_path, "backup", str(copy))
            assert ran.returncode == 0, ran.stderr
            copies.append(copy)
        except BaseException as exc:
            failures.append(exc)

    backer = threading.Thread(target=take_backups)
    backer.start()
    rounds = 0
    while backer.is_alive() or rounds < 5:
        rounds += 1
        result = await world.mentor.slash(
            world.general,
            "mentor-tools profile",
            topics="flask, testing",
            timezone="Europe/Paris",
            languages="English",
            capacity=1 + rounds % 3,
        )
        assert result.response is not None or result.followups
        await world.admin.slash(
            world.general, "setup channels", log=world.log, helpers=world.helpers
        )
    backer.join()
    assert not failures, failures
    assert len(copies) == 5
    # Outside the bot's event loop: the checks run their own.
    checker = ThreadPoolExecutor(1)
    for copy in copies:
        checker.submit(
            verify_restores, copy, tmp_path / "restored" / copy.name
        ).result()
    checker.shutdown()


async def fill_table(bot: PalletsBot, table_sql: str) -> int:
    """Fill the free space of a table's pages with rows, until the disk is "full"."""
    filled = 0
    while True:
        try:
            await bot.db.execute(table_sql, (f"filler:{filled}",))
        except DatabaseFull:
            return filled
        filled += 1


async def test_disk_full_when_a_job_is_due_keeps_it_pending_until_there_is_room(
    simcord_env: simcord.Env, world: World
) -> None:
    from tests.cogs.chats.test_cog import advance_to
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.chats.test_cog import TO_OPEN

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await create_series(world)
    await set_page_limit(bot)
    # The outbox cannot take one more row: the announcement cannot be recorded.
    assert await fill_table(
        bot,
        "INSERT INTO outbox (key, nonce, attempts, created_at) VALUES (?, 'x', 1, 0)",
    )
    await advance_to(simcord_env, TO_OPEN)
    assert [m for m in world.announcements.history() if m.embeds] == []
    job = await bot.db.fetchone("SELECT state FROM jobs WHERE kind = 'chats.open'")
    assert job is not None and job["state"] == "pending"  # to be retried
    # Space is freed: the retry posts the announcement, once.
    await bot.db.execute("DELETE FROM outbox WHERE key LIKE 'filler:%'")
    await set_page_limit(bot, unlimited=True)
    await advance_to(simcord_env, TO_OPEN + 3600)
    assert len([m for m in world.announcements.history() if m.embeds]) == 1
    job = await bot.db.fetchone("SELECT state FROM jobs WHERE kind = 'chats.open'")
    assert job is not None and job["state"] == "done"


def test_restore_of_a_backup_from_a_newer_version_exits_15(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    migrated(db_path)
    before = db_path.read_bytes()
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    result = runner.invoke(main, ["restore", "--yes", str(newer)])
    assert_refused(result, CODE_TOO_NEW, "upgrade pallets-bot first")
    assert db_path.read_bytes() == before


def test_backup_without_a_database_says_so(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(main, ["backup", str(db_path.parent / "copy.sqlite3")])
    assert result.exit_code == 10
    assert f"no database at {db_path}" in result.output


def test_every_database_exit_code_is_documented_in_the_help(runner: CliRunner) -> None:
    import bot.db

    help_text = runner.invoke(main, ["--help"]).output
    kinds = [
        value
        for value in vars(bot.db).values()
        if isinstance(value, type) and issubclass(value, bot.db.DatabaseError)
    ]
    codes = {kind.exit_code for kind in kinds}
    assert len(codes) == len(kinds)  # one code per kind of trouble
    for code in codes:
        assert f"\n  {code}  " in help_text or f"  {code}  " in help_text, code


# -- restore refuses what is not a pallets-bot database ------------------------------------
def planted(path: Path, *statements: str) -> Path:
    """A real, migrated database with ``statements`` run on it."""
    migrated(path)
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return path


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("empty", lambda p: p.write_bytes(b""), "empty (0 bytes)"),
        (
            "foreign",
            lambda p: planted(
                p,
                "CREATE TABLE notes (body TEXT)",
                f"PRAGMA user_version = {len(load_migrations())}",
            ),
            "a table no migration made: notes",
        ),
        (
            "unversioned",
            lambda p: (
                sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.close()
            ),
            "no schema version",
        ),
        (
            "trigger",
            lambda p: planted(
                p,
                "CREATE TRIGGER spy AFTER INSERT ON guild_settings BEGIN "
                "DELETE FROM jobs; END",
            ),
            "a trigger no migration made: spy",
        ),
        (
            "view",
            lambda p: planted(p, "CREATE VIEW everything AS SELECT * FROM outbox"),
            "a view no migration made: everything",
        ),
        (
            "dropped-index",
            lambda p: planted(p, "DROP INDEX jobs_state_due"),
            "missing index jobs_state_due",
        ),
    ],
)
def test_restore_refuses_what_the_migrations_did_not_make(
    runner: CliRunner, db_path: Path, tmp_path: Path, name: str, make: Any, says: str
) -> None:
    """An empty file, a database of something else (even one claiming our schema
    version), and a real backup with a planted trigger or view or a dropped index
    are refused with exit 12, and the database is kept."""
    migrated(db_path)
    before = db_path.read_bytes()
    bad = tmp_path / f"{name}.sqlite3"
    make(bad)
    result = runner.invoke(main, ["restore", "--yes", str(bad)])
    assert_refused(result, CODE_CORRUPT, says)
    assert db_path.read_bytes() == before


def test_check_says_a_foreign_database_is_not_ok(
    runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` said "database ok" for any file at the right schema version."""
    db_path.parent.mkdir(parents=True)
    planted(db_path, "CREATE TRIGGER spy AFTER INSERT ON jobs BEGIN SELECT 1; END")
    result = runner.invoke(main, ["check"])
    assert_refused(result, CODE_CORRUPT, "a trigger no migration made: spy")
    migrated(db_path.with_name("clean.sqlite3"))
    monkeypatch.setenv(
        "PALLETS_BOT_DATABASE_PATH", str(db_path.with_name("clean.sqlite3"))
    )
    assert "database ok" in runner.invoke(main, ["check"]).output
