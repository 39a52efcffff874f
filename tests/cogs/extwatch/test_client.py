"""The PyPI/OSV client against the fake server on loopback: retries, limits, ETags.

GitHub's own client has its tests in tests/test_github.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import Fault
from bot.http_cache import Entry
from bot.http_cache import HttpCache
from cogs.extwatch._client import ApiClient
from cogs.extwatch._client import FailureKind
from cogs.extwatch._client import FetchError
from cogs.extwatch._client import MemoryEtags


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(fake: FakeApis, sleeps: Sleeps) -> AsyncIterator[ApiClient]:
    api = ApiClient(
        MemoryEtags(),
        timeout=0.5,
        attempts=3,
        backoff=1.0,
        sleep=sleeps,
    )
    try:
        yield api
    finally:
        await api.close()


async def test_server_errors_are_retried_with_exponential_backoff(
    fake: FakeApis, client: ApiClient, sleeps: Sleeps
) -> None:
    fake.fail("/pypi/flask-login/json", Fault.SERVER_ERROR, times=2)
    answer = await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert answer.data["info"]["version"] == "0.6.3"
    assert len(sleeps.delays) == 2
    assert 1.0 <= sleeps.delays[0] < 1.2 and 2.0 <= sleeps.delays[1] < 2.4


async def test_persistent_server_error_gives_up_after_the_attempts(
    fake: FakeApis, client: ApiClient
) -> None:
    fake.fail("/pypi/flask-login/json", Fault.SERVER_ERROR, times=None)
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert caught.value.kind is FailureKind.SERVER
    assert len(fake.paths("/pypi/flask-login")) == 3


async def test_timeout_is_retried_then_reported(
    fake: FakeApis, client: ApiClient
) -> None:
    fake.fail("/pypi/flask-login/json", Fault.TIMEOUT, times=1)
    answer = await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert answer.data["info"]["name"] == "Flask-Login"
    fake.fail("/pypi/flask-login/json", Fault.TIMEOUT, times=None)
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert caught.value.kind is FailureKind.TIMEOUT


async def test_429_waits_for_retry_after(
    fake: FakeApis, client: ApiClient, sleeps: Sleeps
) -> None:
    fake.retry_after = 7
    fake.fail("/v1/query", Fault.TOO_MANY, times=1)
    answer = await client.post_json(
        f"{fake.url}/v1/query",
        {"package": {"name": "flask-cors", "ecosystem": "PyPI"}, "version": "4.0.0"},
    )
    assert answer.data["vulns"][0]["aliases"] == ["CVE-2024-1681"]
    assert sleeps.delays == [7.0]


async def test_429_with_a_long_retry_after_gives_up_at_once(
    fake: FakeApis, client: ApiClient, sleeps: Sleeps
) -> None:
    fake.retry_after = 3600
    fake.fail("/pypi/flask-login/json", Fault.TOO_MANY, times=None)
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert caught.value.kind is FailureKind.RATE_LIMITED
    assert caught.value.retry_at is not None
    assert sleeps.delays == []


async def test_a_long_retry_after_stops_further_requests_to_that_host(
    fake: FakeApis, client: ApiClient
) -> None:
    fake.retry_after = 3600
    fake.fail("/pypi/flask-login/json", Fault.TOO_MANY, times=1)
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert caught.value.kind is FailureKind.RATE_LIMITED
    sent = len(fake.requests)
    with pytest.raises(FetchError) as again:
        await client.get_json(f"{fake.url}/pypi/flask-sqlalchemy/json")
    assert again.value.kind is FailureKind.RATE_LIMITED
    assert len(fake.requests) == sent  # not even asked


async def test_malformed_json_is_reported_not_retried(
    fake: FakeApis, client: ApiClient
) -> None:
    fake.fail("/pypi/flask-login/json", Fault.MALFORMED, times=1)
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/flask-login/json")
    assert caught.value.kind is FailureKind.MALFORMED
    assert len(fake.paths("/pypi/flask-login")) == 1


async def test_not_found_is_not_retried(fake: FakeApis, client: ApiClient) -> None:
    with pytest.raises(FetchError) as caught:
        await client.get_json(f"{fake.url}/pypi/no-such-thing/json")
    assert caught.value.kind is FailureKind.NOT_FOUND
    assert len(fake.requests) == 1


async def test_etag_makes_the_second_request_conditional(
    fake: FakeApis, client: ApiClient
) -> None:
    url = f"{fake.url}/pypi/flask-login/json"
    first = await client.get_json(url)
    second = await client.get_json(url)
    assert not first.cached and second.cached
    assert second.data == first.data and second.link == first.link
    assert "If-None-Match" not in fake.requests[0].headers
    assert fake.requests[1].headers["If-None-Match"]
    assert [seen.status for seen in fake.requests] == [200, 304]


async def test_http_cache_round_trips(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    await db.open()
    try:
        await db.migrate()
        store = HttpCache(db)
        assert await store.load("http://x/a") is None
        await store.save("http://x/a", Entry('"1"', None, "{}", None))
        await store.save("http://x/a", Entry('"2"', "Mon", "[1]", "<l>"))
        assert await store.load("http://x/a") == Entry('"2"', "Mon", "[1]", "<l>")
    finally:
        await db.close()
