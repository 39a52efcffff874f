"""Dates and times as members type them, in their own timezone.

``tomorrow 18:00``, ``fri 17:30``, ``2026-03-05 17:00``, ``in 2 hours``, ``March 5
17:00``, ``5.3. 17h``, ``vendredi 18h30``, ``morgen um 18 Uhr``... English is always
understood; weekday and month names, and "in 2 hours" in the member's language, come
from Babel's locale data (CLDR), and the few words CLDR does not have ("tomorrow",
"noon") from a small table of the bot's languages.

A small hand-written parser rather than dateparser: dateparser took a quarter of a
second to import and another third for its first parse (start-up has a 1 s budget),
brings 5 MB with the regex package, reads the wall clock rather than the bot's, and
read "5 mars 17h" as the year 2117. This one knows the few shapes people type to
plan a meeting, and refuses the rest in words that say what is wrong.

Pure: no Discord, no database. :func:`parse` returns an aware UTC datetime or raises
:class:`~bot.refusals.Refused` with a :class:`Problem`; :func:`refusal` words it.
A wall time the clocks skip or repeat (daylight saving) is refused, never moved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import UnknownLocaleError
from babel.dates import format_date as babel_format_date

from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import babel_locale as reader_locale
from bot.recurrence import classify_local
from bot.recurrence import LocalTimeKind
from bot.refusals import explains
from bot.refusals import Refused
from bot.safety import clip

#: The longest text worth reading as a date (a modal field allows 40 characters).
MAX_LENGTH = 60


class Problem(StrEnum):
    """Why a typed date and time was refused."""

    UNREADABLE = "unreadable"
    BAD_TIME = "bad_time"
    NO_SUCH_DATE = "no_such_date"
    NO_TIME = "no_time"
    NONEXISTENT = "nonexistent"
    AMBIGUOUS = "ambiguous"
    WRONG_WEEKDAY = "wrong_weekday"
    OUT_OF_RANGE = "out_of_range"


# -- the words ---------------------------------------------------------------------------
#: Words CLDR lacks, in the bot's languages (English is always understood). Keys are
#: what the words mean; values are spellings, accents optional.
_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "today": ("today", "tonight"),
        "tomorrow": ("tomorrow", "tmrw", "tmr"),
        "after tomorrow": ("day after tomorrow", "the day after tomorrow"),
        "noon": ("noon", "midday"),
        "midnight": ("midnight",),
        "filler": ("at", "on", "the", "of", "next", "this", "coming", "from"),
        "one": ("a", "an", "one"),
    },
    "de": {
        "today": ("heute", "heute abend"),
        "tomorrow": ("morgen",),
        "after tomorrow": ("übermorgen",),
        "noon": ("mittag", "mittags"),
        "midnight": ("mitternacht",),
        "filler": (
            "am",
            "um",
            "den",
            "der",
            "nächsten",
            "nächster",
            "nächste",
            "kommenden",
            "kommender",
            "diesen",
            "dieser",
            "ab",
        ),
        "one": ("einer", "einem", "eine", "ein"),
    },
    "es": {
        "today": ("hoy", "esta noche"),
        "tomorrow": ("mañana",),
        "after tomorrow": ("pasado mañana",),
        "noon": ("mediodía",),
        "midnight": ("medianoche",),
        "filler": (
            "el",
            "la",
            "las",
            "a",
            "de",
            "del",
            "próximo",
            "próxima",
            "este",
            "esta",
        ),
        "one": ("un", "una"),
    },
    "fr": {
        "today": ("aujourd'hui", "aujourd’hui", "ce soir"),
        "tomorrow": ("demain",),
        "after tomorrow": ("après-demain", "après demain"),
        "noon": ("midi",),
        "midnight": ("minuit",),
        "filler": (
            "le",
            "la",
            "à",
            "a",
            "de",
            "du",
            "prochain",
            "prochaine",
            "ce",
            "cette",
            "dès",
        ),
        "one": ("un", "une"),
    },
    "pt": {
        "today": ("hoje", "hoje à noite"),
        "tomorrow": ("amanhã",),
        "after tomorrow": ("depois de amanhã",),
        "noon": ("meio-dia", "meio dia"),
        "midnight": ("meia-noite", "meia noite"),
        "filler": (
            "às",
            "as",
            "à",
            "a",
            "o",
            "de",
            "do",
            "da",
            "no",
            "na",
            "próximo",
            "próxima",
            "este",
            "esta",
        ),
        "one": ("um", "uma"),
    },
}
_DAY_OFFSETS = {"today": 0, "tomorrow": 1, "after tomorrow": 2}
#: English unit words for "in 2h", "in 90 min", beside CLDR's "in {0} hours".
_UNITS = {
    "minute": ("m", "min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("d", "day", "days"),
    "week": ("w", "wk", "wks", "week", "weeks"),
}
_UNIT_DELTAS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def fold(text: str) -> str:
    """Lowercase, accents off, apostrophes and dashes made plain, spaces single."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("’", "'").replace("‐", "-").replace("–", "-")
    return " ".join(bare.split())


