"""The community's public pages: what the bot knows, readable outside Discord.

Served by the bot's web server (:mod:`bot.web`) under ``/<guild id>/``, rendered with
Jinja from templates shipped in the package, plain HTML and CSS (a small script only
rewrites times into the reader's zone), in the server's language with a switch to
every shipped catalogue. Nothing is served for a server until an organiser turns the
pages on (``/setup pages``).

Jobs contribute pages the way they contribute calendar entries: an engine registers a
:class:`Section` on ``bot.pages`` (its routes, handlers and template folder) in
``register()`` and removes it in ``unregister()``; the core routes requests to it,
renders its templates inside the layout, and adds the caching headers. The core's own
pages are the server's front page and *Upcoming*, which lists what the registered
calendar sources (``bot.calendar_sources``) publish, so the page and the calendar
feed can never disagree about what is public.

:func:`bot.pages.server.render_page` renders one page without HTTP: the benchmark and
the tests time and read pages through it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from bot.guilds import GuildSettings

if TYPE_CHECKING:
    from bot.app import PalletsBot

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

#: The longest query value a page reads (a search); longer ones are cut.
QUERY_VALUE_LIMIT = 200
#: At most this many query parameters are read.
QUERY_PARAMETERS = 8


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a page handler knows about the request."""

    guild_id: int
    guild_name: str
    settings: GuildSettings
    #: The catalogue the page is rendered in, and the server's own.
    language: str
    default_language: str
    #: The path below ``/<guild id>/`` (``"questions/12"``), and the route's parameters.
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]

    def url(self, path: str = "", **query: str | int | None) -> str:
        """A link to ``path`` of this server's pages, in the language being read."""
        return page_url(
            self.guild_id, path, self.language, self.default_language, **query
        )

    def language_url(self, language: str) -> str:
        """This page (same query) in ``language``."""
        query: dict[str, str | int | None] = dict(self.query)
        query.pop("lang", None)
        return page_url(
            self.guild_id, self.path, language, self.default_language, **query
        )


def page_url(
    guild_id: int,
    path: str,
    language: str,
    default_language: str,
    **query: str | int | None,
) -> str:
    """``/<guild>/<path>?...``, with ``lang`` only when it is not the server's."""
    values = {
        name: str(value) for name, value in query.items() if value not in (None, "")
    }
    if language != default_language:
        values["lang"] = language
    url = f"/{guild_id}/{path}"
    return f"{url}?{urlencode(values)}" if values else url


@dataclass(frozen=True, slots=True)
class Html:
    """A page: a template (``<section>/<file>``) and what it shows."""

    template: str
    title: str
    context: Mapping[str, Any] = field(default_factory=dict)
    #: Alternate representations to announce in the head (feeds, JSON).
    alternates: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Body:
    """A non-HTML answer (a feed, JSON), already encoded."""

    body: bytes
    content_type: str


Handler = Callable[["PalletsBot", PageRequest], Awaitable[Html | Body | None]]


@dataclass(frozen=True, slots=True)
class Section:
    """What a job publishes: its pages, served under ``/<guild id>/``.

    :param name: the template prefix (``questions/list.html`` is ``list.html`` in
        ``templates``) and the first path segment of its main page.
    :param title: the section's name in the navigation, in the active language.
    :param routes: path pattern (``"questions"``, ``"questions/{id}"``) to handler;
        a ``{name}`` matches one path segment. A handler returning ``None`` is a 404.
    :param shown: whether a server's settings publish this section.
    :param summary: one line for the server's front page, in the active language.
    """

    name: str
    title: Callable[[], str]
    routes: Mapping[str, Handler]
    templates: Path | None = None
    order: int = 100
    shown: Callable[[GuildSettings], bool] = lambda settings: True
    summary: Callable[[], str] | None = None


_PARAMETER = re.compile(r"\{([a-z_]+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    parts = _PARAMETER.split(pattern)
    regex = "".join(
        f"(?P<{part}>[^/]{{1,100}})" if index % 2 else re.escape(part)
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


@dataclass(frozen=True, slots=True)
class _Route:
    section: Section
    pattern: re.Pattern[str]
    handler: Handler


class Pages:
    """The sections every server's pages are made of (``bot.pages``)."""

    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}
        self._routes: list[_Route] = []
        #: Template folders by section name (the renderer's loader reads this).
        self.template_dirs: dict[str, Path] = {}
        #: Changes when a section comes or goes (rendered pages are then stale).
        self.generation = 0
        from bot.pages.cache import RenderCache  # it imports this module

        #: The rendered pages and feeds, kept while their data is unchanged.
        self.rendered = RenderCache()

    def register(self, section: Section) -> None:
        """Add (or replace) a section."""
        self._sections[section.name] = section
        self._rebuild()

    def unregister(self, name: str) -> None:
        self._sections.pop(name, None)
        self._rebuild()

    def _rebuild(self) -> None:
        self.generation += 1
        self._routes = [
            _Route(section, _compile(pattern), handler)
            for section in self._sections.values()
            for pattern, handler in section.routes.items()
        ]
        self.template_dirs.clear()
        self.template_dirs.update(
            {
                section.name: section.templates
                for section in self._sections.values()
                if section.templates is not None
            }
        )

    def sections(self, settings: GuildSettings) -> list[Section]:
        """The sections a server publishes, in navigation order."""
        shown = [s for s in self._sections.values() if s.shown(settings)]
        return sorted(shown, key=lambda section: (section.order, section.name))

    def match(
        self, path: str, settings: GuildSettings
    ) -> tuple[Section, Handler, dict[str, str]] | None:
        """The section and handler for ``path``, if a published section has it."""
        for route in self._routes:
            found = route.pattern.match(path)
            if found is not None and route.section.shown(settings):
                return route.section, route.handler, found.groupdict()
        return None


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered answer: status, body and content type (headers added by HTTP)."""

    status: int
    body: bytes
    content_type: str
    #: Whether search engines may index it.
    indexable: bool = False
    #: Its ETag, when the render cache (:mod:`bot.pages.cache`) computed it already.
    etag: str | None = None


def readable_by_everyone(bot: PalletsBot, guild_id: int, channel_id: int) -> bool:
    """Whether @everyone can read the channel. Unknown is *not* public: a page that
    shows a channel's content asks this and shows nothing when in doubt."""
    guild = bot.get_guild(guild_id)
    channel = guild.get_channel(channel_id) if guild is not None else None
    if guild is None or channel is None:
        return False
    return bool(channel.permissions_for(guild.default_role).view_channel)
