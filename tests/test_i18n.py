from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po
from babel.support import Translations
from discord import app_commands

from bot import i18n
from bot.devtools import i18n_tools
from bot.devtools.testing import member_locale
from bot.devtools.testing import World
from bot.i18n import compile_po
from bot.i18n import NAME_CONTEXT
from bot.paths import LOCALE_DIR
from tests.loop_turns import other_work


def write_catalog(
    directory: Path, language: str, entries: list[tuple[Any, ...]]
) -> Path:
    catalog = Catalog(locale=language, fuzzy=False)
    for entry in entries:
        msgid, string, *rest = entry
        catalog.add(
            msgid,
            string,
            context=rest[0] if rest else None,
            flags=rest[1] if len(rest) > 1 else (),
        )
    path = directory / language / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as fp:
        write_po(fp, catalog)
    return path


@pytest.fixture
def locale_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    write_catalog(
        tmp_path,
        "fr",
        [
            ("Language: {value}", "Langue : {value}"),
            ("not set", "non défini"),
            (("{count} vote", "{count} votes"), ("{count} vote", "{count} votes")),
            ("setup", "configuration", NAME_CONTEXT),
            ("show", "afficher", NAME_CONTEXT),
            ("language", "Not Valid Name", NAME_CONTEXT),
        ],
    )
    write_catalog(tmp_path, "pt_BR", [("not set", "não definido")])
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield tmp_path
    i18n.translations.cache_clear()


def test_translates_in_the_active_language_and_falls_back_to_english(
    locale_dir: Path,
) -> None:
    with i18n.scope("fr", "fr"):
        assert i18n._("Language: {value}", value="x") == "Langue : x"
        assert i18n._("Untranslated {thing}", thing="y") == "Untranslated y"
    assert i18n._("Language: {value}", value="x") == "Language: x"


def test_plural_forms(locale_dir: Path) -> None:
    with i18n.scope("fr", "fr"):
        assert i18n.ngettext("{count} vote", "{count} votes", 1) == "1 vote"
        assert i18n.ngettext("{count} vote", "{count} votes", 2) == "2 votes"
    assert i18n.ngettext("{count} vote", "{count} votes", 1) == "1 vote"
    assert i18n.ngettext("{count} vote", "{count} votes", 1000) == "1,000 votes"


def test_discord_locales_map_to_catalogues(locale_dir: Path) -> None:
    assert i18n.catalogue_for("fr") == "fr"
    assert i18n.catalogue_for("pt-BR") == "pt_BR"
    assert i18n.catalogue_for("ja") is None
    assert i18n.catalogue_for("en-US") == "en"
    # A member's language wins; with no catalogue, the guild's; then English.
    assert i18n.resolve("fr", None, "en") == ("fr", "en")
    assert i18n.resolve("ja", "pt-BR", "en") == ("pt_BR", "pt_BR")
    assert i18n.resolve("ja", None, "en") == ("en", "en")


def test_amounts_follow_the_members_own_locale_and_public_text_the_guilds() -> None:
    from decimal import Decimal

    i18n.activate("en", "en", "de-AT")
    assert i18n.format_currency(Decimal("1234.5"), "EUR") == "€\xa01.234,50"
    with i18n.guild_language():
        assert i18n.format_currency(Decimal("1234.5"), "EUR") == "€1,234.50"
    i18n.activate("en", "en", "en-US")
    assert i18n.format_number(1234) == "1,234"


def test_public_posts_use_the_guild_language(locale_dir: Path) -> None:
    with i18n.scope("fr", "en"):
        assert i18n._("not set") == "non défini"
        with i18n.guild_language():
            assert i18n._("not set") == "not set"
        with i18n.guild_language(), i18n.member_language():
            assert i18n._("not set") == "non défini"


def command_name_context() -> Any:
    return app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name,
        None,  # type: ignore[call-overload]  # the translator reads only the location
    )


async def test_translator_localises_names_and_refuses_invalid_ones(
    locale_dir: Path,
) -> None:
    translator = i18n.BabelTranslator()
    name = command_name_context()
    assert (
        await translator.translate(
            app_commands.locale_str("setup"), discord.Locale.french, name
        )
        == "configuration"
    )
    assert (
        await translator.translate(
            app_commands.locale_str("language"), discord.Locale.french, name
        )
        is None
    )
    assert (
        await translator.translate(
            app_commands.locale_str("setup"), discord.Locale.japanese, name
        )
        is None
    )


