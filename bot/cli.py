"""``pallets-bot``: run the bot, the playground, and maintenance commands.

Exit codes, one per kind of trouble, so a service manager or script can act on them:

== ==========================================================================
0  success
1  a configuration error, or another failure the message explains
2  no Discord token (``run``), or a usage error
10 a database problem not listed below
11 the database is in use by another pallets-bot process
12 the database file is damaged or not a pallets-bot database
13 the database file or its directory cannot be opened (permissions)
14 the database or its directory is read-only
15 the database was written by a newer pallets-bot
16 not used any more (``check`` no longer fails on a database ``run`` migrates)
17 the disk is full
20 Discord refused the token (``run``)
21 Discord cannot be reached: no network or DNS, after retrying (``run``)
22 Discord is having trouble (5xx) or limits this address (429), after retrying
23 the Message Content intent is not enabled for the bot (``run``)
== ==========================================================================
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.settings import Settings
from bot.settings import SettingsError

if TYPE_CHECKING:
    from bot.connect import DiscordUnreachable
    from bot.db import DatabaseError


def _database_failure(exc: DatabaseError | DiscordUnreachable) -> click.ClickException:
    """The command-line error for ``exc``, exiting with its kind's code."""
    # Click reads the exit code from the class.
    kind = type(
        f"{type(exc).__name__}Failure",
        (click.ClickException,),
        {"exit_code": exc.exit_code},
    )
    failure: click.ClickException = kind(str(exc))
    return failure


def _settings() -> Settings:
    try:
        return Settings.load()
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


_EXIT_CODES = """\b
Exit codes:
  1   configuration error       2   no token, or a usage error
  10  other database problem    11  database in use by another process
  12  damaged database          13  database cannot be opened (permissions)
  14  read-only database/dir    15  database from a newer pallets-bot
  17  disk full
  20  Discord refused the token 21  no network or DNS (retried first)
  22  Discord outage (retried)  23  Message Content intent not enabled
"""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]}, epilog=_EXIT_CODES
)
@click.version_option(package_name="pallets-bot")
def main() -> None:
    """The Pallets community Discord bot."""


@main.command()
def run() -> None:
    """Connect to Discord with the configured token."""
    settings = _settings()
    token = settings.token_value()
    if not token:
        click.echo(
            "No Discord token: set PALLETS_BOT_TOKEN (or DISCORD_TOKEN), in the environment "
            "or in a .env file.\nCreate a bot and copy its token at "
            "https://discord.com/developers/applications (see the README's set-up section).\n"
            "To try the bot without a token, run: pallets-bot playground",
            err=True,
        )
        sys.exit(2)
    from bot import logs

    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(_run(settings, token))


async def _preflight(settings: Settings) -> None:
    """Refuse a database the bot cannot use before connecting to Discord."""
    from bot.db import Database
    from bot.db import DatabaseTooNew
    from bot.db import load_migrations

    db = Database(settings.database_path)
    try:
        await db.open()
        version, known = await db.schema_version(), len(load_migrations())
        if version > known:
            raise DatabaseTooNew(
                f"{settings.database_path} is at schema version {version}, but this "
                f"pallets-bot knows only {known}: upgrade pallets-bot or restore a backup"
            )
    finally:
        await db.close()


async def _run(settings: Settings, token: str) -> None:
    from bot import connect
    from bot.app import create_bot
    from bot.db import DatabaseError

    try:
        await _preflight(settings)
        # Discord reachable and the token accepted, retrying a network that is not
        # up yet, before anything starts.
        await connect.wait_for_discord(token)
    except (DatabaseError, connect.DiscordUnreachable) as exc:
        raise _database_failure(exc) from None
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
    except DatabaseError as exc:
        raise _database_failure(exc) from None
    except Exception as exc:
        # The same failures, when they strike during login or the gateway's start.
        reason = connect.explain(exc)
        if reason is None:
            raise
        raise _database_failure(reason) from None