def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Everything one language's members may type, folded."""

    weekdays: dict[str, int]
    months: dict[str, int]
    days: tuple[tuple[str, int], ...]  # "day after tomorrow" before "tomorrow"
    noon: frozenset[str]
    midnight: frozenset[str]
    fillers: frozenset[str]
    ones: frozenset[str]
    relative: tuple[tuple[re.Pattern[str], str], ...]
    month_first: bool


def _names(locale: Locale, kind: str) -> dict[str, int]:
    """Weekday (Monday 0) or month (1..12) names, wide and abbreviated, folded."""
    table = locale.days if kind == "days" else locale.months
    found: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in table.get(context, {}).get(width, {}).items():
                folded = fold(str(name)).rstrip(".")
                found.setdefault(folded, int(number))
                # "sexta-feira": "sexta" alone is what people write.
                if "-" in folded:
                    found.setdefault(folded.split("-")[0], int(number))
    return found


def _relative(locale: Locale) -> list[tuple[re.Pattern[str], str]]:
    """Regexes of "in {0} hours" in ``locale`` (CLDR's relative-time patterns)."""
    fields = locale._data.get("date_fields", {})
    patterns = []
    for unit in _UNIT_DELTAS:
        for pattern in fields.get(unit, {}).get("future", {}).values():
            before, _sep, after = fold(str(pattern)).partition("{0}")
            if not _sep:
                continue
            regex = (
                r"(?:^|\s)"
                + re.escape(before.strip())
                + r"\s*(?P<n>\d+|[^\W\d]+)\s*"
                + re.escape(after.strip())
                + r"(?=\s|$)"
            )
            patterns.append((re.compile(regex), unit))
    return patterns


@cache
def vocabulary(language: str | None) -> Vocabulary:
    """The words of ``language``'s members, with English's (built once per language)."""
    locale = _locale(language)
    english = Locale.parse("en")
    words = {key: set(values) for key, values in _WORDS["en"].items()}
    for key, values in _WORDS.get(locale.language, {}).items():
        words[key] |= set(values)
    weekdays = _names(english, "days") | _names(locale, "days")
    months = _names(english, "months") | _names(locale, "months")
    relative = _relative(english) + (
        _relative(locale) if locale.language != "en" else []
    )
    english_units = "|".join(
        sorted({w for ws in _UNITS.values() for w in ws}, key=len, reverse=True)
    )
    relative.append(
        (
            re.compile(
                r"(?:^|\s)in\s*(?P<n>\d+|an?|one)\s*(?P<u>"
                + english_units
                + r")(?=\s|$)"
            ),
            "",
        )
    )
    days = sorted(
        (
            (fold(word), _DAY_OFFSETS[key])
            for key in _DAY_OFFSETS
            for word in words[key]
        ),
        key=lambda pair: -len(pair[0]),
    )
    pattern = locale.date_formats["short"].pattern.lstrip("'")
    return Vocabulary(
        weekdays=weekdays,
        months=months,
        days=tuple(days),
        noon=frozenset(fold(w) for w in words["noon"]),
        midnight=frozenset(fold(w) for w in words["midnight"]),
        fillers=frozenset(fold(w) for w in words["filler"]),
        ones=frozenset(fold(w) for w in words["one"]),
        relative=tuple(relative),
        month_first=pattern.lower().find("m") < pattern.lower().find("d"),
    )


