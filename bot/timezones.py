"""Timezones: the one place that finds a zone from what a member typed, and whose zone
a command uses when the member gives none.

A member may type an IANA id (``Europe/Paris``), a city (``Paris``, ``München``), a
country (``Brazil``, ``Brasilien``), a zone's name (``Central European Time``,
``Mitteleuropäische Zeit``) or an abbreviation (``CET``, ``EST``) in their own language
or in English; the names come from Babel's locale data (CLDR), plus a short list of
big cities that are not the example city of their zone (``data/timezones``). The
index of one language is built the first time a member of that language types, not
at start-up.

Defaults: a member's own zone (``/timezone set``), else the server's
(``/setup timezone``). Zones are stored by their IANA key.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any
from typing import TYPE_CHECKING
from zoneinfo import available_timezones
from zoneinfo import ZoneInfo

import discord
from babel import Locale
from babel import UnknownLocaleError
from babel.core import get_global
from discord import app_commands

from bot.clock import now_ts
from bot.errors import UserError
from bot.i18n import _
from bot.i18n import format_list
from bot.paths import DATA_DIR
from bot.safety import clip

if TYPE_CHECKING:
    from bot.app import PalletsBot
    from bot.db import Database

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}
#: Where English abbreviations of zone names live in CLDR besides plain English
#: ("CET" is British usage, "IST" Indian, "AEST" Australian).
_ABBREVIATION_LOCALES = ("en", "en_GB", "en_IN", "en_AU", "en_CA")
_UNIVERSAL = {"UTC", "GMT", "Etc/UTC", "Etc/GMT", "UCT", "Zulu", "Universal"}
_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?00)?$")
CITIES_FILE = DATA_DIR / "timezones" / "cities.toml"
CHOICES = 25


# -- IANA ids -----------------------------------------------------------------------
@cache
def names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted."""
    return tuple(sorted(available_timezones()))


@cache
def _by_key() -> dict[str, str]:
    return {_key(name): name for name in names()}


def _key(text: str) -> str:
    return text.strip().replace(" ", "_").lower()


def find(text: str) -> str | None:
    """Return the canonical zone name for ``text`` (any case, spaces for _), or None."""
    key = _key(text)
    # A real zone's own name wins over an alias ("GMT" is a zone of its own).
    return _by_key().get(key) or _ALIASES.get(key)


def zone(text: str) -> ZoneInfo | None:
    """Return the zone ``text`` names by its IANA id, or None when it names none."""
    name = find(text)
    return None if name is None else ZoneInfo(name)


def offset_zone(text: str) -> str | None:
    """``UTC+2``, ``GMT-5``, ``+3``: the fixed zone of a whole-hour offset, or None.

    (The ``Etc/GMT`` ids count the other way round: ``Etc/GMT-2`` is UTC+2.)
    """
    match = _OFFSET.match("".join(text.split()).lower() or "-")
    if match is None:
        return None
    hours = int(match.group(2))
    if hours == 0:
        return "UTC"
    if hours > 14 or (match.group(1) == "-" and hours > 12):
        return None
    return f"Etc/GMT{'-' if match.group(1) == '+' else '+'}{hours}"


