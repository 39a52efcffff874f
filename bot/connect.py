"""Reaching Discord at start-up: one clear line and an exit code for each way it fails.

Before the bot logs in, :func:`wait_for_discord` asks Discord who the token belongs to
(``GET /users/@me``, the request login starts with). A refused token stops at once;
no network (DNS down while a host boots, a refused or timed-out connection) and a
Discord outage (5xx, 429) are retried with growing pauses, one log line per try,
and give up after about two minutes, so a service manager's restart is the last
resort rather than the plan. :func:`explain` turns the same failures, raised later by
discord.py's own login or gateway connection, into the same errors.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from urllib.parse import urlsplit

import aiohttp
import discord
from discord.http import Route

log = logging.getLogger(__name__)

#: Pauses between tries when Discord cannot be reached: about two minutes in all.
RETRY_DELAYS: Sequence[float] = (2, 4, 8, 16, 30, 30, 30)
#: How long one try may take.
TRY_TIMEOUT = 15.0

PORTAL = "https://discord.com/developers/applications"


class DiscordUnreachable(Exception):
    """Discord cannot be used at start-up; the message says why and what to do.

    ``exit_code`` is what ``pallets-bot run`` exits with (see :mod:`bot.cli`).
    """

    exit_code = 20
    #: Whether trying again later may help.
    transient = False


class TokenRefused(DiscordUnreachable):
    """Discord answered 401: the token is wrong, or was reset."""

    exit_code = 20


class NoNetwork(DiscordUnreachable):
    """Discord could not be reached at all: DNS, a refused or timed-out connection."""

    exit_code = 21
    transient = True


class DiscordOutage(DiscordUnreachable):
    """Discord answered, with a server error (5xx) or by limiting this address (429)."""

    exit_code = 22
    transient = True


class IntentsMissing(DiscordUnreachable):
    """The gateway refused a privileged intent the bot asks for (close code 4014)."""

    exit_code = 23


def _host() -> str:
    return urlsplit(Route.BASE).hostname or Route.BASE


def _network(exc: BaseException) -> NoNetwork:
    host = _host()
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(
        exc, socket.gaierror
    ):
        why = f"the name {host} does not resolve (no network, or DNS is down)"
    elif isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        why = f"{host} did not answer in time (no network, or a firewall)"
    else:
        detail = getattr(exc, "os_error", None) or exc
        number = getattr(detail, "errno", None)
        reason = os.strerror(number) if number else str(detail) or type(exc).__name__
        why = f"no connection to {host}: {reason} (no network, or a firewall)"
    return NoNetwork(f"cannot reach Discord: {why}")


def _refused() -> TokenRefused:
    return TokenRefused(
        "Discord refused the token (401 Unauthorized): PALLETS_BOT_TOKEN is wrong or "
        f"was reset; copy the bot's token again at {PORTAL} (Bot, Reset Token)"
    )


def _outage(status: int, reason: str) -> DiscordOutage:
    if status == 429:
        return DiscordOutage(
            "Discord is limiting requests from this address (429 Too Many Requests); "
            "it lifts by itself"
        )
    return DiscordOutage(
        f"Discord is having trouble ({status} {reason}); see https://discordstatus.com"
    )


def explain(exc: BaseException) -> DiscordUnreachable | None:
    """The start-up failure ``exc`` stands for, or ``None`` for anything else."""
    if isinstance(exc, DiscordUnreachable):
        return exc
    if isinstance(exc, discord.LoginFailure):
        return _refused()
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return IntentsMissing(
            "Discord refused the connection: the Message Content intent is not enabled "
            f"for this bot; turn it on at {PORTAL} (Bot, Privileged Gateway Intents)"
        )
    if isinstance(exc, discord.DiscordServerError):
        return _outage(exc.status, getattr(exc.response, "reason", None) or "error")
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        return _outage(429, "Too Many Requests")
    if isinstance(
        exc, aiohttp.ClientConnectionError | asyncio.TimeoutError | socket.gaierror
    ):
        return _network(exc)
    return None


async def probe(token: str, *, timeout: float = TRY_TIMEOUT) -> None:
    """Ask Discord who ``token`` is, once; raise what went wrong."""
    url = f"{Route.BASE}/users/@me"
    headers = {"Authorization": f"Bot {token}", "User-Agent": "pallets-bot"}
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=timeout)
            ) as session,
            session.get(url, headers=headers) as response,
        ):
            status, reason = response.status, response.reason or ""
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise _network(exc) from exc
    if status == 401:
        raise _refused()
    if status == 429 or status >= 500:
        raise _outage(status, reason)
    # Anything else (200, or an odd answer) is for login to deal with.


async def wait_for_discord(
    token: str,
    *,
    delays: Sequence[float] | None = None,
    check: Callable[[str], Awaitable[None]] = probe,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Return once Discord answers for ``token``; retry what may pass, then give up.

    ``delays`` are the pauses between tries (default :data:`RETRY_DELAYS`).
    """
    delays = RETRY_DELAYS if delays is None else delays
    tries = len(delays) + 1
    waited = 0.0
    for attempt in range(1, tries + 1):
        try:
            await check(token)
        except DiscordUnreachable as exc:
            if not exc.transient:
                raise
            if attempt == tries:
                raise type(exc)(
                    f"{exc}; gave up after {tries} tries over {_span(waited)}"
                ) from None
            delay = delays[attempt - 1]
            log.warning(
                "%s; try %d of %d failed, next in %s", exc, attempt, tries, _span(delay)
            )
            await sleep(delay)
            waited += delay
        else:
            if attempt > 1:
                log.info("Discord answered on try %d of %d", attempt, tries)
            return


def _span(seconds: float) -> str:
    if seconds >= 90:
        return f"{seconds / 60:.0f} minutes"
    whole = round(seconds)
    return f"{whole} second{'s' if whole != 1 else ''}"
