"""Nothing private reaches the public pages or the feeds.

Every job runs for real with text that must stay private, marked so it can be found:
mentoring goals and feedback in a pair's private thread, grant requests, a draft
event, an unsolved question and a closed one, what the bot tells organisers in the
log channel. (A forum only staff can read is tests/pages/test_questions.py's.) Then the walk starts at the
server's front page, in every language, follows every link of the server's own pages
(and the calendar feed and every section's alternates) and reads every answer.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import simcord

from bot.devtools import testing
from bot.devtools.testing import World
from bot.i18n import available_languages
from tests.pages.conftest import bot_of
from tests.pages.conftest import CARETAKER_GITHUB
from tests.pages.conftest import get
from tests.pages.conftest import populate
from tests.reliability.test_privacy import run_flows
from tests.reliability.test_privacy import SECRETS

# populate() has the extension watch check the whole list on loopback.
pytestmark = pytest.mark.simcord(settle_timeout=60)

DRAFT = "DRAFT-41b7 secret sprint"
OPEN_QUESTION = "OPEN-9a2c my private stack trace"
CLOSED_NOTE = "CLOSED-5e80 duplicate of something"
UNSOLVED_REPLY = "REPLY-77d1 try turning it off"
PAGE_SECRETS = (*SECRETS, DRAFT, OPEN_QUESTION, CLOSED_NOTE, UNSOLVED_REPLY)
#: Links the walk reads without parsing as pages.
_HREF = re.compile(r'href="([^"]+)"')


async def private_things(env: simcord.Env, world: World) -> None:
    """What no page may show, made the way members and organisers make it."""
    await run_flows(env, world)  # mentoring pair, check-ins, a grant request
    shown = await testing.open_event_form(world)
    preview = await testing.submit_event_form(
        world.organiser,
        shown,
        {
            "title": DRAFT,
            "description": DRAFT,
            "start": "2026-04-01 18:00",
            "end": "2026-04-01 20:00",
            "location": DRAFT,
        },
    )
    assert preview.response is not None  # a draft: never published
    unsolved = await testing.post_question(world, world.bob, "Help", OPEN_QUESTION)
    await world.helper.send(unsolved, UNSOLVED_REPLY)
    closed = await testing.post_question(world, world.bob, "Dupe", "a duplicate")
    await world.helper.slash(
        closed,
        "triage close",
        reason="duplicate",
        link=f"https://discord.com/channels/{world.guild.id}/{unsolved.id}",
        note=CLOSED_NOTE,
    )


async def walk(env: simcord.Env, world: World) -> dict[str, str]:
    """Every page reachable from the front page in each language, and what it said."""
    root = f"/{world.guild.id}/"
    queue = [root] + [f"{root}?lang={code}" for code in available_languages()]
    seen: dict[str, str] = {}
    while queue:
        path = queue.pop()
        if path in seen or len(seen) > 400:
            continue
        answer = await get(env, path)
        assert answer.status in (200, 301, 302), (path, answer.status)
        seen[path] = answer.text
        for href in _HREF.findall(answer.text):
            link = unescape(href)
            parts = urlsplit(link)
            if parts.netloc == "community.example.org":
                link = parts.path + (f"?{parts.query}" if parts.query else "")
            elif parts.netloc or not link.startswith("/"):
                continue  # Discord, the calendar app's webcal:, the outside
            if link.startswith((root, "/calendar/")) and link not in seen:
                queue.append(link)
    return seen


async def test_no_page_or_feed_shows_anything_private(
    simcord_env: simcord.Env, world: World
) -> None:
    await private_things(simcord_env, world)
    data = await populate(simcord_env, world)
    pages = await walk(simcord_env, world)
    texts = "\n".join(pages.values())

    # The walk saw every section and each page in each language.
    assert any("/questions/" in path for path in pages)
    assert any(path.startswith("/calendar/") for path in pages)
    assert any("/extensions/" in path for path in pages)
    assert any(path.endswith("/extensions.atom") for path in pages)
    assert any("lang=pt_BR" in path for path in pages)
    assert str(data.question_id) in texts

    leaked = [secret for secret in PAGE_SECRETS if secret in texts]
    assert leaked == []
    # What the bot told organisers in the log channel, and the pair's private thread.
    log_texts = [m.content for m in world.log.history(viewer=world.organiser)]
    assert log_texts, "the flows told the organisers something"
    for text in log_texts:
        for line in filter(None, (line.strip() for line in text.splitlines())):
            if len(line) > 30:
                assert line not in texts, line
    (pair_thread,) = world.mentorship.threads
    assert pair_thread.name and pair_thread.name not in texts
    # No member's id, and no name of a member who did not agree to show it.
    for member in world.members().values():
        assert str(member.id) not in texts, member.name
    for name in ("bob", "carol", "hugo", "maya", "rita", "olivia"):
        assert f"by {name}" not in texts and f">{name}<" not in texts, name
    assert "by alice" in texts  # the one who agreed
    # A caretaker is counted, and asked for, without their name.
    assert "it needs caretakers: 1 active of the 2 it should have" in texts
    assert "/ext volunteer name:Flask-Mail" in texts
    assert CARETAKER_GITHUB not in texts

    # The bot's own guild-wide settings, and the endpoints for operators, stay apart.
    bot = bot_of(simcord_env)
    assert str(bot.settings.database_path) not in texts
    assert "pallets_" not in texts  # no metric leaked into a page