# -- names members type -----------------------------------------------------------------
def normalise(text: str) -> str:
    """Lowercase, accents and punctuation gone: ``São Paulo`` and ``sao-paulo`` match."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w+]+|_", " ", bare).split())


@dataclass(frozen=True, slots=True)
class Place:
    """A zone as a member of one language sees it in the list."""

    key: str
    label: str
    #: Everything that names it, normalised: city, country, zone names, the id.
    terms: tuple[str, ...]
    #: Other cities of the zone (normalised, as written), to show the one typed.
    cities: tuple[tuple[str, str], ...] = ()

    def shown_for(self, needle: str) -> str:
        """The label, led by the other city the member typed (``Munich · Berlin...``)."""
        for term, name in self.cities:
            if needle and term.startswith(needle):
                return clip(f"{name} · {self.label}", 100)
        return self.label

    @property
    def city(self) -> str:
        return self.label.split(",", 1)[0].split(" (", 1)[0]


def babel_locale(language: str | None) -> Locale:
    """The Babel locale of a Discord locale (``pt-BR``, ``de``), English if unknown."""
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


@cache
def _extra_cities() -> dict[str, tuple[str, ...]]:
    data = tomllib.loads(CITIES_FILE.read_text("utf-8"))
    return {str(key): tuple(str(name) for name in value) for key, value in data.items()}


def _city(locale: Locale, key: str) -> str:
    found = locale.time_zones.get(key, {}).get("city")
    return str(found) if found else key.rsplit("/", 1)[-1].replace("_", " ")


def _zone_names(locale: Locale, metazone: str | None) -> list[str]:
    if metazone is None:
        return []
    names = locale.meta_zones.get(metazone, {})
    return [
        str(text)
        for width in ("long", "short")
        for text in names.get(width, {}).values()
    ]


@cache
def places(language: str) -> tuple[Place, ...]:
    """Every zone with a country, named for ``language``'s readers (and in English)."""
    locale = babel_locale(language)
    english = Locale.parse("en")
    abbreviations = [Locale.parse(code) for code in _ABBREVIATION_LOCALES]
    aliases: Mapping[str, str] = get_global("zone_aliases")
    metazones: Mapping[str, str] = get_global("meta_zones")
    known = available_timezones()
    extra = _extra_cities()
    found: dict[str, Place] = {}
    for cldr_key, territory in get_global("zone_territories").items():
        if territory in ("001", "ZZ"):
            continue  # Etc/ zones: no place; UTC is added below, offsets are typed
        key = aliases.get(cldr_key, cldr_key)
        if key not in known:
            key = cldr_key
        if key not in known or key in found:
            continue
        metazone = metazones.get(cldr_key)
        city = _city(locale, cldr_key)
        country = str(locale.territories.get(territory, territory))
        zone_name = next(iter(_zone_names(locale, metazone)), "")
        label = f"{city}, {country}"
        if zone_name:
            label += f" · {zone_name}"
        words = {
            city,
            _city(english, cldr_key),
            country,
            str(english.territories.get(territory, "")),
            key,
            cldr_key,
            key.rsplit("/", 1)[-1],
            *_zone_names(locale, metazone),
            *_zone_names(english, metazone),
            *(name for other in abbreviations for name in _zone_names(other, metazone)),
            *extra.get(key, ()),
        }
        terms = tuple(sorted({normalise(word) for word in words if word} - {""}))
        cities = tuple((normalise(name), name) for name in extra.get(key, ()))
        found[key] = Place(key, clip(f"{label} ({key})", 100), terms, cities)
    found["UTC"] = Place(
        "UTC", "UTC", ("utc", "gmt", "z", "coordinated universal time")
    )
    return tuple(sorted(found.values(), key=lambda place: place.label))


def _score(place: Place, needle: str) -> int | None:
    best: int | None = None
    for term in place.terms:
        if term == needle:
            return 0
        if term.startswith(needle):
            score = 1
        elif any(word.startswith(needle) for word in term.split()):
            score = 2
        elif len(needle) >= 3 and needle in term:
            score = 3
        else:
            continue
        best = score if best is None else min(best, score)
    return best


def search(text: str, language: str | None, limit: int = CHOICES) -> list[Place]:
    """The zones ``text`` may mean, best first (names exactly, then by their start)."""
    needle = normalise(text)
    catalogue = places(language or "en")
    offset = offset_zone(text) if needle else None
    if offset is not None:
        return [Place(offset, _offset_label(text, offset), ())]
    if not needle:
        home = _home_territory(language)
        return [p for p in catalogue if p.key in home][:limit] or list(
            catalogue[:limit]
        )
    scored = [
        (score, place)
        for place in catalogue
        if (score := _score(place, needle)) is not None
    ]
    scored.sort(key=lambda pair: (pair[0], pair[1].label))
    return [place for _score_, place in scored[:limit]]


def _offset_label(text: str, key: str) -> str:
    hours = int(key.removeprefix("Etc/GMT") or 0)
    return f"UTC{-hours:+d} ({key})" if hours else "UTC"


def _home_territory(language: str | None) -> set[str]:
    """The zones of the country a Discord locale points at (``pt-BR``: Brazil's)."""
    locale = babel_locale(language)
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = likely.rsplit("_", 1)[-1] if likely else None
    aliases: Mapping[str, str] = get_global("zone_aliases")
    return {
        aliases.get(key, key)
        for key in get_global("territory_zones").get(territory or "", ())
    }


def label(key: str, language: str | None) -> str:
    """How the zone ``key`` reads in the list for ``language`` (the key if unlisted)."""
    for place in places(language or "en"):
        if place.key == key:
            return place.label
    return key


def _named(text: str, language: str | None) -> list[Place]:
    needle = normalise(text)
    return [p for p in places(language or "en") if needle and needle in p.terms]


def lookup(text: str, language: str | None) -> str | None:
    """The zone ``text`` names without doubt: an id, an offset, or a name of one zone.

    Old ids that are also abbreviations (``EST``, ``CET``) count as the abbreviation:
    the ``EST`` zone never changes to summer time, which is not what a New Yorker who
    types EST means, so they get the list of zones to pick from instead.
    """
    exact = find(text) or offset_zone(text)
    named = {p.key for p in _named(text, language)}
    if exact is not None and ("/" in exact or exact in _UNIVERSAL or not named):
        return exact
    return named.pop() if len(named) == 1 else None


