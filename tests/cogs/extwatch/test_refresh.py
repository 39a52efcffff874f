"""Fetching into the cache on a real event loop (no simcord), timeouts included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from bot import Settings
from bot.db import Database
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import Fault
from bot.github import GitHub
from bot.http_cache import HttpCache
from cogs.extwatch import _queries as q
from cogs.extwatch._client import ApiClient
from cogs.extwatch._fetch import refresh_package
from tests.cogs.extwatch.conftest import START


async def no_wait(delay: float) -> None:
    return None


@pytest.fixture
async def client(db: Database) -> AsyncIterator[ApiClient]:
    api = ApiClient(HttpCache(db), timeout=0.3, sleep=no_wait)
    try:
        yield api
    finally:
        await api.close()


@pytest.fixture
async def hub(fake: FakeApis, db: Database) -> AsyncIterator[GitHub]:
    client = GitHub(HttpCache(db), base_url=fake.url, timeout=0.3, sleep=no_wait)
    try:
        yield client
    finally:
        await client.close()


async def test_timeout_keeps_the_last_good_data_marked_stale(
    db: Database,
    client: ApiClient,
    hub: GitHub,
    fake: FakeApis,
    settings: Settings,
) -> None:
    repo = "maxcountryman/flask-login"
    assert await refresh_package(db, client, hub, settings, "flask-login", repo) == {}
    fake.fail(f"/repos/{repo}", Fault.TIMEOUT, times=None)

    failures = await refresh_package(db, client, hub, settings, "flask-login", repo)

    assert failures == {"github": "timeout"}
    cached = await q.cached(db, "flask-login", repo)
    github = cached.snapshots["github"]
    assert github.stale and github.error == "timeout"
    assert github.data is not None and github.data["open_prs"] == 15
    assert not cached.snapshots["pypi"].stale
    evidence = cached.evidence()
    assert evidence.github is not None and evidence.github.open_issues == 60


async def test_unchanged_answers_come_back_as_304(
    db: Database,
    client: ApiClient,
    hub: GitHub,
    fake: FakeApis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both refreshes in the same second of the bot's clock, however busy the machine.
    monkeypatch.setattr(discord.utils, "utcnow", lambda: START)
    repo = "pallets-eco/flask-sqlalchemy"
    await refresh_package(db, client, hub, settings, "flask-sqlalchemy", repo)
    await refresh_package(db, client, hub, settings, "flask-sqlalchemy", repo)
    gets = [s for s in fake.requests if s.method == "GET"]
    assert [s.status for s in gets] == [200, 200, 200, 304, 304, 304]
    cached = await q.cached(db, "flask-sqlalchemy", repo)
    assert [n for _ts, n in cached.backlog] == [16]  # same second: one sample


async def test_package_missing_on_pypi_is_recorded_not_stale(
    db: Database, client: ApiClient, hub: GitHub, settings: Settings
) -> None:
    assert await refresh_package(db, client, hub, settings, "flask-gone", None) == {}
    cached = await q.cached(db, "flask-gone", None)
    assert cached.evidence().missing_on_pypi
    assert not cached.stale