# -- reading ------------------------------------------------------------------------------
_MERIDIEM = r"(?P<ampm>[ap])\.?\s?m\.?(?![\w])"
_TIMES = (
    re.compile(
        r"(?<![\d.:/-])(?P<h>\d{1,2})[:h](?P<m>\d{2})(?::\d{2})?\s*(?:"
        + _MERIDIEM
        + r")?(?![\d:])"
    ),
    re.compile(r"(?<![\d.:/-])(?P<h>\d{1,2})\s*" + _MERIDIEM),
    re.compile(r"(?<![\d.:/-])(?P<h>\d{1,2})(?:[.:](?P<m>\d{2}))?\s*uhr(?!\w)"),
    re.compile(r"(?<![\d.:/-])(?P<h>\d{1,2})\s?h(?![\w])"),
)
_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_DOTTED = re.compile(
    r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})?(?![\d])"
)
_SLASHED = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
)
_DAY_NUMBER = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th|er|o|º|ª|\.)?$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(slots=True)
class _Reading:
    rest: str
    clock: time | None = None
    clock_text: str = ""
    delta: timedelta | None = None
    #: Minutes and hours are exact; days and weeks move the date (a time may follow).
    exact: bool = False
    day_offset: int | None = None
    on: date | None = None
    month_day: tuple[int, int] | None = None  # (month, day), year unknown
    weekday: int | None = None


def _number(word: str, vocab: Vocabulary) -> int | None:
    if word.isdigit():
        return int(word)
    return 1 if word in vocab.ones else None


def _take(reading: _Reading, match: re.Match[str]) -> None:
    reading.rest = (
        reading.rest[: match.start()] + " " + reading.rest[match.end() :]
    ).strip()


def _read_relative(reading: _Reading, vocab: Vocabulary) -> None:
    for regex, unit in vocab.relative:
        match = regex.search(reading.rest)
        if match is None:
            continue
        amount = _number(match["n"], vocab)
        if amount is None:
            continue
        if not unit:
            word = match["u"]
            unit = next(name for name, words in _UNITS.items() if word in words)
        reading.delta = _UNIT_DELTAS[unit] * min(amount, 10_000)
        reading.exact = unit in ("minute", "hour")
        _take(reading, match)
        return


def _read_time(reading: _Reading, vocab: Vocabulary, typed: str) -> None:
    found: list[tuple[int, int, str]] = []
    for regex in _TIMES:
        while (match := regex.search(reading.rest)) is not None:
            hour = int(match["h"])
            minute = int(match.groupdict().get("m") or 0)
            ampm = match.groupdict().get("ampm")
            text = match.group(0).strip()
            if ampm is not None:
                if not 1 <= hour <= 12:
                    raise Refused(Problem.BAD_TIME, time=text)
                hour = hour % 12 + (12 if ampm == "p" else 0)
            found.append((hour, minute, text))
            _take(reading, match)
    words = reading.rest.split()
    for word in list(words):
        if word in vocab.noon or word in vocab.midnight:
            found.append((12 if word in vocab.noon else 0, 0, word))
            words.remove(word)
    for phrase in (*vocab.noon, *vocab.midnight):
        if " " in phrase and phrase in " ".join(words):
            found.append((12 if phrase in vocab.noon else 0, 0, phrase))
            words = " ".join(words).replace(phrase, " ").split()
    reading.rest = " ".join(words)
    if len(found) > 1:
        raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
    if found:
        hour, minute, text = found[0]
        if hour > 23 or minute > 59:
            raise Refused(Problem.BAD_TIME, time=text)
        reading.clock = time(hour, minute)
        reading.clock_text = text


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Refused(Problem.NO_SUCH_DATE, date=clip(text, 40)) from None


def _full_year(year: str | None, today: date) -> int | None:
    if not year:
        return None
    value = int(year)
    return value + 2000 if len(year) == 2 else value


def _read_numeric_date(reading: _Reading, vocab: Vocabulary, today: date) -> None:
    for regex in (_ISO, _DOTTED, _SLASHED):
        match = regex.search(reading.rest)
        if match is None:
            continue
        text = match.group(0)
        if regex is _ISO:
            day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
        elif regex is _DOTTED:
            day, month = int(match["d"]), int(match["m"])
            year = _full_year(match["y"], today) or 0
        else:
            a, b = int(match["a"]), int(match["b"])
            month, day = (a, b) if vocab.month_first else (b, a)
            year = _full_year(match["y"], today) or 0
        _take(reading, match)
        if year:
            reading.on = _make_date(year, month, day, text)
        else:
            _make_date(2000, month, day, text)  # 2000 was a leap year: Feb 29 is fine
            reading.month_day = (month, day)
        return