@main.command()
@click.option(
    "--interactive", is_flag=True, help="After the tour, type commands yourself."
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the playground's database in this file (default: a temporary one).",
)
@click.option(
    "--no-tour",
    is_flag=True,
    help="Set the server up and go straight to the prompt (with --interactive).",
)
@click.option(
    "--web",
    is_flag=True,
    help="Serve the public pages on localhost while the tour runs, to open in a browser.",
)
@click.option(
    "--web-port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port for --web (0: any free port).",
)
def playground(
    interactive: bool, database: Path | None, no_tour: bool, web: bool, web_port: int
) -> None:
    """Run the real bot against an offline, simulated Discord: no token needed."""
    from bot.devtools.playground import main_sync

    main_sync(interactive, database, tour=not no_tour, web=web, web_port=web_port)


@main.command()
@click.argument("application_id", required=False, default="<application id>")
def invite(application_id: str) -> None:
    """Print the invite link and the permissions it asks for, with why."""
    from bot import invite as invitation

    for name, why in invitation.PERMISSIONS.items():
        click.echo(f"{invitation.label(name)}: {why}")
    click.echo(f"permissions integer: {invitation.permissions().value}")
    click.echo(invitation.invite_url(application_id))


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    applied = asyncio.run(_with_db(_settings(), "migrate"))
    assert isinstance(applied, list)
    click.echo(
        "\n".join(f"applied {name}" for name in applied) or "database is up to date"
    )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Write a consistent copy of the database to PATH (safe while the bot runs)."""
    import sqlite3

    from bot.backups import backup_file
    from bot.db import classify
    from bot.db import DatabaseError

    settings = _settings()
    # Read-only, without the process lock: the online backup API copies a
    # consistent snapshot even while the running bot writes.
    try:
        asyncio.run(backup_file(settings.database_path, path))
    except sqlite3.Error as exc:
        error = classify(settings.database_path, exc, "backup failed")
        raise _database_failure(error) from None
    except DatabaseError as exc:
        raise _database_failure(exc) from None
    click.echo(f"backup written to {path}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--replay",
    is_flag=True,
    help="Run the work that came due before the restore again (each send looks in "
    "its channel first) instead of recording it missed.",
)
def restore(path: Path, yes: bool, replay: bool) -> None:
    """Replace the database with the backup at PATH (the bot must be stopped).

    Work that was pending in the backup and came due before now may have run after
    the backup was taken: the next start records it missed, unless --replay.
    """
    from datetime import datetime
    from datetime import UTC

    from bot.backups import restore as restore_backup
    from bot.db import DatabaseError

    settings = _settings()
    if not yes:
        click.confirm(
            f"Replace {settings.database_path} with {path}?", abort=True, default=False
        )
    try:
        restored = restore_backup(path, settings.database_path, replay=replay)
    except DatabaseError as exc:
        raise _database_failure(exc) from None
    if restored.kept is not None:
        click.echo(f"the previous database was kept as {restored.kept}")
    taken = datetime.fromtimestamp(restored.taken_at, UTC).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"restored {settings.database_path} from {path} (taken {taken} UTC); "
        "migrations bring it up to date at the next start"
    )
    if restored.due:
        fate = (
            "run again at the next start (each send looks in its channel first)"
            if replay
            else "recorded missed at the next start, as they may have run after "
            "the backup was taken (--replay runs them again)"
        )
        click.echo(f"{restored.due} jobs that came due before now will be {fate}")


@main.command()
def check() -> None:
    """Validate the configuration and the database.

    A database that ``run`` sets up by itself passes: a missing one (``run`` creates
    it) and one at an older schema version (``run`` migrates it). The message says
    what ``run`` will do.
    """
    settings = _settings()
    click.echo(f"configuration ok (database: {settings.database_path})")
    result = asyncio.run(_with_db(settings, "check"))
    assert isinstance(result, str)
    click.echo(result)


def _creatable(path: Path) -> str:
    """What ``run`` will do with the missing database ``path``, or raise why it can't."""
    import tempfile

    from bot.db import DatabaseReadOnly
    from bot.db import load_migrations

    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        # run fails the same way: it cannot make the directory.
        raise DatabaseReadOnly(
            f"{path}: cannot create the database: {existing} is not a directory"
        )
    try:
        # Try it rather than ask access(), which root's answers and the immutable
        # flag make unreliable; nothing is left behind.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise DatabaseReadOnly(
            f"{path}: cannot create the database: {existing} is not writable ({exc}); "
            "the directory must be writable by the user running pallets-bot"
        ) from None
    known = len(load_migrations())
    return (
        f"no database yet: pallets-bot run will create {path} "
        f"and apply the {known} migrations"
    )


