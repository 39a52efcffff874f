"""The Jinja environment of the public pages.

Autoescaping is on for every template. Words go through the bot's catalogues with
Jinja's i18n extension: ``{{ _("Upcoming") }}`` and
``{{ ngettext("{count} answer", "{count} answers", n) }}`` call :func:`bot.i18n._`
and :func:`bot.i18n.ngettext` (named ``{placeholders}``, as everywhere in the bot;
``pallets-bot i18n extract`` reads the templates too). The result is escaped like any
other text, placeholders' values included.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from datetime import UTC
from functools import cache
from pathlib import Path

from babel import dates as babel_dates
from babel import Locale
from jinja2 import ChoiceLoader
from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import PrefixLoader
from jinja2 import StrictUndefined
from jinja2 import TemplateNotFound

from bot import i18n
from bot.pages import STATIC_DIR
from bot.pages import TEMPLATES_DIR

#: Files under ``/static/``: name to content type.
STATIC_FILES = {
    "pages.css": "text/css; charset=utf-8",
    "local-time.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


def environment(template_dirs: dict[str, Path]) -> Environment:
    """The environment; ``template_dirs`` (the registry's, kept up to date) maps a
    section's name to its template folder."""
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                _SectionLoader(template_dirs),
            ]
        ),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n._, ngettext=i18n.ngettext, newstyle=False
    )
    env.filters["when"] = when
    env.filters["iso"] = iso
    env.filters["number"] = i18n.format_number
    env.filters["date"] = day
    env.filters["clock"] = clock
    env.globals["static"] = static_url
    env.globals["same_day"] = same_day
    return env


class _SectionLoader(PrefixLoader):
    """``<section>/<file>`` from the section's folder, read from the live registry."""

    def __init__(self, template_dirs: dict[str, Path]) -> None:
        super().__init__({})
        self._dirs = template_dirs

    def get_loader(self, template: str) -> tuple[FileSystemLoader, str]:
        prefix, _, name = template.partition(self.delimiter)
        folder = self._dirs.get(prefix)
        if folder is None or not name:
            raise TemplateNotFound(template)
        return _folder_loader(folder), name

    def list_templates(self) -> list[str]:
        return [
            f"{prefix}/{name}"
            for prefix, folder in self._dirs.items()
            for name in _folder_loader(folder).list_templates()
        ]


@cache
def _folder_loader(folder: Path) -> FileSystemLoader:
    return FileSystemLoader(folder)


# -- filters ---------------------------------------------------------------------------
def iso(moment: datetime) -> str:
    """``2026-01-05T18:00:00Z``: what ``<time datetime>`` holds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(moment: datetime) -> str:
    """A date and time in UTC, the reader's way: "Mon, 5 Jan 2026, 18:00 UTC"."""
    return babel_dates.format_datetime(
        moment, format=_pattern(), tzinfo=UTC, locale=i18n.babel_locale()
    )


def day(moment: datetime) -> str:
    """A date the reader's way: "5 Jan 2026"."""
    return babel_dates.format_date(moment, format="medium", locale=i18n.babel_locale())


def clock(moment: datetime) -> str:
    """A time of day in UTC, the reader's way: "18:00 UTC"."""
    return babel_dates.format_time(
        moment,
        format=_time_pattern(str(i18n.babel_locale())),
        tzinfo=UTC,
        locale=i18n.babel_locale(),
    )


@cache
def _time_pattern(locale: str) -> str:
    pattern: str = Locale.parse(locale).time_formats["short"].pattern
    return pattern + " 'UTC'"


def same_day(start: datetime, end: datetime) -> bool:
    """Whether a range starts and ends on the same UTC day."""
    return start.astimezone(UTC).date() == end.astimezone(UTC).date()


def _pattern() -> str:
    locale = i18n.babel_locale()
    return _datetime_pattern(str(locale))


@cache
def _datetime_pattern(locale: str) -> str:
    parsed = Locale.parse(locale)
    date = parsed.date_formats["medium"].pattern
    time = parsed.time_formats["short"].pattern
    return f"EEE {date}, {time} 'UTC'"


def autonym(language: str) -> str:
    """A language's name in itself: "Deutsch", "Português (Brasil)"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def html_language(language: str) -> str:
    """The catalogue code as a BCP 47 tag for ``<html lang>``: ``pt_BR`` to ``pt-BR``."""
    return language.replace("_", "-")


@cache
def static_url(name: str) -> str:
    """``/static/<name>?v=<digest>``: a new version is a new address (cached a day)."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"
