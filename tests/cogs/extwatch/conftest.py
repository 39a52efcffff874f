from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import UTC
from pathlib import Path

import pytest

from bot import Settings
from bot.testing import test_settings
from cogs.extwatch._fake import ecosystem
from cogs.extwatch._fake import FakeApis

#: simcord's clock starts here; the fake ecosystem's dates are relative to it.
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    server = FakeApis(slow_seconds=1.0)
    await server.start()
    for package in ecosystem(START):
        server.add(package)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return test_settings(
        tmp_path,
        pypi_base_url=fake.url,
        github_api_url=fake.url,
        osv_api_url=fake.url,
    )
