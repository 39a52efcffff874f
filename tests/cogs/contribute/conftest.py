"""The fake GitHub the contributing job's end-to-end tests talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import UTC

import pytest

from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import pallets_world

#: simcord's clock starts here.
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    server = FakeApis(slow_seconds=1.0)
    await server.start()
    pallets_world(server, START)
    try:
        yield server
    finally:
        await server.stop()