def _lookup(word: str, names: dict[str, int], shortest: int) -> int | None:
    word = word.rstrip(".,")
    if word in names:
        return names[word]
    if len(word) >= shortest:
        hits = {value for name, value in names.items() if name.startswith(word)}
        if len(hits) == 1:
            return hits.pop()
    return None


def _read_words(reading: _Reading, vocab: Vocabulary, typed: str) -> None:
    rest = f" {reading.rest} "
    for phrase, offset in vocab.days:
        if f" {phrase} " in rest:
            reading.day_offset = offset
            rest = rest.replace(f" {phrase} ", " ", 1)
            break
    words = [w for w in rest.replace(",", " ").split() if w not in vocab.fillers]
    day_number: int | None = None
    year: int | None = None
    month: int | None = None
    leftover: list[str] = []
    for word in words:
        number = _DAY_NUMBER.match(word)
        if number is not None and day_number is None and 1 <= int(number["d"]) <= 31:
            day_number = int(number["d"])
        elif _YEAR.match(word) and year is None:
            year = int(word)
        else:
            leftover.append(word)
    unknown: list[str] = []
    for word in leftover:
        as_month = _lookup(word, vocab.months, 3)
        as_weekday = _lookup(word, vocab.weekdays, 2)
        # "mar" is March and Tuesday (martes) in Spanish: a day number makes it March.
        if (
            as_month is not None
            and month is None
            and (day_number or as_weekday is None)
        ):
            month = as_month
        elif as_weekday is not None and reading.weekday is None:
            reading.weekday = as_weekday
        else:
            unknown.append(word)
    if (
        unknown
        or (day_number is not None and month is None)
        or (year is not None and month is None)
    ):
        raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
    if month is not None:
        if day_number is None:
            raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
        text = " ".join(str(part) for part in (day_number, month, year) if part)
        if year is not None:
            reading.on = _make_date(year, month, day_number, text)
        else:
            _make_date(2000, month, day_number, text)
            reading.month_day = (month, day_number)
    reading.rest = ""


def parse(
    text: str,
    zone: ZoneInfo,
    now: datetime,
    *,
    language: str | None = None,
    default_time: time | None = None,
) -> datetime:
    """``text`` as a moment in ``zone``, an aware UTC datetime.

    A date without a year, a weekday or a time without a date is the next one to come;
    a date without a time takes ``default_time`` or is refused. ``language`` is the
    member's Discord locale (``de``, ``pt-BR``).
    """
    typed = " ".join(text.split())[:MAX_LENGTH]
    vocab = vocabulary(language)
    folded = re.sub(r"(\d)t(\d)", r"\1 \2", fold(typed))
    if not folded:
        raise Refused(Problem.UNREADABLE, text="")
    reading = _Reading(folded)
    _read_relative(reading, vocab)
    _read_time(reading, vocab, typed)
    local_now = now.astimezone(zone)
    today = local_now.date()
    _read_numeric_date(reading, vocab, today)
    _read_words(reading, vocab, typed)

    dated = reading.on is not None or reading.month_day is not None
    if reading.delta is not None:
        if reading.exact:
            if reading.clock is not None or dated or reading.weekday is not None:
                raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
            moment = now + reading.delta
            return moment.replace(second=0, microsecond=0).astimezone(UTC)
        if dated or reading.weekday is not None or reading.day_offset is not None:
            raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
        reading.day_offset = reading.delta.days
    if not dated and reading.weekday is None and reading.day_offset is None:
        if reading.clock is None:
            raise Refused(Problem.UNREADABLE, text=clip(typed, 60))
    clock = reading.clock or default_time
    if clock is None:
        raise Refused(Problem.NO_TIME, text=clip(typed, 40))

    def later(day: date) -> bool:
        return datetime.combine(day, clock) > local_now.replace(tzinfo=None)

    if reading.on is not None:
        day = reading.on
    elif reading.month_day is not None:
        month, number = reading.month_day
        day = _next_month_day(today, month, number, later, typed)
    elif reading.day_offset is not None:
        day = today + timedelta(days=reading.day_offset)
    elif reading.weekday is not None:
        day = today + timedelta(days=(reading.weekday - today.weekday()) % 7)
        if not later(day):
            day += timedelta(days=7)
    else:
        day = today if later(today) else today + timedelta(days=1)
    if reading.weekday is not None and dated and day.weekday() != reading.weekday:
        raise Refused(Problem.WRONG_WEEKDAY, date=day, weekday=reading.weekday)
    return _place(day, clock, zone, typed)


