from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from bot import Settings
from bot.devtools.fake_upstream import ecosystem
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.testing import test_settings
from bot.github import GitHub
from cogs.extwatch._client import ApiClient

#: simcord's clock starts here; the fake ecosystem's dates are relative to it.
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    server = FakeApis(slow_seconds=1.0)
    await server.start()
    ecosystem(START).install(server)
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
    made: list[ApiClient | GitHub] = []
    for cls in (ApiClient, GitHub):
        monkeypatch.setattr(cls, "__init__", _recording(cls.__init__, made))
    yield
    for client in made:
        await client.close()


def _recording(original: Any, made: list[Any]) -> Any:
    def record(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    return record
