"""The bot's GitHub client against the fake upstream on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import Settings
from bot.app import PalletsBot
from bot.db import Database
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeCommit
from bot.devtools.fake_upstream import FakeIssue
from bot.devtools.fake_upstream import FakeRelease
from bot.devtools.fake_upstream import FakeRepo
from bot.devtools.fake_upstream import Fault
from bot.devtools.fake_upstream import org_repos
from bot.devtools.testing import OFFLINE_URL
from bot.devtools.testing import test_settings as make_settings
from bot.github import GitHub
from bot.github import GitHubError
from bot.github import Kind
from bot.github import label_query
from bot.http_cache import Entry
from bot.http_cache import HttpCache

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Clock:
    def __init__(self) -> None:
        self.now = NOW_TS

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    server = FakeApis(slow_seconds=1.0)
    await server.start()
    flask = server.add_repo(
        FakeRepo("pallets/flask", pushed=ago(1), open_issues=5, open_prs=2)
    )
    flask.add_issue(
        FakeIssue(
            5000,
            "Document the app context",
            "alice",
            labels=["docs", "good first issue"],
            assignees=["bob"],
            created=ago(30),
            updated=ago(2),
            referenced_by=[("pallets/flask", 5001), ("pallets/flask", 5001)],
        )
    )
    flask.add_issue(
        FakeIssue(
            5001,
            "Docs: the app context",
            "bob",
            state="closed",
            is_pull=True,
            merged=True,
            created=ago(5),
            closed=ago(1),
        )
    )
    flask.add_issue(
        FakeIssue(5002, "Crash on startup", "carol", labels=["bug"], updated=ago(1))
    )
    flask.releases = [
        FakeRelease("3.1.0", ago(100), "davidism"),
        FakeRelease("3.1.1", ago(10), "davidism"),
    ]
    flask.commits = [
        FakeCommit("davidism", ago(3), "Fix"),
        FakeCommit(None, ago(20), "Typo", author_name="Anonymous"),
        FakeCommit("davidism", ago(400), "Old"),
    ]
    wtf = server.add_repo(FakeRepo("pallets-eco/flask-wtf", pushed=ago(3)))
    wtf.add_issue(
        FakeIssue(
            123,
            "Translate the docs",
            "dora",
            labels=["help wanted"],
            updated=ago(3),
        )
    )
    server.add_repo(FakeRepo("pallets-eco/secret", private=True))
    for repo in org_repos("pallets-eco", [f"flask-ext{n:03}" for n in range(230)], NOW):
        server.add_repo(repo)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def github(
    fake: FakeApis, db: Database, sleeps: Sleeps, clock: Clock
) -> AsyncIterator[GitHub]:
    client = GitHub(
        HttpCache(db), base_url=fake.url, timeout=0.5, sleep=sleeps, now=clock
    )
    try:
        yield client
    finally:
        await client.close()


def github_requests(fake: FakeApis) -> list[Any]:
    return [seen for seen in fake.requests if not seen.path.startswith("/pypi/")]


# -- the typed surface ----------------------------------------------------------------------
async def test_issue_and_pull_request_by_number(github: GitHub) -> None:
    issue = await github.issue("pallets/flask", 5000)
    assert issue.ref == "pallets/flask#5000"
    assert (issue.title, issue.state, issue.author) == (
        "Document the app context",
        "open",
        "alice",
    )
    assert issue.labels == ("docs", "good first issue")
    assert issue.assignees == ("bob",)
    assert not issue.is_pull and not issue.merged
    assert issue.html_url == "https://github.com/pallets/flask/issues/5000"

    pull = await github.issue("pallets/flask", 5001)
    assert pull.is_pull and pull.merged and pull.state == "closed"
    assert pull.html_url == "https://github.com/pallets/flask/pull/5001"


async def test_linked_pull_requests_come_from_the_timeline(github: GitHub) -> None:
    pulls = await github.linked_pulls("pallets/flask", 5000)
    assert [(p.ref, p.merged, p.author) for p in pulls] == [
        ("pallets/flask#5001", True, "bob")
    ]
    assert await github.linked_pulls("pallets/flask", 5002) == []


async def test_issues_by_label_across_organisations_in_one_request(
    github: GitHub, fake: FakeApis
) -> None:
    found = await github.issues_with_labels(
        ["pallets", "pallets-eco"], ["good first issue", "help wanted"]
    )
    assert [i.ref for i in found] == [
        "pallets/flask#5000",  # updated 2 days ago
        "pallets-eco/flask-wtf#123",  # 3 days ago
    ]
    assert fake.paths() == ["/search/issues"]
    assert label_query(["pallets"], ["docs"], state="open") == (
        'org:pallets is:issue is:open label:"docs"'
    )


async def test_an_organisations_repositories_follow_every_page(
    github: GitHub, fake: FakeApis
) -> None:
    repos = await github.org_repositories("pallets-eco")
    names = [r.full_name for r in repos]
    assert len(names) == 231  # 230 listed and flask-wtf; not the private one
    assert "pallets-eco/flask-wtf" in names
    assert "pallets-eco/secret" not in names
    assert fake.paths() == ["/orgs/pallets-eco/repos"] * 3  # 100 a page


async def test_releases_newest_first_and_commits_since_with_authors(
    github: GitHub,
) -> None:
    releases = await github.releases("pallets/flask")
    assert [(r.tag, r.author) for r in releases] == [
        ("3.1.1", "davidism"),
        ("3.1.0", "davidism"),
    ]
    commits = await github.commits("pallets/flask", NOW_TS - 365 * 86400)
    assert [(c.author_login, c.author_name) for c in commits] == [
        ("davidism", "davidism"),
        (None, "Anonymous"),
    ]
    assert commits[0].authored_at == int(ago(3).timestamp())


async def test_repository_and_open_pull_count(github: GitHub) -> None:
    repo = await github.repository("pallets/flask")
    assert (repo.full_name, repo.archived, repo.open_issues_count) == (
        "pallets/flask",
        False,
        9,  # 5 + 2 counted, and the two open issues
    )
    assert await github.open_pull_count("pallets/flask") == 2


# -- conditional requests -------------------------------------------------------------------
async def test_an_unchanged_answer_is_reused_after_a_restart(
    fake: FakeApis, tmp_path: Path, sleeps: Sleeps
) -> None:
    path = tmp_path / "restart.sqlite3"
    for _run in range(2):
        database = Database(path)
        await database.open()
        await database.migrate()
        client = GitHub(HttpCache(database), base_url=fake.url, sleep=sleeps)
        try:
            releases = await client.releases("pallets/flask")
            issue = await client.issue("pallets/flask", 5000)
        finally:
            await client.close()
            await database.close()
        assert [r.tag for r in releases] == ["3.1.1", "3.1.0"]
        assert issue.title == "Document the app context"
    assert [s.status for s in fake.requests] == [200, 200, 304, 304]
    assert "If-None-Match" not in fake.requests[0].headers
    assert fake.requests[2].headers["If-None-Match"]


async def test_if_modified_since_alone_is_enough(
    github: GitHub, fake: FakeApis, db: Database
) -> None:
    await github.repository("pallets/flask")
    url = f"{fake.url}/repos/pallets/flask"
    kept = await HttpCache(db).load(url)
    assert kept is not None and kept.etag and kept.last_modified
    await HttpCache(db).save(url, Entry(None, kept.last_modified, kept.body, None))

    again = await github.repository("pallets/flask")

    assert again.full_name == "pallets/flask"
    assert "If-None-Match" not in fake.requests[1].headers
    assert fake.requests[1].status == 304


async def test_a_token_is_sent_and_its_304s_cost_nothing(
    fake: FakeApis, db: Database, sleeps: Sleeps
) -> None:
    fake.budget["core"] = 10
    client = GitHub(HttpCache(db), base_url=fake.url, token="t0ken", sleep=sleeps)
    try:
        await client.repository("pallets/flask")
        await client.repository("pallets/flask")
    finally:
        await client.close()
    assert fake.requests[0].headers["Authorization"] == "token t0ken"
    assert [s.status for s in fake.requests] == [200, 304]
    assert fake.budget["core"] == 9


async def test_no_token_no_authorization_header(github: GitHub, fake: FakeApis) -> None:
    await github.repository("pallets/flask")
    assert "Authorization" not in fake.requests[0].headers


# -- rate limits ----------------------------------------------------------------------------
async def test_a_spent_rate_limit_fails_fast_until_it_resets(
    github: GitHub, fake: FakeApis, clock: Clock
) -> None:
    fake.budget["core"] = 2
    fake.reset_at = NOW_TS + 1800
    await github.issue("pallets/flask", 5000)
    await github.issue("pallets/flask", 5002)  # the last one: Remaining: 0

    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")

    assert caught.value.kind is Kind.RATE_LIMITED
    assert caught.value.retry_at == NOW_TS + 1800
    assert len(fake.requests) == 2  # not even asked
    # The search API has its own budget, still there.
    assert await github.search_issues("org:pallets label:bug")
    clock.now = NOW_TS + 1801
    fake.budget["core"] = 60
    assert (await github.repository("pallets/flask")).full_name == "pallets/flask"


async def test_a_rate_limit_answer_blocks_with_its_reset_time(
    github: GitHub, fake: FakeApis
) -> None:
    fake.reset_at = NOW_TS + 600
    fake.fail("/repos/pallets/flask", Fault.RATE_LIMIT, times=1)
    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")
    assert caught.value.kind is Kind.RATE_LIMITED
    assert caught.value.retry_at == NOW_TS + 600
    sent = len(fake.requests)
    with pytest.raises(GitHubError) as again:
        await github.issue("pallets/flask", 5000)
    assert again.value.kind is Kind.RATE_LIMITED
    assert len(fake.requests) == sent


async def test_429_with_retry_after_is_rate_limited_not_retried(
    github: GitHub, fake: FakeApis, sleeps: Sleeps
) -> None:
    fake.retry_after = 120
    fake.fail("/repos/pallets/flask", Fault.TOO_MANY, times=None)
    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")
    assert caught.value.kind is Kind.RATE_LIMITED
    assert caught.value.retry_at == NOW_TS + 120
    assert sleeps.delays == []


# -- trouble --------------------------------------------------------------------------------
async def test_server_errors_are_retried_with_backoff(
    github: GitHub, fake: FakeApis, sleeps: Sleeps
) -> None:
    fake.fail("/repos/pallets/flask/issues/5000", Fault.SERVER_ERROR, times=2)
    issue = await github.issue("pallets/flask", 5000)
    assert issue.number == 5000
    assert len(sleeps.delays) == 2
    assert 1.0 <= sleeps.delays[0] < 1.2 and 2.0 <= sleeps.delays[1] < 2.4


async def test_a_lasting_outage_is_unavailable_after_the_attempts(
    github: GitHub, fake: FakeApis
) -> None:
    fake.fail("/repos/pallets/flask", Fault.SERVER_ERROR, times=None)
    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")
    assert (caught.value.kind, caught.value.cause) == (Kind.UNAVAILABLE, "server")
    assert len(fake.paths("/repos/pallets/flask")) == 3


async def test_timeouts_are_retried_then_unavailable(
    github: GitHub, fake: FakeApis
) -> None:
    fake.fail("/repos/pallets/flask", Fault.TIMEOUT, times=1)
    assert (await github.repository("pallets/flask")).full_name == "pallets/flask"
    fake.fail("/repos/pallets/flask", Fault.TIMEOUT, times=None)
    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")
    assert (caught.value.kind, caught.value.cause) == (Kind.UNAVAILABLE, "timeout")


async def test_unreachable_github_is_unavailable(sleeps: Sleeps) -> None:
    client = GitHub(None, base_url=OFFLINE_URL, sleep=sleeps, attempts=2)
    try:
        with pytest.raises(GitHubError) as caught:
            await client.issue("pallets/flask", 1)
    finally:
        await client.close()
    assert (caught.value.kind, caught.value.cause) == (Kind.UNAVAILABLE, "network")
    assert len(sleeps.delays) == 1


async def test_garbage_is_unavailable_not_a_crash(
    github: GitHub, fake: FakeApis
) -> None:
    fake.fail("/repos/pallets/flask", Fault.MALFORMED, times=1)
    with pytest.raises(GitHubError) as caught:
        await github.repository("pallets/flask")
    assert (caught.value.kind, caught.value.cause) == (Kind.UNAVAILABLE, "malformed")


async def test_missing_things_are_not_found(github: GitHub) -> None:
    for ask in (
        github.issue("pallets/flask", 999),
        github.repository("pallets/nothing"),
        github.org_repositories("no-such-org"),
    ):
        with pytest.raises(GitHubError) as caught:
            await ask
        assert caught.value.kind is Kind.NOT_FOUND


async def test_a_private_repository_is_private_to_a_token_and_missing_without(
    github: GitHub, fake: FakeApis, db: Database
) -> None:
    with pytest.raises(GitHubError) as hidden:
        await github.repository("pallets-eco/secret")
    assert hidden.value.kind is Kind.NOT_FOUND
    client = GitHub(HttpCache(db), base_url=fake.url, token="t0ken")
    try:
        with pytest.raises(GitHubError) as refused:
            await client.repository("pallets-eco/secret")
    finally:
        await client.close()
    assert refused.value.kind is Kind.PRIVATE


# -- one per bot ----------------------------------------------------------------------------
@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, github_token="t0ken")


async def test_the_bot_has_one_client_closed_when_it_stops(
    simcord_env: simcord.Env, fake: FakeApis
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert bot.github.base_url == fake.url
    issue = await bot.github.issue("pallets/flask", 5000)
    assert issue.number == 5000
    assert fake.requests[0].headers["Authorization"] == "token t0ken"
    await bot.stop_services()
    assert bot.github._session is None
