"""Serving the public pages over HTTP: routing, languages, caching headers, limits.

- ``GET /``: the servers whose pages are on (straight to the one when there is one).
- ``GET /<guild id>/`` and below: that server's pages (404 unless ``/setup pages``
  turned them on, the same 404 as for a server the bot is not in).
- ``GET /static/<file>``: the style sheet and the one small script.
- ``GET /robots.txt``: keeps crawlers off the operational endpoints; each page says
  itself whether it may be indexed (``noindex`` until the organiser opts in).

Every answer carries an ``ETag`` (a digest of the body) and a ``Last-Modified`` (when
this server first served that body at that address), and a conditional request whose
validator still matches gets a bodiless 304: feed readers and browsers poll for the
price of a render and a few bytes. Pages are ``no-cache`` (revalidated every time), so
a member's removed content is gone from the next view, also behind a caching proxy.
Each page has :data:`RENDER_TIMEOUT` seconds; query strings are read only in part
(:data:`bot.pages.QUERY_PARAMETERS` values of at most
:data:`bot.pages.QUERY_VALUE_LIMIT` characters).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime
from email.utils import parsedate_to_datetime
from typing import Any
from typing import TYPE_CHECKING

from aiohttp import web
from jinja2 import Environment
from markupsafe import escape

from bot import i18n
from bot.clock import utcnow
from bot.guilds import Channel
from bot.pages import Body
from bot.pages import cache
from bot.pages import Html
from bot.pages import PageRequest
from bot.pages import QUERY_PARAMETERS
from bot.pages import QUERY_VALUE_LIMIT
from bot.pages import readable_by_everyone
from bot.pages import Rendered
from bot.pages import STATIC_DIR
from bot.pages import upcoming
from bot.pages.templating import autonym
from bot.pages.templating import environment
from bot.pages.templating import html_language
from bot.pages.templating import STATIC_FILES
from bot.pages.templating import static_url

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: Seconds a page may take before the reader gets a 503.
RENDER_TIMEOUT = 10.0
#: Longest path below a server's address that is looked at.
PATH_LIMIT = 200
#: Snowflakes are 64-bit; SQLite's integers are signed 64-bit.
_MAX_ID = 2**63 - 1
#: How many addresses' "first served" times are remembered (for Last-Modified).
_SEEN_LIMIT = 4096

HTML = "text/html; charset=utf-8"
SECURITY_HEADERS = {
    # The pages load only their own style sheet and script, and are never framed.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _Environments:
    """One Jinja environment per registry (built on first use)."""

    def __init__(self) -> None:
        self._by_registry: dict[int, Environment] = {}

    def get(self, bot: PalletsBot) -> Environment:
        key = id(bot.pages)
        env = self._by_registry.get(key)
        if env is None:
            env = environment(bot.pages.template_dirs)
            self._by_registry = {key: env}
        return env


_environments = _Environments()


def valid_guild(bot: PalletsBot, guild_id: int) -> bool:
    return 0 < guild_id <= _MAX_ID and bot.get_guild(guild_id) is not None


async def render_page(
    bot: PalletsBot, guild_id: int, path: str, query: Mapping[str, str]
) -> Rendered:
    """Render ``/<guild_id>/<path>?<query>``: the same work as the HTTP request.

    Served from the render cache (:mod:`bot.pages.cache`) while nothing it shows
    can have changed.
    """
    guild = bot.get_guild(guild_id) if 0 < guild_id <= _MAX_ID else None
    if guild is None or len(path) > PATH_LIMIT:
        return not_found()
    settings = await bot.guild_config.get(guild_id)
    forum = settings.channel(Channel.QUESTIONS)
    version = (
        await cache.data_version(bot.db),
        cache.minute(),
        guild.name,
        guild.vanity_url_code,
        forum is not None and readable_by_everyone(bot, guild_id, forum),
        bot.pages.generation,
        bot.calendar_sources.generation,
    )
    key = (guild_id, path, tuple(sorted(query.items())))
    return await bot.pages.rendered.get(
        key, version, lambda: _render_page(bot, guild_id, guild.name, path, query)
    )


async def _render_page(
    bot: PalletsBot, guild_id: int, guild_name: str, path: str, query: Mapping[str, str]
) -> Rendered:
    settings = await bot.guild_config.get(guild_id)
    if not settings.pages_enabled:
        return not_found()
    default = await bot.guild_language(guild_id)
    wanted = query.get("lang", "")
    language = wanted if wanted in i18n.available_languages() else default
    path = path.strip("/")
    match = bot.pages.match(path, settings)
    with i18n.scope(language, language):
        if path == "":
            handler: Any = upcoming.home
            params: dict[str, str] = {}
            current = ""
        elif path == upcoming.PATH:
            handler, params, current = upcoming.page, {}, upcoming.PATH
        elif match is not None:
            section, handler, params = match
            current = section.name
        else:
            return _rendered_not_found(bot, guild_name, settings, language, default)
        request = PageRequest(
            guild_id=guild_id,
            guild_name=guild_name,
            settings=settings,
            language=language,
            default_language=default,
            path=path,
            params=params,
            query=query,
        )
        answer = await handler(bot, request)
        if answer is None:
            return _rendered_not_found(bot, guild_name, settings, language, default)
        if isinstance(answer, Body):
            return Rendered(
                200, answer.body, answer.content_type, settings.pages_indexable
            )
        body = _render_html(bot, request, answer, current)
    return Rendered(200, body, HTML, settings.pages_indexable)


def _render_html(
    bot: PalletsBot, request: PageRequest, page: Html, current: str
) -> bytes:
    template = _environments.get(bot).get_template(page.template)
    text = template.render(
        page.context,
        request=request,
        title=page.title,
        alternates=page.alternates,
        layout=_layout(bot, request, current),
    )
    return text.encode("utf-8")


def _layout(bot: PalletsBot, request: PageRequest, current: str) -> dict[str, Any]:
    """What the layout needs: navigation, languages, robots."""
    nav = [(request.url(""), upcoming.home_title(), current == "")]
    nav.append((request.url(upcoming.PATH), upcoming.title(), current == upcoming.PATH))
    nav.extend(
        (request.url(section.name), section.title(), current == section.name)
        for section in bot.pages.sections(request.settings)
    )
    languages = [
        (
            code,
            autonym(code),
            html_language(code),
            request.language_url(code),
            code == request.language,
        )
        for code in i18n.available_languages()
    ]
    return {
        "nav": nav,
        "languages": languages,
        "lang": html_language(request.language),
        "noindex": not request.settings.pages_indexable,
        "home": request.url(""),
    }


def not_found() -> Rendered:
    """The one 404 for an unknown server, a server without pages, a bad address."""
    body = (
        b"<!doctype html><html lang=en><meta charset=utf-8>"
        b'<meta name="robots" content="noindex">'
        b"<title>Not found</title><main><h1>Not found</h1></main></html>"
    )
    return Rendered(404, body, HTML)


def _rendered_not_found(
    bot: PalletsBot, guild_name: str, settings: Any, language: str, default: str
) -> Rendered:
    request = PageRequest(
        guild_id=settings.guild_id,
        guild_name=guild_name,
        settings=settings,
        language=language,
        default_language=default,
        path="",
        params={},
        query={},
    )
    page = Html("not_found.html", i18n._("Page not found"))
    return Rendered(404, _render_html(bot, request, page, "-"), HTML)


# -- HTTP ---------------------------------------------------------------------------------
_BOT: web.AppKey[PalletsBot] = web.AppKey("pages_bot")
#: When each address first served its body (Last-Modified), for every route.
SEEN: web.AppKey[FirstSeen] = web.AppKey("pages_seen")


class FirstSeen:
    """When each address first served its current body: an honest Last-Modified.

    Bounded (least recently used addresses are forgotten; a forgotten or restarted
    one counts from now, which only makes clients fetch once more).
    """

    def __init__(self, limit: int = _SEEN_LIMIT) -> None:
        self._limit = limit
        self._seen: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    def since(self, address: str, etag: str) -> datetime:
        known = self._seen.get(address)
        if known is not None and known[0] == etag:
            self._seen.move_to_end(address)
            return known[1]
        moment = utcnow().replace(microsecond=0)
        self._seen[address] = (etag, moment)
        self._seen.move_to_end(address)
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return moment


def conditional(
    request: web.Request,
    status: int,
    body: bytes,
    content_type: str,
    *,
    cache_control: str = "public, no-cache",
    seen: FirstSeen | None = None,
    etag: str | None = None,
) -> web.Response:
    """The response, with ETag and Last-Modified, or a 304 when the client's copy is
    current (``If-None-Match`` first; ``If-Modified-Since`` only without it).
    ``etag``: the body's, when already known (:func:`bot.pages.cache.etag_of`)."""
    etag = etag or cache.etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    modified: datetime | None = None
    if seen is not None:
        modified = seen.since(request.path_qs, etag)
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    if status == 200 and _not_modified(request, etag, modified):
        return web.Response(status=304, headers=headers)
    response = web.Response(status=status, body=body, headers=headers)
    response.headers["Content-Type"] = content_type
    return response


