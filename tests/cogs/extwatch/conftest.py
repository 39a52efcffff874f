from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import Settings
from bot.app import PalletsBot
from bot.devtools.fake_upstream import ecosystem
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeCommit
from bot.devtools.testing import test_settings
from bot.devtools.testing import World
from bot.github import GitHub
from cogs.extwatch._client import ApiClient

#: simcord's clock starts here; the fake ecosystem's dates are relative to it.
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeApis]:
    """PyPI, GitHub and OSV on loopback, for the extension watch."""
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


async def add_caretaker(
    world: World,
    member: simcord.MemberActor,
    name: str = "Flask-Mail",
    role: str = "maintainer",
    github: str | None = None,
) -> None:
    """An organiser puts ``member`` on the roster of ``name``."""
    extra = {"github": github} if github else {}
    await world.organiser.slash(
        world.general,
        "ext-admin caretaker-add",
        name=name,
        member=member,
        role=role,
        **extra,
    )


async def ghost_goes_quiet(env: simcord.Env, world: World, fake: FakeApis) -> None:
    """Flask-Mail's two caretakers: the helper ("davidism") commits, the mentor
    ("ghost") has had no commit or release for half a year on the roster; the
    refresh that sees it asks ghost whether they are still in."""
    for member, handle in ((world.helper, "davidism"), (world.mentor, "ghost")):
        await add_caretaker(world, member, github=handle)
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    await bot.db.execute("UPDATE ext_caretakers SET since = since - 200 * 86400")
    fake.repo("pallets-eco/flask-mail").commits = [
        FakeCommit("davidism", START, "Fix"),
        FakeCommit("pgjones", START, "Docs"),
    ]
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")


def text_of(result: simcord.InteractionResult) -> str:
    """What the member was shown: contents, embeds' titles, descriptions and fields
    (``name: value``), follow-ups included."""
    messages = [result.response] if result.response else []
    messages += result.followups
    parts = []
    for message in messages:
        assert message is not None
        parts.append(message.content)
        for embed in message.embeds:
            parts.append(embed.title or "")
            parts.append(embed.description or "")
            parts.extend(f"{f.name}: {f.value}" for f in embed.fields)
    return "\n".join(parts)
