"""The bot's small HTTP server: health, metrics, and each guild's calendar feed.

Off unless ``PALLETS_BOT_HTTP_PORT`` is set; it binds to ``PALLETS_BOT_HTTP_HOST``
(loopback by default: put a reverse proxy in front to publish the calendar feed).

- ``GET /healthz``: 200 with a JSON report when the gateway is connected, the
  database accepts a write and the scheduler runs; 503 with the failing parts named
  otherwise (for a load balancer, systemd's watchdog script or an uptime checker).
  The write is probed at most once every :data:`DB_PROBE_SECONDS` (a good result is
  reused until then, so a flood of checks cannot queue writes behind the bot's), and
  the report never names the database's path.
- ``GET /metrics``: Prometheus text format (see :mod:`bot.metrics`).
- ``GET /calendar/<guild id>.ics``: upcoming community chats and events of a guild
  that enabled the feed with ``/setup calendar``; 404 for any other guild, answered
  without reading the database (so unknown ids cost nothing and are not cached).
- The community's public pages (:mod:`bot.pages.server`): ``/``, ``/<guild id>/...``,
  ``/static/...`` and ``/robots.txt``.

Requests are bounded: no body is accepted (every route is a GET), and request lines
and headers are limited to :data:`LINE_LIMIT` bytes each, :data:`HEADER_COUNT` headers.
A client must send its request headers within :data:`HEADER_TIMEOUT` seconds of
connecting (or of its previous request): a slow client cannot hold connections open.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING

from aiohttp import web

from bot import calendar
from bot.metrics import CONTENT_TYPE
from bot.pages import Rendered
from bot.pages import server as pages
from bot.pages.cache import data_version
from bot.pages.cache import minute

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: How long the health check waits for the database before calling it unwritable.
DB_CHECK_TIMEOUT = 5.0
#: A database write that succeeded is trusted for this long before probing again.
DB_PROBE_SECONDS = 15.0
#: Seconds a client has to send its request headers (and to keep an idle
#: connection open between requests).
HEADER_TIMEOUT = 10.0

#: Longest request line or header line accepted, and most headers per request.
LINE_LIMIT = 8190
HEADER_COUNT = 64
#: Every route is a GET: a request body is refused beyond this many bytes.
BODY_LIMIT = 1024

_FEED_NAME = re.compile(r"^(?P<guild_id>[0-9]{1,20})\.ics$")
#: Snowflakes are 64-bit; SQLite's integers are signed 64-bit.
_MAX_ID = 2**63 - 1

_BOT: web.AppKey[PalletsBot] = web.AppKey("bot")
CALENDAR_TYPE = "text/calendar; charset=utf-8"


class DatabaseProbe:
    """Whether the database takes a write, probed at most once a period.

    A success is reused for :data:`DB_PROBE_SECONDS`; a failure is not (the next
    check probes again, so recovery shows at once). Checks arriving together share
    one probe.
    """

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot
        self._ok_until = -math.inf
        self._running: asyncio.Future[str | None] | None = None
        #: How many write probes were made (for the tests).
        self.probes = 0

    async def error(self) -> str | None:
        """``None`` when the database is writable, else why not (without paths)."""
        if asyncio.get_running_loop().time() < self._ok_until:
            return None
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._probe())
        return await asyncio.shield(self._running)

    async def _probe(self) -> str | None:
        self.probes += 1
        try:
            await asyncio.wait_for(self._bot.db.check_writable(), DB_CHECK_TIMEOUT)
        except Exception as exc:  # any failure means "not writable"; say which
            log.warning("health check: the database refused a write: %s", exc)
            return _without_paths(
                f"{type(exc).__name__}: {exc}".rstrip(": "), self._bot.db.path
            )
        self._ok_until = asyncio.get_running_loop().time() + DB_PROBE_SECONDS
        return None


def _without_paths(text: str, path: Path) -> str:
    """``text`` with the database's path and folder replaced by neutral words.

    The health report may be public (an uptime checker, a load balancer's page); where
    the files live is for the log only.
    """
    for where, word in ((str(path), "the database"), (str(path.parent), "its folder")):
        if where and where != ".":
            text = text.replace(where, word)
    return text


async def health(bot: PalletsBot) -> tuple[bool, dict[str, Any]]:
    """Return whether the bot is healthy, and the report served on ``/healthz``."""
    failing: list[str] = []
    gateway = bot.is_ready() and not bot.is_closed()
    if not gateway:
        failing.append("gateway")
    probe = bot.web.probe if bot.web is not None else DatabaseProbe(bot)
    database_error = await probe.error()
    if database_error is not None:
        failing.append("database")
    scheduler = bot.scheduler.running
    if not scheduler:
        failing.append("scheduler")
    latency = _finite(getattr(bot, "latency", None))
    report: dict[str, Any] = {
        "status": "ok" if not failing else "failing",
        "failing": failing,
        "gateway": {"connected": gateway, "latency_seconds": latency},
        "database": {"writable": database_error is None, "error": database_error},
        "scheduler": {"running": scheduler},
        "guilds": len(bot.guilds),
    }
    return not failing, report


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


async def _healthz(request: web.Request) -> web.Response:
    ok, report = await health(request.app[_BOT])
    return web.json_response(report, status=200 if ok else 503)


async def _metrics(request: web.Request) -> web.Response:
    bot = request.app[_BOT]
    await bot.metrics.refresh()
    response = web.Response(body=bot.metrics.render())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


async def calendar_feed(bot: PalletsBot, guild_id: int) -> bytes | None:
    """The guild's feed, or ``None`` when the guild did not enable it."""
    rendered = await _calendar_answer(bot, guild_id)
    return None if rendered is None else rendered.body


async def _calendar_answer(bot: PalletsBot, guild_id: int) -> Rendered | None:
    """The guild's feed with its ETag, or ``None`` when the guild did not enable it.

    A guild the bot is not in has no feed: answered from memory, so asking for
    any number of unknown ids neither reads the database nor fills its cache.
    """
    guild = bot.get_guild(guild_id) if 0 < guild_id <= _MAX_ID else None
    if guild is None:
        return None
    rendered = await _kept_feed(bot, guild_id, guild.name)
    return rendered if rendered.status == 200 else None


async def _kept_feed(bot: PalletsBot, guild_id: int, guild_name: str) -> Rendered:
    """The feed (a 404 when it is off), rendered again only when it may have
    changed (:mod:`bot.pages.cache`)."""
    version = (
        await data_version(bot.db),
        minute(),
        guild_name,
        bot.calendar_sources.generation,
    )

    async def render() -> Rendered:
        settings = await bot.guild_config.get(guild_id)
        if not settings.calendar_enabled:
            return Rendered(404, b"no such calendar", "text/plain; charset=utf-8")
        entries = await bot.calendar_sources.collect(bot, guild_id)
        body = calendar.to_ics(entries, f"{guild_name} community")
        return Rendered(200, body, CALENDAR_TYPE)

    return await bot.pages.rendered.get(("calendar", guild_id), version, render)


async def _calendar(request: web.Request) -> web.Response:
    match = _FEED_NAME.match(request.match_info["name"])
    if match is None:
        raise web.HTTPNotFound(text="no such calendar")
    rendered = await _calendar_answer(request.app[_BOT], int(match["guild_id"]))
    if rendered is None:
        raise web.HTTPNotFound(text="no such calendar")
    # Calendar apps poll; a few minutes of staleness is fine for proxies, and a
    # conditional request for an unchanged feed is a bodiless 304.
    return pages.conditional(
        request,
        200,
        rendered.body,
        CALENDAR_TYPE,
        cache_control="public, max-age=300",
        seen=request.app[pages.SEEN],
        etag=rendered.etag,
    )


def make_app(bot: PalletsBot) -> web.Application:
    app = web.Application(client_max_size=BODY_LIMIT)
    app[_BOT] = bot
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/calendar/{name}", _calendar)
    pages.install(app, bot)
    return app


class WebServer:
    """Runs :func:`make_app` on the configured address inside the bot's loop."""

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot
        self._runner: web.AppRunner | None = None
        self.probe = DatabaseProbe(bot)
        #: The bound port (useful when the configured port is 0: any free port).
        self.port: int | None = None

    async def start(self) -> None:
        settings = self._bot.settings
        assert settings.http_port is not None
        # aiohttp closes a connection whose request has not arrived when its
        # keep-alive timer fires, which runs from the moment it connects: that is
        # the header-read timeout (and the idle limit between requests).
        runner = web.AppRunner(
            make_app(self._bot),
            access_log=None,
            max_line_size=LINE_LIMIT,
            max_field_size=LINE_LIMIT,
            max_headers=HEADER_COUNT,
            keepalive_timeout=HEADER_TIMEOUT,
        )
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = _bound_port(runner, settings.http_port)
        log.info("HTTP server listening on %s:%s", settings.http_host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def _bound_port(runner: web.AppRunner, configured: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return configured