def _not_modified(request: web.Request, etag: str, modified: datetime | None) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("If-Modified-Since")
    if since is None or modified is None:
        return False
    try:
        client = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if client.tzinfo is None:
        return False
    return modified <= client


def _query(request: web.Request) -> dict[str, str]:
    """The first few query values, each cut to a bounded length."""
    values: dict[str, str] = {}
    for name, value in request.query.items():
        if len(values) >= QUERY_PARAMETERS:
            break
        if name not in values and len(name) <= 20:
            values[name] = value[:QUERY_VALUE_LIMIT]
    return values


async def _guild_page(request: web.Request) -> web.Response:
    bot = request.app[_BOT]
    guild_id = int(request.match_info["guild"])
    path = request.match_info.get("path", "")
    try:
        async with asyncio.timeout(RENDER_TIMEOUT):
            rendered = await render_page(bot, guild_id, path, _query(request))
    except TimeoutError:
        log.warning("page %s took longer than %ss", request.path, RENDER_TIMEOUT)
        return _plain(503, "This page is taking too long; try again in a minute.")
    response = conditional(
        request,
        rendered.status,
        rendered.body,
        rendered.content_type,
        seen=request.app[SEEN],
        etag=rendered.etag,
    )
    response.headers.update(SECURITY_HEADERS)
    if not rendered.indexable:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


