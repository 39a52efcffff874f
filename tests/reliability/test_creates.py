"""discord.py's own 5xx retry, against a real HTTP server (simcord replaces discord.py's
``HTTPClient`` wholesale, so its faults act above that retry and cannot show it).

A small aiohttp server on 127.0.0.1 plays Discord: it counts the creates it gets,
applies one and answers it 502 when told to (Discord made the thread or event, the
answer was lost), and lists what it made. The bot's own client (``create_bot``, so
the trace it installs in production) talks to it through discord.py's real
``HTTPClient`` with ``Route.BASE`` pointed at it. discord.py's waits between its
repeats are recorded, not slept.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from discord.http import HTTPClient
from discord.http import Route
from discord.types.user import User as UserPayload

from bot import create_bot
from bot import PalletsBot
from bot.creates import CreateAnswerLost
from bot.creates import is_create
from bot.devtools import testing
from bot.scheduler import is_transient

BOT_ID = 900
GUILD_ID = 100
CHANNEL_ID = 200
MESSAGE_ID = 300


@dataclass
class FakeDiscord:
    """Just enough of Discord's REST API for threads and scheduled events."""

    #: (method, path) of every request, in order.
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: Statuses to answer the next creates with, after making what they asked.
    lose: list[int] = field(default_factory=list)
    threads: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    _made: int = 0
    _nonces: dict[str, dict[str, Any]] = field(default_factory=dict)

    def posts(self, suffix: str) -> int:
        return sum(1 for m, p in self.requests if m == "POST" and p.endswith(suffix))

    def _id(self) -> str:
        """A snowflake of now, as Discord gives what it makes."""
        self._made += 1
        return str(discord.utils.time_snowflake(discord.utils.utcnow()) + self._made)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._log])
        routes = [
            ("GET", "/users/@me", self._me),
            ("POST", "/channels/{channel}/threads", self._thread),
            ("POST", "/channels/{channel}/messages/{message}/threads", self._thread),
            ("POST", "/channels/{channel}/messages", self._message),
            ("GET", "/guilds/{guild}/threads/active", self._active),
            ("POST", "/guilds/{guild}/scheduled-events", self._event),
            ("GET", "/guilds/{guild}/scheduled-events", self._events),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, "/api/v10" + path, handler)
        return app

    @web.middleware
    async def _log(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        response: web.StreamResponse = await handler(request)
        return response

    def _answer(self, made: dict[str, Any]) -> web.Response:
        if self.lose:
            # Made, and then the answer is lost (a gateway timing out after the write).
            return _json({"message": "Bad Gateway", "code": 0}, status=self.lose.pop(0))
        return _json(made, status=201)

    async def _me(self, request: web.Request) -> web.Response:
        return _json(user(BOT_ID))

    async def _thread(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = request.match_info.get("message")
        thread = {
            "id": message or self._id(),
            "guild_id": str(GUILD_ID),
            "parent_id": request.match_info["channel"],
            "owner_id": str(BOT_ID),
            "name": body["name"],
            "type": body.get("type", 11),
            "member_count": 1,
            "message_count": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 10080),
                "archive_timestamp": "2026-12-05T08:00:00+00:00",
                "locked": False,
                "invitable": body.get("invitable", True),
            },
        }
        self.threads.append(thread)
        return self._answer(thread)

    async def _message(self, request: web.Request) -> web.Response:
        body = await request.json()
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        if nonce in self._nonces:
            # Discord, within its nonce window: the first message is the answer.
            return _json(self._nonces[nonce])
        message = {
            "id": self._id(),
            "channel_id": request.match_info["channel"],
            "author": user(BOT_ID),
            "content": body.get("content", ""),
            "timestamp": "2026-12-05T08:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
        }
        self.messages.append(message)
        if nonce is not None:
            self._nonces[nonce] = message
        return self._answer(message)

    async def _active(self, request: web.Request) -> web.Response:
        return _json({"threads": self.threads, "members": []})

    async def _event(self, request: web.Request) -> web.Response:
        body = await request.json()
        event = {
            "id": self._id(),
            "guild_id": request.match_info["guild"],
            "channel_id": None,
            "creator_id": str(BOT_ID),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
        }
        self.events.append(event)
        return self._answer(event)

    async def _events(self, request: web.Request) -> web.Response:
        return _json(self.events)


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly Discord's content type: discord.py reads JSON only under that one.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def user(user_id: int) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": "pallets-bot",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": True,
    }


