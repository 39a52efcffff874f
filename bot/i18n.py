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

import array
import asyncio
import contextlib
import contextvars
import io
import logging
import re
import struct
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
    return Translations(io.BytesIO(compile_po(path.read_bytes())))


def compile_po(po: bytes) -> bytes:
    """The GNU MO file Babel's ``read_po`` and ``write_mo(use_fuzzy=False)`` make of a
    UTF-8 ``po`` file, made about ten times faster (the command sync at start-up reads
    every catalogue: Babel's parser took most of the start-up's second).

    Kept: the header, and each message that is translated (a plural form left empty
    falls back to the English form, as in Babel) and not fuzzy; obsolete (``#~``)
    entries are comments. ``tests/test_i18n.py`` checks each shipped catalogue gives
    what Babel's gives.
    """
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    field: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, field
        if "id" in entry:
            entries.append(entry)
        entry, field = {}, None

    for raw in po.decode("utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if "str" in entry:
                finish()
            if line.startswith("#,") and "fuzzy" in line[2:].replace(",", " ").split():
                entry["fuzzy"] = True
            continue
        if line.startswith('"'):
            if field is not None:
                name, index = field
                if name == "str":
                    entry["str"][index] += _unescape(line)
                else:
                    entry[name] += _unescape(line)
            continue
        keyword, _, rest = line.partition(" ")
        text = _unescape(rest.strip())
        if keyword in ("msgctxt", "msgid") and "str" in entry:
            finish()
        if keyword == "msgctxt":
            entry["ctx"], field = text, ("ctx", 0)
        elif keyword == "msgid":
            entry["id"], field = text, ("id", 0)
        elif keyword == "msgid_plural":
            entry["plural"], field = text, ("plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            forms: dict[int, str] = entry.setdefault("str", {})
            forms[index] = text
            field = ("str", index)
    finish()
    pairs: dict[bytes, bytes] = {}
    for e in entries:
        forms = e.get("str", {})
        header = e["id"] == "" and "ctx" not in e
        if "plural" in e:
            ids = (e["id"], e["plural"])
            strings = [forms[i] for i in sorted(forms)]
            if not header and (not strings or e.get("fuzzy")):
                continue
            key = "\0".join(ids)
            value = "\0".join(s or ids[min(i, 1)] for i, s in enumerate(strings))
        else:
            if not header and (not forms.get(0) or e.get("fuzzy")):
                continue
            key, value = e["id"], forms.get(0, "")
        if "ctx" in e:
            key = e["ctx"] + "\x04" + key
        pairs[key.encode()] = value.encode()
    return _mo(pairs)


_ESCAPE = re.compile(r'\\([\\trn"])')
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(quoted: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m[1], m[1]), quoted[1:-1])


def _mo(pairs: dict[bytes, bytes]) -> bytes:
    """A little-endian GNU MO file of ``pairs`` (no hash table, as Babel writes)."""
    keys = sorted(pairs)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(pairs[key])))
        ids += key + b"\0"
        strs += pairs[key] + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    table: list[int] = []
    values: list[int] = []
    for o1, l1, o2, l2 in offsets:
        table += [l1, o1 + keystart]
        values += [l2, o2 + valuestart]
    header = struct.pack(
        "Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0
    )
    return header + array.array("i", table + values).tobytes() + ids + strs


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
    """Localise command names, descriptions, options and choices from the catalogues.

    The command sync at start-up asks for every name, description and choice in
    every Discord locale, some twenty thousand strings in one go: every
    :data:`YIELD_EVERY` of them the event loop gets a turn, so members' clicks
    and the gateway are not held up for the whole of it.
    """

    YIELD_EVERY = 200

    def __init__(self) -> None:
        super().__init__()
        self._asked = 0

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        self._asked += 1
        if self._asked % self.YIELD_EVERY == 0:
            await asyncio.sleep(0)
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