async def test_the_translator_lets_the_loop_run_during_a_long_sync(
    locale_dir: Path,
) -> None:
    # The command sync translates thousands of strings in a row; other work (a
    # member's click, the gateway) gets turns in between, and every answer is the
    # same as when asked one at a time.
    translator = i18n.BabelTranslator()
    name = command_name_context()
    asked = 5 * i18n.BabelTranslator.YIELD_EVERY
    async with other_work() as turns:
        started = turns.count
        answers = [
            await translator.translate(
                app_commands.locale_str("setup"), discord.Locale.french, name
            )
            for _ in range(asked)
        ]
        ended = turns.count
    assert answers == ["configuration"] * asked
    assert ended - started >= 5


async def test_a_french_member_sees_french_and_a_japanese_member_english(
    locale_dir: Path, simcord_env: simcord.Env, world: World
) -> None:
    with member_locale(world.admin, "fr"):
        result = await world.admin.slash(world.general, "setup show")
    assert result.response is not None
    assert "Langue : non défini" in result.response.content
    with member_locale(world.admin, "ja"):
        result = await world.admin.slash(world.general, "setup show")
    assert result.response is not None
    assert "Language: not set" in result.response.content


def test_checker_finds_every_kind_of_broken_entry(tmp_path: Path) -> None:
    path = write_catalog(
        tmp_path,
        "de",
        [
            ("Hello {name}", "Hallo {nom}", None, ["python-brace-format"]),
            ("Missing", ""),
            ("Fuzzy", "Unscharf", None, ["fuzzy"]),
            ("propose", "Thema Vorschlagen", NAME_CONTEXT),
            (("{count} vote", "{count} votes"), ("eine Stimme", "{count} Stimmen")),
            (("{count} topic", "{count} topics"), ("{count} Thema", "{n} Themen")),
        ],
    )
    template = Catalog()
    problems = "\n".join(
        i18n_tools.check_catalogue(path, template, require_complete=True)
    )
    assert "placeholders" in problems
    assert "'Missing' is untranslated" in problems
    assert "'Fuzzy' is fuzzy" in problems
    assert "not a valid Discord command name" in problems
    assert "'{count} vote'" not in problems  # a singular may say "one" instead
    assert "'{count} topic': placeholders" in problems  # {n} is no placeholder there


def test_shipped_catalogues_are_current() -> None:
    assert i18n_tools.check(require_complete=True) == []


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt_BR"])
def test_the_fast_catalogue_reader_gives_what_babel_gives(language: str) -> None:
    """bot.i18n.compile_po stands in for Babel's read_po and write_mo at start-up."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    buffer = io.BytesIO()
    with path.open("rb") as po:
        write_mo(buffer, read_po(po, locale=language), use_fuzzy=False)
    buffer.seek(0)
    babel = Translations(buffer)
    ours = Translations(io.BytesIO(compile_po(path.read_bytes())))
    # The header differs only in the dates Babel writes afresh.
    babel._catalog.pop("")
    ours._catalog.pop("")
    assert ours._catalog == babel._catalog
    assert [ours.plural(n) for n in range(30)] == [babel.plural(n) for n in range(30)]


def test_the_fast_catalogue_reader_skips_fuzzy_empty_and_obsolete_entries() -> None:
    po = (
        b'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        b'#, fuzzy\nmsgid "a"\nmsgstr "A"\n\n'
        b'msgid "b"\nmsgstr ""\n\n'
        b'#~ msgid "c"\n#~ msgstr "C"\n\n'
        b'msgctxt "k"\nmsgid "d"\nmsgstr ""\n"D\\"1\\n"\n\n'
        b'msgid "e"\nmsgid_plural "es"\nmsgstr[0] "E"\nmsgstr[1] ""\n'
    )
    catalogue = Translations(io.BytesIO(compile_po(po)))
    assert catalogue.gettext("a") == "a"
    assert catalogue.gettext("b") == "b"
    assert catalogue.gettext("c") == "c"
    assert catalogue.pgettext("k", "d") == 'D"1\n'
    assert catalogue.ngettext("e", "es", 1) == "E"
    assert catalogue.ngettext("e", "es", 2) == "es"