def refusal(text: str, language: str | None) -> str:
    """Why ``text`` is not a zone: unknown, or several (with a few of them)."""
    several = _named(text, language)
    if len(several) > 1:
        return _(
            "{name} could be several timezones, such as {examples}: pick one from the list.",
            name=clip(text, 50),
            examples=format_list([p.city for p in several[:3]], "or"),
        )
    return _(
        "Unknown timezone {name}: pick one from the list, such as Europe/Paris.",
        name=clip(text, 50),
    )


def choices(text: str, limit: int = CHOICES) -> list[str]:
    """Zone ids for autocomplete: ids starting with ``text``, then containing it."""
    needle = _key(text)
    if not needle:
        return list(names()[:limit])
    starts = [name for name in names() if name.lower().startswith(needle)]
    inside = [name for name in names() if needle in name.lower() and name not in starts]
    return (starts + inside)[:limit]


# -- whose zone ------------------------------------------------------------------------
class Source(StrEnum):
    """Where the zone a command used came from."""

    GIVEN = "given"
    MEMBER = "member"
    SERVER = "server"


async def member_zone(db: Database, guild_id: int, user_id: int) -> str | None:
    """The zone a member set with ``/timezone set`` in this server, if any."""
    value = await db.fetchval(
        "SELECT timezone FROM member_timezones WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    return str(value) if value is not None else None


async def set_member_zone(
    db: Database, guild_id: int, user_id: int, key: str | None
) -> None:
    """Remember (or with ``None`` forget) a member's own zone in this server."""
    if key is None:
        await db.execute(
            "DELETE FROM member_timezones WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return
    await db.execute(
        "INSERT INTO member_timezones (guild_id, user_id, timezone, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "timezone = excluded.timezone, updated_at = excluded.updated_at",
        (guild_id, user_id, key, now_ts()),
    )


async def default_zone(
    bot: PalletsBot, guild_id: int | None, user_id: int
) -> tuple[ZoneInfo, Source] | None:
    """The member's own zone, else the server's, else None."""
    if guild_id is None:
        return None
    own = await member_zone(bot.db, guild_id, user_id)
    if own is not None and find(own):
        return ZoneInfo(own), Source.MEMBER
    server = (await bot.guild_config.get(guild_id)).timezone
    if server is not None and find(server):
        return ZoneInfo(server), Source.SERVER
    return None


async def zone_for(
    interaction: discord.Interaction[Any], given: ZoneInfo | None
) -> ZoneInfo:
    """The zone a command works in: the one given, else the member's or the server's.

    Refuses (in words) when there is none to fall back on.
    """
    if given is not None:
        return given
    found = await default_zone(
        interaction.client, interaction.guild_id, interaction.user.id
    )
    if found is None:
        raise UserError(
            _(
                "Which timezone? Give one, or set yours once with /timezone set "
                "(organisers can set the server's with /setup timezone)."
            )
        )
    return found[0]


# -- the option --------------------------------------------------------------------------
def language_of(interaction: discord.Interaction[Any] | None) -> str:
    """The member's language, as their Discord client says (``de``, ``pt-BR``)."""
    return interaction.locale.value if interaction is not None else "en"


class TimezoneTransformer(app_commands.Transformer):
    """A timezone option: autocompleted from names in the member's language, refused in
    words when it names no zone, or several.

    Use as ``timezone: Timezone``; the command receives a :class:`ZoneInfo`. Where the
    option is optional, :func:`zone_for` supplies the member's or the server's zone.
    """

    async def transform(
        self, interaction: discord.Interaction[Any], value: str
    ) -> ZoneInfo:
        language = language_of(interaction)
        key = lookup(value, language)
        if key is None:
            raise UserError(refusal(value, language))
        return ZoneInfo(key)

    async def autocomplete(  # type: ignore[override]  # str choices for a str option
        self, interaction: discord.Interaction[Any], value: str
    ) -> list[app_commands.Choice[str]]:
        language = language_of(interaction)
        found = search(value, language)
        if not value.strip() and interaction is not None and interaction.guild_id:
            mine = await default_zone(
                interaction.client, interaction.guild_id, interaction.user.id
            )
            if mine is not None:
                key = mine[0].key
                first = [p for p in places(language) if p.key == key] or [
                    Place(key, key, ())
                ]
                found = first + [p for p in found if p.key != key]
        needle = normalise(value)
        return [
            app_commands.Choice(name=p.shown_for(needle), value=p.key)
            for p in found[:CHOICES]
        ]


Timezone = app_commands.Transform[ZoneInfo, TimezoneTransformer]