@pytest.fixture
async def discord_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{server.port}/api/v10")
    try:
        yield fake
    finally:
        await server.close()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """discord.py's waits between its repeats: recorded, not slept (no wall time)."""
    recorded: list[float] = []

    real = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        if delay <= 0:  # a yield to the loop, not a wait
            return await real(0, result)
        recorded.append(delay)
        return result

    fast = types.ModuleType("asyncio")
    fast.__dict__.update(asyncio.__dict__)
    fast.sleep = sleep  # type: ignore[attr-defined]
    monkeypatch.setattr(discord.http, "asyncio", fast)
    return recorded


@pytest.fixture
async def bot(tmp_path: Path, discord_server: FakeDiscord) -> AsyncIterator[PalletsBot]:
    """The bot as production makes it, logged in to the local server, with one
    guild and its channel known (no gateway)."""
    made = create_bot(testing.test_settings(tmp_path))
    await made.db.open()
    try:
        await made.db.migrate()
        data = await made.http.static_login("token")
        yield await _known(made, data)
    finally:
        await made.http.close()
        await made.db.close()


async def _known(made: PalletsBot, data: UserPayload) -> PalletsBot:
    state = made._connection
    state.user = discord.ClientUser(state=state, data=data)
    payload: Any = {
        "id": str(GUILD_ID),
        "name": "Pallets",
        "owner_id": "1",
        "roles": [],
        "emojis": [],
        "features": [],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "mentorship",
                "position": 0,
                "permission_overwrites": [],
            }
        ],
    }
    guild = discord.Guild(data=payload, state=state)
    state._add_guild(guild)
    return made


async def plain_client() -> HTTPClient:
    """discord.py's client as it comes, without the bot's trace."""
    http = HTTPClient(asyncio.get_running_loop())
    await http.static_login("token")
    return http


CREATES = [
    pytest.param(
        ("/channels/{channel_id}/threads", {"channel_id": CHANNEL_ID}),
        {"name": "alice and maya", "type": 12, "invitable": False},
        "/threads",
        id="thread",
    ),
    pytest.param(
        (
            "/channels/{channel_id}/messages/{message_id}/threads",
            {"channel_id": CHANNEL_ID, "message_id": MESSAGE_ID},
        ),
        {"name": "Flask chat"},
        f"/messages/{MESSAGE_ID}/threads",
        id="thread-on-message",
    ),
    pytest.param(
        ("/guilds/{guild_id}/scheduled-events", {"guild_id": GUILD_ID}),
        {
            "name": "Flask chat",
            "scheduled_start_time": "2027-01-01T18:00:00+00:00",
            "scheduled_end_time": "2027-01-01T19:00:00+00:00",
            "entity_type": 3,
            "entity_metadata": {"location": "online"},
            "privacy_level": 2,
        },
        "/scheduled-events",
        id="event",
    ),
]


def post(route: tuple[str, dict[str, Any]]) -> Route:
    """A create's route, made once ``Route.BASE`` points at the local server."""
    path, parameters = route
    return Route("POST", path, **parameters)


@pytest.mark.parametrize(("route", "body", "suffix"), CREATES)
async def test_plain_discord_py_makes_a_create_answered_5xx_twice(
    discord_server: FakeDiscord,
    waits: list[float],
    route: tuple[str, dict[str, Any]],
    body: dict[str, Any],
    suffix: str,
) -> None:
    """Why the bot needs its trace: without it, discord.py repeats the create."""
    discord_server.lose = [502]
    http = await plain_client()
    try:
        await http.request(post(route), json=body)
    finally:
        await http.close()
    assert discord_server.posts(suffix) == 2
    assert waits == [1]


@pytest.mark.parametrize(("route", "body", "suffix"), CREATES)
@pytest.mark.parametrize("status", [500, 502, 504, 524])
async def test_a_create_answered_5xx_is_not_repeated_and_is_indeterminate(
    discord_server: FakeDiscord,
    waits: list[float],
    bot: PalletsBot,
    route: tuple[str, dict[str, Any]],
    body: dict[str, Any],
    suffix: str,
    status: int,
) -> None:
    discord_server.lose = [status]
    with pytest.raises(CreateAnswerLost) as raised:
        await bot.http.request(post(route), json=body)
    assert discord_server.posts(suffix) == 1
    assert waits == []
    error = raised.value
    # Discord trouble to everything above: retried later, never an OSError that
    # discord.py's loop would catch and repeat.
    assert isinstance(error, discord.DiscordServerError)
    assert not isinstance(error, OSError)
    assert error.status == status
    assert is_transient(error)


