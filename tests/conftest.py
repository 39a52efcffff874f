from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
from collections.abc import AsyncIterator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING

import click
import hypothesis
import pytest
import simcord

from bot import create_bot
from bot import PalletsBot
from bot import Settings
from bot.db import Database
from bot.devtools.testing import _member_locales
from bot.devtools.testing import build_world
from bot.devtools.testing import test_settings
from bot.devtools.testing import World
from bot.errors import is_expected

if TYPE_CHECKING:
    from bot.devtools.playground import Tour

# Property tests judge behaviour, not speed: hypothesis's 200 ms deadline fails
# them on a loaded machine (speed is bench/'s job). Tests may still set their own.
hypothesis.settings.register_profile("pallets", deadline=None)
hypothesis.settings.load_profile("pallets")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in the test's folder, closed after it."""
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return test_settings(tmp_path)


@pytest.fixture
def simcord_bot(settings: Settings) -> PalletsBot:
    return create_bot(settings)


@pytest.fixture
async def simcord_env(
    simcord_bot: PalletsBot, request: pytest.FixtureRequest
) -> AsyncIterator[simcord.Env]:
    """simcord's environment, closing the bot's database and scheduler afterwards.

    simcord detaches a bot without calling ``close()``; the bot owns a database
    file and a process lock, so they are released here.
    """
    marker = request.node.get_closest_marker("simcord")
    options = marker.kwargs if marker else {}
    env = simcord.Env(simcord_bot, **options)
    await env.start()
    try:
        yield env
    finally:
        bot = env.bot
        await env.shutdown()
        if isinstance(bot, PalletsBot):
            await bot.stop_services()
        if env.check_errors:
            # Refusals (UserError, failed checks) are designed behaviour that the
            # tests assert on; anything else the bot swallowed fails the test.
            captured = env.errors_since(env._errors_acknowledged)
            unexpected = [error for error in captured if not is_expected(error)]
            if unexpected:
                raise BaseExceptionGroup("the bot raised unexpected errors", unexpected)


@pytest.fixture
async def world(simcord_env: simcord.Env) -> World:
    return await build_world(simcord_env)


@pytest.fixture(autouse=True)
def _reset_locales() -> Iterator[None]:
    yield
    _member_locales.clear()


@pytest.fixture(autouse=True, scope="session")
def _no_database_left_open() -> Iterator[None]:
    """Fail the run when a test leaves a database connection open.

    aiosqlite's worker threads are not daemons: one left behind keeps the test
    process alive after the last test, which would hang CI rather than fail it.
    """
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        workers = [t for t in threading.enumerate() if "_connection_worker" in t.name]
        if not workers:
            return
        time.sleep(0.05)
    pytest.fail(f"{len(workers)} database connection(s) left open by the tests")


@dataclass
class TourRun:
    """What the playground's guided tour printed and did (run once per test session)."""

    lines: list[str]
    stderr: str
    #: Every REST call the bot made during the tour.
    requests: list[simcord.HttpLogEntry]
    #: simcord's channels at the end (type, owner, parent), by id.
    channels: dict[int, Any]
    bot_id: int

    @property
    def text(self) -> str:
        """The tour's output as a terminal shows it, without the colours."""
        return click.unstyle("\n".join(self.lines))


@pytest.fixture(scope="session")
def tour_run() -> TourRun:
    from bot.devtools.playground import run_playground

    lines: list[str] = []
    seen: dict[str, Any] = {}

    def keep(tour: Tour) -> None:
        seen["requests"] = list(tour.env.http_requests)
        seen["channels"] = dict(tour.env.backend.channels)
        seen["bot_id"] = tour.bot.user.id if tour.bot.user else 0

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        asyncio.run(
            run_playground(
                interactive=False, database=None, echo=lines.append, inspect=keep
            )
        )
    return TourRun(
        lines, stderr.getvalue(), seen["requests"], seen["channels"], seen["bot_id"]
    )
