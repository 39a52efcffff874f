"""The fake GitHub the contributing job's end-to-end tests talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest

from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeIssue
from bot.devtools.fake_upstream import FakePackage
from bot.devtools.fake_upstream import FakeRelease
from bot.devtools.fake_upstream import FakeRepo

#: simcord's clock starts here.
START = datetime(2026, 1, 1, tzinfo=UTC)


def ago(days: float) -> datetime:
    return START - timedelta(days=days)


def pallets(fake: FakeApis) -> FakeApis:
    """A small Pallets world: newcomer issues, a closed one, a pull request, a
    private repository, a repository outside the organisations, releases."""
    flask = fake.add_repo(FakeRepo("pallets/flask"))
    flask.add_issue(
        FakeIssue(
            5000,
            "Document the application factory's config loading",
            "davidism",
            labels=["good first issue", "docs"],
            updated=ago(1),
        )
    )
    flask.add_issue(
        FakeIssue(
            5001,
            "Explain blueprint url_prefix",
            "pgjones",
            labels=["docs"],
            updated=ago(3),
        )
    )
    flask.add_issue(
        FakeIssue(
            4999,
            "Old typo",
            "davidism",
            labels=["good first issue"],
            state="closed",
            updated=ago(30),
        )
    )
    flask.add_issue(
        FakeIssue(
            5002, "Fix typo in the quickstart", "newcomer", is_pull=True, updated=ago(2)
        )
    )
    flask.releases.append(FakeRelease("3.1.0", ago(60), "davidism"))
    wtf = fake.add_repo(FakeRepo("pallets-eco/flask-wtf"))
    wtf.add_issue(
        FakeIssue(
            123,
            "CSRF token docs are unclear",
            "azmeuk",
            labels=["help wanted"],
            updated=ago(2),
        )
    )
    secret = fake.add_repo(FakeRepo("pallets/secret", private=True))
    secret.add_issue(FakeIssue(1, "Private", "davidism"))
    django = fake.add_repo(FakeRepo("django/django"))
    django.add_issue(FakeIssue(1, "Outside the Pallets orgs", "someone"))
    fake.add(FakePackage("click", "8.1.8", ago(90), [], "pallets/click"))
    return fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    server = FakeApis(slow_seconds=1.0)
    await server.start()
    pallets(server)
    try:
        yield server
    finally:
        await server.stop()