async def _with_db(settings: Settings, action: str) -> list[str] | str:
    import sqlite3

    from bot.db import classify
    from bot.db import Database
    from bot.db import DatabaseCorrupt
    from bot.db import DatabaseError
    from bot.db import DatabaseTooNew
    from bot.db import load_migrations

    path = settings.database_path
    if action == "check" and not path.exists():
        try:
            return _creatable(path)
        except DatabaseError as exc:
            raise _database_failure(exc) from None
    db = Database(path)
    try:
        await db.open()
        if action == "migrate":
            return await db.migrate()
        version = await db.schema_version()
        known = len(load_migrations())
        if version > known:
            raise DatabaseTooNew(
                f"{path} is at schema version {version}, but this pallets-bot knows "
                f"only {known}: upgrade pallets-bot or restore a backup"
            )
        try:
            integrity = await db.fetchval("PRAGMA quick_check")
        except sqlite3.Error as exc:
            raise classify(path, exc, "integrity check failed") from exc
        if integrity != "ok":
            raise DatabaseCorrupt(
                f"{path}: integrity check failed: {integrity}; restore a backup"
            )
        problems = await asyncio.to_thread(_schema_problems, path, version)
        if problems:
            raise DatabaseCorrupt(
                f"{path} is not a pallets-bot database as the migrations make it: "
                + "; ".join(problems[:5])
            )
        if version < known:
            missing = known - version
            return (
                f"database ok (schema version {version} of {known}): pallets-bot run "
                f"will apply the {missing} missing migration{'s' if missing != 1 else ''} "
                "(pallets-bot migrate applies them now)"
            )
        return f"database ok (schema version {version})"
    except DatabaseError as exc:
        raise _database_failure(exc) from None
    finally:
        await db.close()


def _schema_problems(path: Path, version: int) -> list[str]:
    import sqlite3

    from bot.backups import schema_problems

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return schema_problems(conn, version)
    finally:
        conn.close()


@main.group()
def i18n() -> None:
    """Keep the translation catalogues in step with the code."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Write locale/messages.pot from the code and the command tree."""
    from bot.devtools import i18n_tools

    count = i18n_tools.write_pot()
    click.echo(f"locale/messages.pot: {count} messages")


@i18n.command("update")
@click.option("--language", "languages", multiple=True, help="Only this catalogue.")
def i18n_update(languages: tuple[str, ...]) -> None:
    """Merge locale/messages.pot into the catalogues."""
    from bot.devtools import i18n_tools

    for language in i18n_tools.update_catalogues(list(languages) or None):
        click.echo(f"updated {language}")


@i18n.command("init")
@click.argument("language")
def i18n_init(language: str) -> None:
    """Start a catalogue for LANGUAGE (for example it, or pt_BR)."""
    from bot.devtools import i18n_tools

    path = i18n_tools.init_catalogue(language)
    click.echo(f"created {path}")


@i18n.command("check")
@click.option(
    "--complete/--no-complete", default=True, help="Require every entry translated."
)
def i18n_check(complete: bool) -> None:
    """Fail when the .pot is stale or a catalogue is broken or incomplete."""
    from bot.devtools import i18n_tools

    problems = i18n_tools.check(require_complete=complete)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("catalogues ok")
