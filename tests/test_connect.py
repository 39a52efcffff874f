"""``pallets-bot run`` where Discord can't be reached: one clear line, its own exit code.

Each path is driven offline: the bot's Discord base URL points at a closed local
port, at a local server that answers 401 or 503, or at a name that does not resolve
(the resolver is made to fail); the gateway's refusal is a patched start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import click
import discord
import pytest
from aiohttp import web

from bot import cli
from bot import connect
from bot.app import create_bot
from bot.app import PalletsBot
from bot.devtools import testing
from bot.paths import ROOT

TRIES = 3

#: Runs ``pallets-bot run`` against the base URL given, with short pauses.
CHILD = f"""
import socket, sys
import discord.http
import bot.connect
discord.http.Route.BASE = sys.argv[1]
bot.connect.RETRY_DELAYS = (0.01,) * {TRIES - 1}
if sys.argv[2] == "no-dns":
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    socket.getaddrinfo = no_dns
from bot.cli import main
main(["run"])
"""


async def _run_bot(tmp_path: Path, base: str, mode: str = "") -> tuple[int, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PALLETS_BOT_TOKEN": "not-a-real-token",
        "PALLETS_BOT_DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "PALLETS_BOT_LOG_FORMAT": "text",
    }
    env.pop("DISCORD_TOKEN", None)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        base,
        mode,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode is not None
    return child.returncode, out.decode() + err.decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def discord_answering() -> AsyncIterator[tuple[str, list[int]]]:
    """A local "Discord" whose ``/users/@me`` answers with the status in the list."""
    status = [200]

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"message": "nope", "code": 0}, status=status[0])

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api/v10", status
    finally:
        await runner.cleanup()


def _assert_one_clear_line(output: str, error: str, *, retries: int) -> None:
    lines = output.strip().splitlines()
    assert lines[-1] == f"Error: {error}", output
    assert len(lines) == retries + 1, output  # one line per failed try, then why
    assert "Traceback" not in output
    assert "voice" not in output


async def test_no_network_is_retried_then_exits_21(tmp_path: Path) -> None:
    code, output = await _run_bot(
        tmp_path, f"http://127.0.0.1:{_closed_port()}/api/v10"
    )
    assert code == 21, output
    _assert_one_clear_line(
        output,
        "cannot reach Discord: no connection to 127.0.0.1: Connection refused (no "
        f"network, or a firewall); gave up after {TRIES} tries over 0 seconds",
        retries=TRIES - 1,
    )
    assert f"try 1 of {TRIES} failed, next in" in output


async def test_dns_failure_is_retried_then_exits_21(tmp_path: Path) -> None:
    code, output = await _run_bot(tmp_path, "http://discord.test/api/v10", "no-dns")
    assert code == 21, output
    _assert_one_clear_line(
        output,
        "cannot reach Discord: the name discord.test does not resolve (no network, or "
        f"DNS is down); gave up after {TRIES} tries over 0 seconds",
        retries=TRIES - 1,
    )


async def test_a_refused_token_exits_20_at_once(
    tmp_path: Path, discord_answering: tuple[str, list[int]]
) -> None:
    base, status = discord_answering
    status[0] = 401
    code, output = await _run_bot(tmp_path, base)
    assert code == 20, output
    _assert_one_clear_line(
        output,
        "Discord refused the token (401 Unauthorized): PALLETS_BOT_TOKEN is wrong or "
        f"was reset; copy the bot's token again at {connect.PORTAL} (Bot, Reset Token)",
        retries=0,
    )


async def test_a_discord_outage_is_retried_then_exits_22(
    tmp_path: Path, discord_answering: tuple[str, list[int]]
) -> None:
    base, status = discord_answering
    status[0] = 503
    code, output = await _run_bot(tmp_path, base)
    assert code == 22, output
    _assert_one_clear_line(
        output,
        "Discord is having trouble (503 Service Unavailable); see "
        f"https://discordstatus.com; gave up after {TRIES} tries over 0 seconds",
        retries=TRIES - 1,
    )


async def test_a_network_that_comes_up_during_the_retries_is_used() -> None:
    tries: list[str] = []

    async def flaky(token: str) -> None:
        tries.append(token)
        if len(tries) < 3:
            raise connect.NoNetwork("cannot reach Discord: DNS")

    async def no_wait(seconds: float) -> None:
        pass

    await connect.wait_for_discord("t", delays=(1, 2, 4), check=flaky, sleep=no_wait)
    assert tries == ["t", "t", "t"]


@pytest.mark.parametrize(
    ("failure", "code", "words"),
    [
        (discord.PrivilegedIntentsRequired(None), 23, "Message Content intent"),
        (discord.LoginFailure("Improper token has been passed."), 20, "refused"),
    ],
)
async def test_failures_during_login_or_the_gateway_get_their_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    code: int,
    words: str,
) -> None:
    """After the first answer, discord.py's login or gateway can still refuse."""

    async def answered(token: str, **kwargs: object) -> None:
        pass

    async def start(self: PalletsBot, token: str, *, reconnect: bool = True) -> None:
        raise failure

    monkeypatch.setattr(connect, "wait_for_discord", answered)
    monkeypatch.setattr(PalletsBot, "start", start)
    settings = testing.test_settings(tmp_path)
    with pytest.raises(click.ClickException) as raised:
        await cli._run(settings, "not-a-real-token")
    assert raised.value.exit_code == code
    assert words in raised.value.message


def test_no_voice_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a machine without PyNaCl and davey, before any bot was made.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING):
        create_bot(testing.test_settings(tmp_path))
    assert not [r for r in caplog.records if "voice" in r.getMessage()]


def test_the_help_lists_the_exit_codes() -> None:
    text = cli._EXIT_CODES
    for code in ("20", "21", "22", "23"):
        assert f"  {code}  " in text or f" {code}  " in text