async def _guild_root(request: web.Request) -> web.Response:
    # /<guild> and /<guild>/ are the same page; one address keeps caches simple.
    raise web.HTTPMovedPermanently(request.path + "/" + _qs(request))


def _qs(request: web.Request) -> str:
    return "?" + request.query_string if request.query_string else ""


async def _index(request: web.Request) -> web.Response:
    bot = request.app[_BOT]
    published = []
    for guild in sorted(bot.guilds, key=lambda g: g.id):
        if (await bot.guild_config.get(guild.id)).pages_enabled:
            published.append(guild)
    if len(published) == 1:
        raise web.HTTPFound(f"/{published[0].id}/")
    items = "".join(
        f'<li><a href="/{guild.id}/">{escape(guild.name)}</a></li>'
        for guild in published
    )
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f'<link rel="stylesheet" href="{static_url("pages.css")}">'
        f'<link rel="icon" href="{static_url("icon.svg")}" type="image/svg+xml">'
        "<title>Community pages</title><main id=main><h1>Community pages</h1>"
        f"<ul>{items}</ul></main></html>"
    ).encode()
    response = conditional(request, 200, body, HTML, seen=request.app[SEEN])
    response.headers.update(SECURITY_HEADERS)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


async def _static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    body = (STATIC_DIR / name).read_bytes()
    response = conditional(
        request,
        200,
        body,
        content_type,
        cache_control="public, max-age=31536000, immutable",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def _robots(request: web.Request) -> web.Response:
    body = b"User-agent: *\nDisallow: /healthz\nDisallow: /metrics\n"
    return conditional(
        request, 200, body, "text/plain; charset=utf-8", cache_control="public"
    )


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def install(app: web.Application, bot: PalletsBot) -> None:
    """Add the pages' routes to the bot's web application."""
    app[_BOT] = bot
    app[SEEN] = FirstSeen()
    app.router.add_get("/", _index)
    app.router.add_get("/robots.txt", _robots)
    app.router.add_get("/static/{name}", _static_file)
    app.router.add_get(r"/{guild:[0-9]{1,20}}", _guild_root)
    app.router.add_get(r"/{guild:[0-9]{1,20}}/{path:.*}", _guild_page)
