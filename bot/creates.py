"""Creates discord.py must not repeat by itself.

discord.py's ``HTTPClient.request`` answers a 500, 502, 504 or 524 by sending the
same request again, up to 5 times, before the bot hears of it. For a message that is
harmless (the outbox's nonce makes Discord answer a repeat with the first message),
but a thread or a scheduled event has no nonce: when Discord made it and then
answered 5xx, the repeat makes a second one, and the outbox never learns of the
first.

So the bot's HTTP session carries a trace (:func:`once_only`, passed as discord.py's
``http_trace``) that turns a 5xx answer to such a create into
:class:`CreateAnswerLost` as soon as the answer arrives. It is not an ``OSError``,
the only exception discord.py's loop catches and retries, so it leaves the loop at
once; it is a :class:`discord.DiscordServerError`, so everything above treats it as
the Discord trouble it is: the outbox keeps the send pending (its first try may have
reached Discord) and looks on Discord for what it made before any further try, a job
retries it later, a member is told to try again.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
from discord.http import json_or_text

#: The creates without a nonce the bot makes (path suffixes under the API base):
#: a thread in a channel (or a forum post), a thread on a message, a scheduled event.
CREATE_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"/channels/\d+/threads$")),
    ("POST", re.compile(r"/channels/\d+/messages/\d+/threads$")),
    ("POST", re.compile(r"/guilds/\d+/scheduled-events$")),
)
#: The answers discord.py repeats a request on (``HTTPClient.request``).
REPEATED_STATUSES = frozenset({500, 502, 504, 524})


class CreateAnswerLost(discord.DiscordServerError):
    """Discord answered a create with a 5xx: it may have made it all the same.

    Raised instead of letting discord.py send the create again; whoever made the
    request must look on Discord before trying again (the outbox does)."""


def is_create(method: str, path: str) -> bool:
    """Whether ``method path`` (a URL path) makes something that has no nonce."""
    return any(
        method == wanted and pattern.search(path) is not None
        for wanted, pattern in CREATE_ROUTES
    )


async def _on_request_end(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceRequestEndParams,
) -> None:
    response = params.response
    if response.status not in REPEATED_STATUSES:
        return
    if not is_create(params.method, params.url.path):
        return
    try:
        body: Any = await json_or_text(response)
    except (aiohttp.ClientError, ValueError, UnicodeDecodeError):
        body = ""
    raise CreateAnswerLost(response, body)


def once_only() -> aiohttp.TraceConfig:
    """The trace that keeps discord.py from repeating a create Discord answered
    5xx (for discord.py's ``http_trace`` option)."""
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_on_request_end)
    return trace
