"""The bot's small HTTP server: health, metrics, and each guild's calendar feed.

Off unless ``PALLETS_BOT_HTTP_PORT`` is set; it binds to ``PALLETS_BOT_HTTP_HOST``
(loopback by default: put a reverse proxy in front to publish the calendar feed).

- ``GET /healthz``: 200 with a JSON report when the gateway is connected, the
  database accepts a write and the scheduler runs; 503 with the failing parts named
  otherwise (for a load balancer, systemd's watchdog script or an uptime checker).
- ``GET /metrics``: Prometheus text format (see :mod:`bot.metrics`).
- ``GET /calendar/<guild id>.ics``: upcoming community chats and events of a guild
  that enabled the feed with ``/setup calendar``; 404 for any other guild.
- The community's public pages (:mod:`bot.pages.server`): ``/``, ``/<guild id>/...``,
  ``/static/...`` and ``/robots.txt``.

Requests are bounded: no body is accepted (every route is a GET), and request lines
and headers are limited to :data:`LINE_LIMIT` bytes each, :data:`HEADER_COUNT` headers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from typing import Any
from typing import TYPE_CHECKING

from aiohttp import web

from bot import calendar
from bot.metrics import CONTENT_TYPE
from bot.pages import server as pages

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: How long the health check waits for the database before calling it unwritable.
DB_CHECK_TIMEOUT = 5.0

#: Longest request line or header line accepted, and most headers per request.
LINE_LIMIT = 8190
HEADER_COUNT = 64
#: Every route is a GET: a request body is refused beyond this many bytes.
BODY_LIMIT = 1024

_FEED_NAME = re.compile(r"^(?P<guild_id>[0-9]{1,20})\.ics$")

_BOT: web.AppKey[PalletsBot] = web.AppKey("bot")


async def health(bot: PalletsBot) -> tuple[bool, dict[str, Any]]:
    """Return whether the bot is healthy, and the report served on ``/healthz``."""
    failing: list[str] = []
    gateway = bot.is_ready() and not bot.is_closed()
    if not gateway:
        failing.append("gateway")
    database_error: str | None = None
    try:
        await asyncio.wait_for(bot.db.check_writable(), DB_CHECK_TIMEOUT)
    except Exception as exc:  # any failure means "not writable"; say which
        database_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
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
    settings = await bot.guild_config.get(guild_id)
    if not settings.calendar_enabled:
        return None
    guild = bot.get_guild(guild_id)
    name = f"{guild.name} community" if guild is not None else "Community calendar"
    entries = await bot.calendar_sources.collect(bot, guild_id)
    return calendar.to_ics(entries, name)


async def _calendar(request: web.Request) -> web.Response:
    match = _FEED_NAME.match(request.match_info["name"])
    if match is None:
        raise web.HTTPNotFound(text="no such calendar")
    body = await calendar_feed(request.app[_BOT], int(match["guild_id"]))
    if body is None:
        raise web.HTTPNotFound(text="no such calendar")
    # Calendar apps poll; a few minutes of staleness is fine for proxies, and a
    # conditional request for an unchanged feed is a bodiless 304.
    return pages.conditional(
        request,
        200,
        body,
        "text/calendar; charset=utf-8",
        cache_control="public, max-age=300",
        seen=request.app[pages.SEEN],
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
        #: The bound port (useful when the configured port is 0: any free port).
        self.port: int | None = None

    async def start(self) -> None:
        settings = self._bot.settings
        assert settings.http_port is not None
        runner = web.AppRunner(
            make_app(self._bot),
            access_log=None,
            max_line_size=LINE_LIMIT,
            max_field_size=LINE_LIMIT,
            max_headers=HEADER_COUNT,
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
