from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from bot import Settings
from bot.devtools.testing import test_settings
from cogs.extwatch._client import ApiClient
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


@pytest.fixture(autouse=True)
async def _close_clients(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Close every API client a test made.

    simcord detaches a bot without unloading its cogs (production's ``close()``
    unloads them, and ``cog_unload`` closes the client), so the sessions are
    closed here rather than left to the garbage collector's warnings.
    """
    made: list[ApiClient] = []
    original = ApiClient.__init__

    def record(self: ApiClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(ApiClient, "__init__", record)
    yield
    for client in made:
        await client.close()