async def test_other_requests_keep_discord_pys_retry(
    discord_server: FakeDiscord, waits: list[float], bot: PalletsBot
) -> None:
    """A message carries its nonce, so discord.py's quick repeat stays harmless."""
    discord_server.lose = [502]
    data = await bot.http.request(
        Route("POST", "/channels/{channel_id}/messages", channel_id=CHANNEL_ID),
        json={"content": "hello", "nonce": "n1", "enforce_nonce": True},
    )
    assert data["content"] == "hello"
    assert discord_server.posts("/messages") == 2
    assert len(discord_server.messages) == 1
    assert waits == [1]


async def test_a_log_notice_answered_502_is_posted_once(
    discord_server: FakeDiscord, waits: list[float], bot: PalletsBot
) -> None:
    """A message sent by one call, not through the outbox (a notice, the start-here
    message): discord.py gives every message a random nonce with
    ``enforce_nonce``, so its own quick repeat is answered with the first."""
    await bot.guild_config.update(GUILD_ID, log_channel_id=CHANNEL_ID)
    discord_server.lose = [502]
    assert await bot.notices.post(GUILD_ID, "the grants channel is gone")
    assert discord_server.posts("/messages") == 2
    assert [m["content"] for m in discord_server.messages] == [
        "the grants channel is gone"
    ]


def test_the_creates_are_recognised_under_any_base() -> None:
    for path in (
        "/api/v10/channels/1/threads",
        "/api/v10/channels/1/messages/2/threads",
        "/api/v10/guilds/1/scheduled-events",
        "/api/v9/guilds/1/scheduled-events",
    ):
        assert is_create("POST", path), path
    for method, path in (
        ("GET", "/api/v10/guilds/1/scheduled-events"),
        ("PATCH", "/api/v10/guilds/1/scheduled-events/3"),
        ("POST", "/api/v10/channels/1/messages"),
        ("POST", "/api/v10/channels/1/threads/archived/private"),
        ("PUT", "/api/v10/channels/1/thread-members/2"),
    ):
        assert not is_create(method, path), (method, path)


# -- through the outbox -----------------------------------------------------------------
async def test_a_thread_discord_made_but_answered_502_is_made_once(
    discord_server: FakeDiscord, waits: list[float], bot: PalletsBot
) -> None:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    discord_server.lose = [502]
    with pytest.raises(CreateAnswerLost):
        await bot.outbox.create_thread(
            "test:thread:1", channel, name="alice and maya", private=True
        )
    status = await bot.outbox.status("test:thread:1")
    assert status is not None and not status.sent and status.failed is None
    # The retry (a job's, or a member's claim looking at once) looks first.
    again = await bot.outbox.create_thread(
        "test:thread:1", channel, name="alice and maya", private=True
    )
    assert discord_server.posts("/threads") == 1
    assert [t["name"] for t in discord_server.threads] == ["alice and maya"]
    assert again.adopted and again.message_id == int(discord_server.threads[0]["id"])
    assert waits == []


async def test_an_event_discord_made_but_answered_502_is_made_once(
    discord_server: FakeDiscord, waits: list[float], bot: PalletsBot
) -> None:
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None
    fields: dict[str, Any] = {
        "name": "Flask chat",
        "start_time": datetime(2027, 1, 1, 18, tzinfo=UTC),
        "end_time": datetime(2027, 1, 1, 19, tzinfo=UTC),
        "entity_type": discord.EntityType.external,
        "location": "online",
        "privacy_level": discord.PrivacyLevel.guild_only,
    }
    discord_server.lose = [502]
    with pytest.raises(CreateAnswerLost):
        await bot.outbox.create_event("test:event:1", guild, **fields)
    found = await bot.outbox.reconcile("test:event:1")
    assert discord_server.posts("/scheduled-events") == 1
    assert len(discord_server.events) == 1
    assert found is not None and found.adopted
    assert found.message_id == int(discord_server.events[0]["id"])
    # Recorded: a later call with the key makes nothing.
    later = await bot.outbox.create_event("test:event:1", guild, **fields)
    assert later.message_id == found.message_id
    assert discord_server.posts("/scheduled-events") == 1
    assert waits == []


async def test_the_bots_client_carries_the_trace(tmp_path: Path) -> None:
    made = create_bot(testing.test_settings(tmp_path))
    trace = made.http.http_trace
    assert isinstance(trace, aiohttp.TraceConfig)
    assert trace.on_request_end
