"""A server with its public pages on, data from the jobs, and an HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import simcord
from multidict import CIMultiDict

from bot.app import PalletsBot
from bot.devtools import testing
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.testing import World
from bot.settings import Settings
from tests.cogs.extwatch.conftest import _close_clients
from tests.cogs.extwatch.conftest import add_caretaker
from tests.cogs.extwatch.conftest import fake
from tests.cogs.extwatch.conftest import START

# The extension watch's fake PyPI, GitHub and OSV (``fake``); the API clients a test
# made are closed after it (simcord detaches the bot without unloading its cogs).
__all__ = ["START", "_close_clients", "fake"]

#: Flask chat, monthly; the event form's values.
EVENT_FORM = {
    "title": "FlaskCon sprint",
    "description": "Hack on Flask and its extensions. Step-free venue.",
    "start": "2026-03-10 18:00",
    "end": "2026-03-10 21:00",
    "location": "Lyon, La Cordée",
}
QUESTION = (
    "Blueprint routes give 404",
    "My blueprint's routes all give 404. I register it like this:\n"
    "```py\napp.register_blueprint(bp, url_prefix='/api')\n```\nWhat am I missing?",
)
ANSWER = "Import the module that defines the routes before you register the blueprint."
#: The GitHub handle of populate()'s caretaker, who did not agree to be named.
CARETAKER_GITHUB = "maya-on-github"


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return testing.test_settings(
        tmp_path,
        http_port=0,
        public_url="https://community.example.org",
        pypi_base_url=fake.url,
        github_api_url=fake.url,
        osv_api_url=fake.url,
    )


def bot_of(env: simcord.Env) -> PalletsBot:
    assert isinstance(env.bot, PalletsBot)
    return env.bot


def base_url(env: simcord.Env) -> str:
    web = bot_of(env).web
    assert web is not None and web.port
    return f"http://127.0.0.1:{web.port}"


@dataclass
class Answer:
    status: int
    headers: CIMultiDict[str]
    text: str


async def get(env: simcord.Env, path: str, **headers: str) -> Answer:
    """GET ``path`` over a real socket, without following redirects."""
    async with aiohttp.ClientSession() as session:
        async with session.get(
            base_url(env) + path, headers=headers, allow_redirects=False
        ) as response:
            return Answer(
                response.status, response.headers.copy(), await response.text()
            )


@dataclass
class Data:
    """What :func:`populate` made, to look for on the pages."""

    question_id: int = 0
    removed_question_id: int = 0
    event_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


async def ask_and_solve(
    world: World, asker: Any, helper: Any, title: str, body: str, answer: str
) -> int:
    """A question in the forum, answered, and marked solved by its asker."""
    thread = await testing.post_question(world, asker, title, body)
    await helper.send(thread, answer)
    result = await asker.slash(thread, "solved")
    assert result.response is not None and "solved" in (result.response.content or "")
    return thread.id


async def publish_event(world: World, **changes: str) -> int:
    shown = await testing.open_event_form(world)
    preview = await testing.submit_event_form(
        world.organiser, shown, {**EVENT_FORM, **changes}
    )
    assert preview.response is not None, preview
    await world.organiser.click(preview.response, label="Publish")
    await world.env.settle()
    message = world.events.last_message
    assert message is not None
    footer = message.embeds[0].footer.text
    assert footer is not None
    return int(footer.split()[-1])


async def check_extensions(world: World) -> None:
    """An organiser checks the watched extensions (the fake ecosystem) now."""
    result = await world.organiser.slash(world.general, "ext-admin refresh")
    assert result.response is not None or result.followups, result


async def populate(env: simcord.Env, world: World) -> Data:
    """Turn the pages on and fill them the way members would: a chat series, a
    published event, solved questions (alice shows her name, carol removed hers),
    the extension watch's first check, and a caretaker of Flask-Mail (maya, who did
    not agree to be named: Flask-Mail needs one more)."""
    data = Data()
    await world.admin.slash(world.general, "setup pages", enabled=True, questions=True)
    await check_extensions(world)
    await add_caretaker(world, world.mentor, github=CARETAKER_GITHUB)
    await world.admin.slash(world.general, "setup calendar", enabled=True)
    await testing.create_chat_series(world)
    data.event_id = await publish_event(world)
    await world.alice.slash(world.general, "pages names", show=True)
    data.question_id = await ask_and_solve(
        world, world.alice, world.helper, *QUESTION, ANSWER
    )
    await ask_and_solve(
        world,
        world.bob,
        world.helper,
        "Jinja loop index",
        "How do I get the index in a for loop in a Jinja template?",
        "Use `loop.index` (from 1) or `loop.index0` (from 0).",
    )
    data.removed_question_id = await ask_and_solve(
        world,
        world.carol,
        world.helper,
        "Werkzeug reloader runs my code twice",
        "Why does my startup code run twice with the reloader on?",
        "The reloader starts a child process; guard it with WERKZEUG_RUN_MAIN.",
    )
    await world.carol.slash(world.general, "pages remove")
    return data
