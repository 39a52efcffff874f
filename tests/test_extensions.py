"""The extension registry: the shipped seed, one entry per extension, the migration."""

from __future__ import annotations

from pathlib import Path

from bot.db import Database
from bot.db import load_migrations
from bot.extensions import derive_tag
from bot.extensions import Extensions
from bot.extensions import Flag
from bot.extensions import Kind
from bot.extensions import load_seed
from bot.extensions import Risk
from bot.extensions import TAG_NAME_LIMIT

GUILD = 42


def test_the_seed_merges_both_files_into_one_entry_each() -> None:
    seed = {entry.package: entry for entry in load_seed()}
    sqla = seed["flask-sqlalchemy"]
    assert sqla.kind is Kind.EXTENSION and sqla.tag == "Flask-SQLAlchemy"
    assert sqla.repo == "pallets-eco/flask-sqlalchemy"
    assert "sqlalchemy" in sqla.keywords and sqla.patterns  # from tags.toml
    assert sqla.docs_url == "https://flask-sqlalchemy.readthedocs.io/"  # watch list
    mail = seed["flask-mail"]
    assert (mail.tag, mail.keywords) == ("Flask-Mail", ("flask-mail", "flask_mail"))
    assert seed["flask-sqlalchemy-lite"].tag == "SQLAlchemy-Lite"
    assert seed["flask"].kind is Kind.LIBRARY and seed["flask"].repo == "pallets/flask"
    assert seed["flask-api-examples"].pypi is False
    assert seed["flask-api-examples"].tag is None
    assert all(len(e.tag or "") <= TAG_NAME_LIMIT for e in seed.values())
    # Specific rules first: every extension before the libraries it builds on.
    positions = [e.position for e in load_seed()]
    assert positions == sorted(positions)
    assert max(e.position for e in seed.values() if e.kind is Kind.EXTENSION) < min(
        e.position for e in seed.values() if e.kind is Kind.LIBRARY
    )


def test_the_shipped_list_names_the_missing_pallets_eco_extensions() -> None:
    names = {entry.display_name for entry in load_seed()}
    for wanted in (
        "WTForms",
        "Blinker",
        "cachelib",
        "Flask-Alembic",
        "Flask-SQLAlchemy-Lite",
        "WTForms-SQLAlchemy",
        "Flask-Classful",
        "Flask-RQ",
        "Flask-OpenID",
    ):
        assert wanted in names


def test_derive_tag_fits_discord() -> None:
    assert derive_tag("Flask-Mail") == "Flask-Mail"
    assert derive_tag("Flask-SQLAlchemy-Lite") == "SQLAlchemy-Lite"
    assert len(derive_tag("Flask-" + "x" * 40)) == TAG_NAME_LIMIT


async def test_a_registry_is_seeded_once_and_edits_stick(db: Database) -> None:
    registry = Extensions(db)
    assert await registry.ensure(GUILD)
    assert not await registry.ensure(GUILD)
    mail = await registry.find(GUILD, "flask_mail")
    assert mail is not None and mail.display_name == "Flask-Mail"
    assert await registry.find(GUILD, "SQLAlchemy-Lite") is not None  # by its tag
    await registry.update(GUILD, "flask-mail", keywords=["smtp"], watched=False)
    await registry.set_risks(GUILD, {"flask-mail": [Risk(Flag.ARCHIVED)]})
    fresh = Extensions(db)  # another process, the same database
    mail = await fresh.find(GUILD, "Flask-Mail")
    assert mail is not None
    assert (mail.keywords, mail.watched) == (("smtp",), False)
    assert mail.user_risks() == (Risk(Flag.ARCHIVED),)
    assert (
        await fresh.add(
            GUILD,
            package="flask-mail",
            display_name="Flask-Mail",
            repo=None,
            source="org",
        )
        is None
    )


async def test_the_migration_keeps_each_servers_list(tmp_path: Path) -> None:
    database = Database(tmp_path / "old.sqlite3")
    await database.open()
    try:
        migrations = load_migrations()
        await database.migrate(migrations[:13])
        await database.execute(
            "INSERT INTO extwatch_seeded (guild_id, seeded_at) VALUES (?, 1)", (GUILD,)
        )
        await database.executemany(
            "INSERT INTO extwatch_watch (guild_id, package, display_name, repo, notes, "
            "reported_status, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            [
                (
                    GUILD,
                    "flask-login",
                    "Flask-Login",
                    "maxcountryman/flask-login",
                    "",
                    "watch",
                    None,
                ),
                (
                    GUILD,
                    "flask-matrix",
                    "Flask-Matrix",
                    "x/flask-matrix",
                    "ours",
                    None,
                    7,
                ),
            ],
        )
        await database.migrate()
        registry = Extensions(database)
        await registry.ensure(GUILD)
        login = await registry.find(GUILD, "Flask-Login")
        assert login is not None and login.watched and login.tag == "Flask-Login"
        # Removed by the server before: it stays removed, its forum tag works.
        security = await registry.find(GUILD, "Flask-Security")
        assert security is not None and not security.watched and security.tag
        # Added by organisers: kept, and given a forum tag.
        matrix = await registry.find(GUILD, "Flask-Matrix")
        assert matrix is not None and matrix.watched and matrix.notes == "ours"
        assert matrix.tag == "Flask-Matrix" and matrix.source == "organiser"
        # New in the shipped list: watched.
        alembic = await registry.find(GUILD, "Flask-Alembic")
        assert alembic is not None and alembic.watched
        status = await database.fetchval(
            "SELECT status FROM extwatch_reported WHERE package = 'flask-login'"
        )
        assert status == "watch"
    finally:
        await database.close()
