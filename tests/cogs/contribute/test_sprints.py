"""A sprint's board: maintainers pick, attendees claim (one each), set-up steps,
a mentor on duty, and the thanks after the sprint."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import Settings
from bot.clock import to_ts
from bot.clock import utcnow
from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeIssue
from bot.devtools.testing import open_event_form
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import test_settings as make_settings
from bot.devtools.testing import World
from cogs.contribute._engine import poll_prefix

pytestmark = pytest.mark.simcord(settle_timeout=60)
SPRINT = {
    "title": "Flask sprint",
    "description": "Hack on Flask and its extensions.",
    "start": "2026-01-10 18:00",
    "end": "2026-01-10 21:00",
    "location": "Lyon, La Cordée",
}


@pytest.fixture
def settings(tmp_path: Path, fake: FakeApis) -> Settings:
    return make_settings(tmp_path, github_api_url=fake.url, pypi_base_url=fake.url)


def said(result: simcord.InteractionResult) -> str:
    message = result.followups[-1] if result.followups else result.response
    assert message is not None, result
    return str(message.content)


def dms(member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


async def publish_sprint(env: simcord.Env, world: World) -> str:
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, SPRINT)
    assert preview.response is not None
    await world.organiser.click(preview.response, label="Publish")
    value = await env.bot.db.fetchval("SELECT max(id) FROM events")  # type: ignore[attr-defined]
    return str(value)


def board_text(message: Any) -> str:
    embed = message.embeds[0]
    fields = "\n".join(f"{f.name}: {f.value}" for f in embed.fields)
    return f"{embed.title}\n{embed.description}\n{fields}"


async def test_a_sprint_board_from_picks_to_thanks(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    event = await publish_sprint(simcord_env, world)
    offered = await world.organiser.autocomplete(
        world.general, "contribute-mentor sprint board", "event", "flask"
    )
    assert [c["value"] for c in offered] == [event]
    await world.organiser.slash(
        world.general, "contribute-mentor sprint board", event=event
    )
    board = world.general.last_message
    assert board is not None and "No issues picked yet" in board_text(board)

    show_to_everyone(world, "contribute-mentor")  # hidden; the bot refuses too
    refused = await world.alice.slash(
        world.general, "contribute-mentor sprint pick", event=event, issue="flask#5000"
    )
    assert refused.response is not None and refused.response.ephemeral
    for issue in ("flask#5000", "pallets-eco/flask-wtf#123"):
        picked = await world.mentor.slash(
            world.general, "contribute-mentor sprint pick", event=event, issue=issue
        )
        assert "is on the board" in said(picked)
    closed = await world.mentor.slash(
        world.general, "contribute-mentor sprint pick", event=event, issue="flask#4999"
    )
    assert "is closed" in said(closed)
    shown = board_text(board_message(world))
    assert "pallets/flask#5000" in shown and "pallets-eco/flask-wtf#123" in shown
    assert "Set up flask: ```sh\ngit clone https://github.com/pallets/flask" in shown
    assert "uv sync --locked" in shown and "uv run --locked pytest" in shown
    assert "Set up flask-wtf" in shown

    mine = await world.alice.slash(
        world.general,
        "contribute sprint claim",
        event=event,
        issue="pallets/flask#5000",
    )
    assert "is yours" in said(mine)
    taken = await world.bob.slash(
        world.general,
        "contribute sprint claim",
        event=event,
        issue="pallets/flask#5000",
    )
    assert f"already taken by <@{world.alice.id}>" in said(taken)
    off_board = await world.bob.slash(
        world.general,
        "contribute sprint claim",
        event=event,
        issue="pallets/flask#5001",
    )
    assert "is not on this sprint's board" in said(off_board)
    await world.bob.slash(
        world.general,
        "contribute sprint claim",
        event=event,
        issue="pallets-eco/flask-wtf#123",
    )
    shown = board_text(board_message(world))
    assert f"<@{world.alice.id}>" in shown and f"<@{world.bob.id}>" in shown

    # Help from the mentor on duty: no role ping, a DM to who picked the issues.
    await world.alice.slash(
        world.general,
        "contribute sprint help",
        event=event,
        note="pytest fails on Windows",
    )
    call = world.general.last_message
    assert call is not None and "asks a mentor on duty for help" in call.content
    assert any("asks for help at the sprint" in m for m in dms(world.mentor))
    stranger = await world.bob.click(call, label="I'm on it")
    assert stranger.response is not None and stranger.response.ephemeral
    await world.mentor.click(call, label="I'm on it")
    assert (
        f"<@{world.mentor.id}> is on it" in (world.general.last_message or call).content
    )

    # alice's pull request is merged during the sprint; the board says so.
    fake.repo("pallets/flask").add_issue(
        FakeIssue(
            5011,
            "Document config loading",
            "alice-gh",
            is_pull=True,
            state="closed",
            merged=True,
            body="Fixes #5000",
            updated=utcnow(),
        )
    )
    await simcord_env.advance_time(20 * 60)
    assert "merged" in board_text(board_message(world))
    await simcord_env.bot.scheduler.cancel_prefix(poll_prefix())  # type: ignore[attr-defined]

    after = datetime(2026, 1, 10, 20, 5, tzinfo=UTC)  # 21:05 in Paris
    await simcord_env.advance_time(to_ts(after) - to_ts(utcnow()))
    wrap = world.general.last_message
    assert wrap is not None and "The sprint Flask sprint is over" in wrap.content
    assert "pallets/flask#5000" in wrap.content and "Merged:" in wrap.content
    assert (
        f"<@{world.alice.id}>" in wrap.content and f"<@{world.bob.id}>" in wrap.content
    )


def board_message(world: World) -> Any:
    boards = [
        m
        for m in world.general.history()
        if m.embeds and (m.embeds[0].title or "").startswith("Sprint board")
    ]
    assert boards
    return boards[-1]


async def test_only_published_sprints_have_boards(
    simcord_env: simcord.Env, world: World
) -> None:
    for event in ("42", "not a number"):
        result = await world.organiser.slash(
            world.general, "contribute-mentor sprint board", event=event
        )
        assert "not a published sprint" in said(result)
    assert world.general.last_message is None or not world.general.last_message.embeds
