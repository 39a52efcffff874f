"""Translations: ``_()`` with named placeholders, in the right language for the reader.

The active language lives in a ``ContextVar``. An interaction sets it to the member's
language (their Discord client's locale when a catalogue exists, else the guild's
language, else the default); :func:`guild_language` switches to the guild's language
for public posts, so a channel reads in one language and a public reply never reveals
a member's locale. Scheduled work runs in the guild's language.

Catalogues are ``locale/<lang>/LC_MESSAGES/messages.po``, compiled in memory when first
used, so there is no binary file to keep in step with the source.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from typing import Literal

import discord
from babel import dates as babel_dates
from babel import Locale
from babel import numbers as babel_numbers
from babel import UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from babel.support import Translations
from discord import app_commands

from bot.paths import LOCALE_DIR

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
#: The gettext context for slash-command, group and option *names*, which Discord
#: restricts (lowercase, no spaces, 1 to 32 characters) and which must not collide
#: with the same word used in a sentence.
NAME_CONTEXT = "command name"
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


@dataclass(frozen=True, slots=True)
class _Active:
    member: str
    guild: str
    current: str
    #: The member's own Discord locale (``en-GB``, ``de-AT``), for formatting numbers,
    #: amounts and dates even where no catalogue of that exact variant exists.
    member_format: str | None = None
    #: Whether the current text is for the member alone (then ``member_format`` applies).
    own: bool = False


_active: contextvars.ContextVar[_Active] = contextvars.ContextVar(
    "pallets_bot_locale",
    default=_Active(SOURCE_LANGUAGE, SOURCE_LANGUAGE, SOURCE_LANGUAGE),  # noqa: B039 - frozen
)


# -- catalogues ---------------------------------------------------------------------
def available_languages() -> tuple[str, ...]:
    """Return the languages that have a catalogue, plus the source language."""
    return _languages_in(LOCALE_DIR)


@cache
def _languages_in(directory: Path) -> tuple[str, ...]:
    # Cached: the command sync translates every name and description into every
    # Discord locale, thousands of lookups, and a glob each time took over a second.
    found = sorted(
        path.parent.parent.name for path in directory.glob("*/LC_MESSAGES/messages.po")
    )
    return (SOURCE_LANGUAGE, *found)


@cache
def translations(language: str) -> NullTranslations:
    """Return the compiled catalogue for ``language`` (empty for the source language)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def catalogue_for(locale: str | None) -> str | None:
    """Map a Discord locale code (``pt-BR``, ``es-ES``, ``fr``) to a catalogue, if any."""
    if not locale:
        return None
    languages = available_languages()
    exact = locale.replace("-", "_")
    if exact in languages:
        return exact
    base = exact.split("_")[0]
    if base in languages:
        return base
    return None


def normalise_language(value: str) -> str | None:
    """Return the catalogue code for a language a person typed, or ``None``."""
    return catalogue_for(value.strip())


# -- the active language ------------------------------------------------------------
def current_language() -> str:
    return _active.get().current


def babel_locale() -> Locale:
    """The Babel locale for formatting in the active language."""
    state = _active.get()
    own = state.member_format if state.own else None
    return _locale_for(own, state.current)


@cache
def _locale_for(member_format: str | None, current: str) -> Locale:
    # Parsing a locale is slow next to the formatting it serves (every number and
    # date of a reply): a bot speaks a handful of them, parsed once each.
    for candidate in (member_format, current):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)


def activate(member: str, guild: str, member_format: str | None = None) -> None:
    """Set the languages for the rest of the current task (an interaction)."""
    _active.set(_Active(member, guild, member, member_format, own=True))


@contextlib.contextmanager
def scope(member: str, guild: str) -> Iterator[None]:
    """Set both languages for the enclosed block (a scheduled job, a test)."""
    token = _active.set(_Active(member, guild, member))
    try:
        yield
    finally:
        _active.reset(token)


@contextlib.contextmanager
def use_language(language: str, *, own: bool = False) -> Iterator[None]:
    """Render the enclosed block in ``language``."""
    state = _active.get()
    token = _active.set(
        _Active(state.member, state.guild, language, state.member_format, own=own)
    )
    try:
        yield
    finally:
        _active.reset(token)


@contextlib.contextmanager
def guild_language() -> Iterator[None]:
    """Render the enclosed block in the guild's language, for public posts."""
    with use_language(_active.get().guild):
        yield


@contextlib.contextmanager
def member_language() -> Iterator[None]:
    """Render the enclosed block in the member's own language (ephemeral, DM)."""
    with use_language(_active.get().member, own=True):
        yield


def resolve(
    interaction_locale: str | None, guild_language_setting: str | None, default: str
) -> tuple[str, str]:
    """Return ``(member language, guild language)`` for an interaction."""
    guild = catalogue_for(guild_language_setting) or catalogue_for(default)
    guild = guild or SOURCE_LANGUAGE
    member = catalogue_for(interaction_locale) or guild
    return member, guild


# -- translating ----------------------------------------------------------------------
def _(message: str, /, **params: Any) -> str:
    """Translate ``message`` into the active language and fill its named placeholders."""
    text = translations(current_language()).ugettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """Translate with the plural form for ``n``; ``{count}`` is ``n`` unless given."""
    text = translations(current_language()).ungettext(singular, plural, n)
    params.setdefault("count", format_number(n))
    return text.format(**params)


def pgettext(context: str, message: str, /, **params: Any) -> str:
    """Translate ``message`` within a gettext context."""
    text = translations(current_language()).upgettext(context, message)
    return text.format(**params) if params else text


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translate later with ``_(message)``."""
    return message


# -- formatting -----------------------------------------------------------------------
def format_number(value: float | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=babel_locale())


def format_currency(amount: Decimal | float, currency: str) -> str:
    return babel_numbers.format_currency(amount, currency, locale=babel_locale())


def format_date(moment: datetime, format: str = "medium") -> str:
    """Format a date for the reader; for times members see, prefer Discord timestamps."""
    return babel_dates.format_date(moment, format=format, locale=babel_locale())


def format_datetime(moment: datetime, format: str = "medium") -> str:
    return babel_dates.format_datetime(moment, format=format, locale=babel_locale())


def format_list(items: list[str], style: Literal["standard", "or"] = "standard") -> str:
    """Join ``items`` the reader's way: "a, b, and c"; ``style="or"``: "a, b, or c"."""
    from babel.lists import format_list as babel_format_list

    if not items:
        return ""
    return babel_format_list(items, style=style, locale=babel_locale())


# -- slash commands -------------------------------------------------------------------
_NAME_LOCATIONS = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


class BabelTranslator(app_commands.Translator):
    """Localise command names, descriptions, options and choices from the catalogues."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = catalogue_for(locale.value)
        if language is None or language == SOURCE_LANGUAGE:
            return None
        catalogue = translations(language)
        message = string.message
        if context.location in _NAME_LOCATIONS:
            text = catalogue.upgettext(NAME_CONTEXT, message)
            if text == message:
                return None
            if not is_valid_command_name(text):
                log.warning(
                    "invalid %s name %r for %r; using English", language, text, message
                )
                return None
            return text
        text = catalogue.ugettext(message)
        return None if text == message else text


def is_valid_command_name(name: str) -> bool:
    """Return whether Discord accepts ``name`` as a command or option name."""
    return bool(COMMAND_NAME.match(name)) and name == name.lower()