def _next_month_day(
    today: date, month: int, number: int, later: object, typed: str
) -> date:
    for year in range(today.year, today.year + 9):
        try:
            day = date(year, month, number)
        except ValueError:
            continue  # February 29 in a common year
        if day > today or (day == today and callable(later) and later(day)):
            return day
    raise Refused(Problem.NO_SUCH_DATE, date=clip(typed, 40))


def _place(day: date, clock: time, zone: ZoneInfo, typed: str) -> datetime:
    naive = datetime.combine(day, clock)
    try:
        kind = classify_local(naive, zone)
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        # Years 1 and 9999 can leave Python's calendar once moved to UTC.
        raise Refused(Problem.OUT_OF_RANGE, text=clip(typed, 40)) from None
    if kind is LocalTimeKind.NONEXISTENT:
        raise Refused(Problem.NONEXISTENT, date=day.isoformat(), time=f"{clock:%H:%M}")
    if kind is LocalTimeKind.AMBIGUOUS:
        raise Refused(Problem.AMBIGUOUS, date=day.isoformat(), time=f"{clock:%H:%M}")
    return moment


# -- words --------------------------------------------------------------------------------
def echo(moment: datetime) -> str:
    """A moment as every reader sees it in their own time: date and time, and how far."""
    return f"{discord_timestamp(moment, 'F')} ({discord_timestamp(moment, 'R')})"


def understood(lines: list[tuple[str, datetime]], zone: str) -> str:
    """What the bot read, before anything is saved: ``lines`` of (label, moment)."""
    shown = "\n".join(f"**{label}**: {echo(moment)}" for label, moment in lines)
    return "\n".join(
        (
            _("This is what I understood (typed in {zone}):", zone=zone),
            shown,
            _("Is that right? Confirm, or edit what you typed."),
        )
    )


def _weekday_name(number: object) -> str:
    monday = date(2024, 1, 1)  # a Monday
    index = number if isinstance(number, int) else 0
    day = monday + timedelta(days=index)
    return str(babel_format_date(day, "EEEE", locale=reader_locale()))


@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    p = details
    match code:
        case Problem.UNREADABLE:
            return _(
                "I could not read “{text}” as a date and time. Try, for example, "
                "tomorrow 18:00, fri 17:30, March 5 17:00 or 2026-03-05 17:00.",
                text=p.get("text"),
            )
        case Problem.BAD_TIME:
            return _(
                "{time} is not a time of day: hours go from 0 to 23 and minutes from "
                "0 to 59.",
                time=p.get("time"),
            )
        case Problem.NO_SUCH_DATE:
            return _(
                "{date} is not a date in the calendar: check the day and the month.",
                date=p.get("date"),
            )
        case Problem.NO_TIME:
            return _(
                "Add a time to “{text}”, for example “{text} 18:00”.",
                text=p.get("text"),
            )
        case Problem.NONEXISTENT:
            return _(
                "{time} does not exist on {date} in that timezone (the clocks skip it for daylight saving time). Choose another time.",
                time=p.get("time"),
                date=p.get("date"),
            )
        case Problem.AMBIGUOUS:
            return _(
                "{time} happens twice on {date} in that timezone (the clocks go back). Choose another time.",
                time=p.get("time"),
                date=p.get("date"),
            )
        case Problem.OUT_OF_RANGE:
            return _("“{text}” is too far from today.", text=p.get("text"))
        case Problem.WRONG_WEEKDAY:
            day = p.get("date")
            return _(
                "{date} is a {actual}, not a {typed}.",
                date=day.isoformat() if isinstance(day, date) else day,
                actual=_weekday_name(day.weekday() if isinstance(day, date) else 0),
                typed=_weekday_name(p.get("weekday")),
            )
