from __future__ import annotations

from typing import Any

import simcord

from bot import Settings
from bot.devtools.testing import close_dms
from bot.devtools.testing import member_locale
from bot.devtools.testing import restart
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from bot.errors import UserError
from bot.refusals import Refused

FORM = {
    "event": "FlaskCon Lyon",
    "amount": "1500",
    "currency": "EUR",
    "purpose": "Venue hire and captioning",
    "attendance": "40",
}


async def request(world: World, member: Any, **changes: str) -> Any:
    shown = await member.slash(world.general, "grant request")
    assert shown.modal is not None
    return await member.submit_modal(shown, {**FORM, **changes})


def text(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.content)


def embed_text(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.embeds[0].description)


def dms(member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


def expect_refusals(env: simcord.Env) -> None:
    """Refusals (UserError, Refused) the bot reported to the member; accept only those.

    simcord records every error reaching a handler, refusals included, and the
    shared fixture re-raises them all; call this at the end of a test.
    """
    errors = env.errors
    assert all(isinstance(_unwrap(e), UserError | Refused) for e in errors), errors
    env.check_errors = False


def _unwrap(error: BaseException) -> BaseException:
    return getattr(error, "original", None) or error


async def grant_count(env: simcord.Env) -> int:
    return int(await env.bot.db.fetchval("SELECT count(*) FROM event_grants"))  # type: ignore[attr-defined]


async def test_request_gives_reference_and_tells_reviewers(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await request(world, world.alice)
    assert result.ephemeral
    assert "G-1" in text(result)
    assert "€1,500.00" in text(result)
    log = world.log.last_message
    assert log is not None and "G-1" in log.content


async def test_amount_is_formatted_for_the_reader(
    simcord_env: simcord.Env, world: World
) -> None:
    # Amounts follow the reader's own Discord locale.
    await request(world, world.alice, amount="1234,5", currency="usd")
    with member_locale(world.alice, "de"):
        status = await world.alice.slash(world.general, "grant status")
    assert "1.234,50\xa0$" in embed_text(status)
    status = await world.alice.slash(world.general, "grant status")
    assert "$1,234.50" in embed_text(status)


async def test_bad_requests_are_refused_and_change_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    for changes, expected in [
        ({"currency": "XYZ"}, "Unknown currency"),
        ({"amount": "-5"}, "more than zero"),
        ({"amount": "99999999"}, "too large"),
        ({"amount": "ten"}, "could not read the amount"),
        ({"attendance": "0"}, "attendance"),
        ({"purpose": "@everyone pay us"}, "@everyone"),
        ({"event": "999"}, "no event 999"),
    ]:
        result = await request(world, world.alice, **changes)
        assert result.ephemeral
        assert expected in text(result), (changes, text(result))
    assert await grant_count(simcord_env) == 0
    expect_refusals(simcord_env)


async def test_stranger_cannot_list_or_review(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.alice)
    assert not [c for c in world.bob.available_commands(world.general) if "grant-" in c]
    show_to_everyone(world, "grant-review")  # hidden; the bot refuses too
    listed = await world.bob.slash(world.general, "grant-review list")
    assert listed.ephemeral and "grants reviewer" in text(listed)
    reviewed = await world.bob.slash(
        world.general, "grant-review decide", id="1", decision="approve"
    )
    assert reviewed.ephemeral and "grants reviewer" in text(reviewed)
    status = await world.bob.slash(world.general, "grant status")
    assert "not asked" in text(status)
    assert dms(world.alice) == []
    expect_refusals(simcord_env)


async def test_reviewer_decides_once_and_requester_is_told(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.alice)
    listed = await world.reviewer.slash(world.general, "grant-review list")
    assert "G-1" in embed_text(listed)
    decided = await world.reviewer.slash(
        world.general, "grant-review decide", id="G-1", decision="approve", note="Enjoy"
    )
    assert text(decided).startswith("G-1 is approved.")
    await simcord_env.settle()
    messages = dms(world.alice)
    assert len(messages) == 1 and "approved" in messages[0] and "Enjoy" in messages[0]
    again = await world.reviewer.slash(
        world.general, "grant-review decide", id="1", decision="reject"
    )
    assert again.ephemeral and "already decided" in text(again)
    status = await world.alice.slash(world.general, "grant status")
    assert "approved" in embed_text(status)
    expect_refusals(simcord_env)
    trail = await simcord_env.bot.db.fetchall(  # type: ignore[attr-defined]
        "SELECT from_state, to_state, actor_id FROM event_grant_audit ORDER BY id"
    )
    assert [tuple(row) for row in trail] == [
        (None, "pending", world.alice.id),
        ("pending", "approved", world.reviewer.id),
    ]


async def test_reviewer_turns_the_list_to_page_two_and_back_across_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    for number in range(1, 13):
        await request(world, world.alice, event=f"Meetup {number}")
    listed = await world.reviewer.slash(world.general, "grant-review list")
    assert listed.ephemeral and listed.response is not None
    first = listed.response.embeds[0]
    assert first.footer.text == "Page 1 of 2"
    assert "**G-1**" in (first.description or "")
    assert "**G-11**" not in (first.description or "")

    turned = await world.reviewer.click(listed.response, label="Next")
    assert turned.response is not None
    second = turned.response.embeds[0]
    assert second.footer.text == "Page 2 of 2"
    assert "**G-11**" in (second.description or "")
    assert "**G-12**" in (second.description or "")
    assert "**G-1**" not in (second.description or "")

    mine = await world.alice.slash(world.general, "grant status")
    assert mine.response is not None
    assert mine.response.embeds[0].footer.text == "Page 1 of 2"
    assert "**G-12**" in str(mine.response.embeds[0].description)
    older = await world.alice.click(mine.response, label="Next")
    assert older.response is not None
    assert "**G-1**" in str(older.response.embeds[0].description)

    await restart(simcord_env, settings)
    back = await world.reviewer.click(turned.response, label="Previous")
    assert back.response is not None
    assert back.response.embeds[0].footer.text == "Page 1 of 2"
    assert "**G-1**" in (back.response.embeds[0].description or "")


async def test_reviewer_cannot_review_own_request(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.reviewer)
    result = await world.reviewer.slash(
        world.general, "grant-review decide", id="1", decision="approve"
    )
    assert result.ephemeral and "your own" in text(result)
    state = await simcord_env.bot.db.fetchval("SELECT state FROM event_grants")  # type: ignore[attr-defined]
    assert state == "pending"
    expect_refusals(simcord_env)


async def test_needs_info_can_be_answered_by_requester_only(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.alice)
    asked = await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="1",
        decision="needs-info",
        note="Budget?",
    )
    assert "G-1 now waits for more information from the requester." in text(asked)
    await simcord_env.settle()
    assert "Budget?" in dms(world.alice)[0]
    stranger = await world.bob.slash(
        world.general, "grant answer", id="1", answer="It is fine"
    )
    assert stranger.ephemeral and "Only the requester" in text(stranger)
    answered = await world.alice.slash(
        world.general, "grant answer", id="1", answer="Venue 1000, captions 500"
    )
    assert "back with the reviewers" in text(answered)
    decided = await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="1",
        decision="reject",
        note="No budget left",
    )
    assert "rejected" in text(decided)
    await simcord_env.settle()
    assert len(dms(world.alice)) == 2
    expect_refusals(simcord_env)


async def test_history_is_shown_to_requester_and_reviewers_only(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.alice)
    await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="1",
        decision="needs-info",
        note="Budget?",
    )
    own = await world.alice.slash(world.general, "grant history", id="G-1")
    assert "Budget?" in embed_text(own)
    assert "needs more information" in embed_text(own)
    reviewer = await world.reviewer.slash(world.general, "grant history", id="1")
    assert "waiting for review" in embed_text(reviewer)
    stranger = await world.bob.slash(world.general, "grant history", id="1")
    assert stranger.ephemeral and "no grant request" in text(stranger)
    expect_refusals(simcord_env)


async def test_closed_dms_get_a_mention_a_note_and_a_count(
    simcord_env: simcord.Env, world: World
) -> None:
    close_dms(simcord_env, world.alice)
    await request(world, world.alice)
    decided = await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="G-1",
        decision="reject",
        note="Too late",
    )
    assert "/grant status" in text(decided)
    await simcord_env.settle()
    # the mention names the request, never its details
    mention = world.events.last_message
    assert mention is not None
    assert f"<@{world.alice.id}>" in mention.content and "G-1" in mention.content
    assert "Too late" not in mention.content and "1,500" not in mention.content
    pings = [
        r.json["allowed_mentions"]
        for r in simcord_env.http_requests
        if r.method == "POST"
        and r.path == f"/channels/{world.events.id}/messages"
        and isinstance(r.json, dict)
    ]
    assert pings == [{"parse": [], "users": [world.alice.id]}]
    # organisers hear how many members could not be reached
    assert any(
        "1 member could not be reached" in m.content for m in world.log.history()
    )
    # the member is told once, in the next reply, and the decision is in /grant status
    status = await world.alice.slash(world.general, "grant status")
    assert "DMs are closed" in text(status)
    assert "Too late" in embed_text(status)
    again = await world.alice.slash(world.general, "grant status")
    assert "DMs are closed" not in text(again)
    shown = await world.admin.slash(world.general, "setup show")
    assert "could not be reached by DM: 1" in text(shown)


async def test_a_page_click_checks_the_reviewer_role_again(
    simcord_env: simcord.Env, world: World
) -> None:
    for number in range(1, 13):
        await request(world, world.alice, event=f"Meetup {number}")
    listed = await world.reviewer.slash(world.general, "grant-review list")
    assert listed.response is not None
    # the server moves the reviewing to another role: the old list stops turning
    await world.admin.slash(
        world.general, "setup roles", grants_reviewer=world.organiser_role
    )
    turned = await world.reviewer.click(listed.response, label="Next")
    assert turned.response is not None and turned.response.ephemeral
    assert "grants reviewer" in str(turned.response.content)
    assert not turned.response.embeds
    expect_refusals(simcord_env)


async def test_a_dm_that_gets_through_again_forgets_the_closed_dms(
    simcord_env: simcord.Env, world: World
) -> None:
    close_dms(simcord_env, world.alice)
    await request(world, world.alice)
    await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="G-1",
        decision="needs-info",
        note="When?",
    )
    await simcord_env.settle()
    shown = await world.admin.slash(world.general, "setup show")
    assert "could not be reached by DM: 1" in text(shown)
    simcord_env.backend.faults.clear()  # Alice opens her DMs
    await world.alice.slash(world.general, "grant answer", id="G-1", answer="In May")
    await world.reviewer.slash(
        world.general, "grant-review decide", id="G-1", decision="approve"
    )
    await simcord_env.settle()
    assert any("approved" in m for m in dms(world.alice))
    shown = await world.admin.slash(world.general, "setup show")
    assert "could not be reached by DM: 0" in text(shown)


async def test_grant_ids_are_offered_only_to_who_may_use_them(
    simcord_env: simcord.Env, world: World
) -> None:
    await request(world, world.alice)
    await request(world, world.bob, event="Sprint Berlin")
    await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="G-1",
        decision="needs-info",
        note="When?",
    )
    await simcord_env.settle()

    async def offered(member: Any, command: str, typed: str = "") -> list[str]:
        choices = await member.autocomplete(world.general, command, "id", typed)
        return [c["value"] for c in choices]

    assert await offered(world.alice, "grant answer") == ["G-1"]
    assert await offered(world.bob, "grant answer") == []
    assert await offered(world.bob, "grant history") == ["G-2"]
    assert await offered(world.reviewer, "grant history") == ["G-1", "G-2"]
    assert await offered(world.reviewer, "grant-review decide") == ["G-1", "G-2"]
    assert await offered(world.reviewer, "grant-review decide", "berlin") == ["G-2"]
    show_to_everyone(world, "grant-review")  # hidden; the bot offers nothing too
    assert await offered(world.alice, "grant-review decide") == []
    choices = await world.alice.autocomplete(world.general, "grant answer", "id", "")
    assert choices[0]["name"].startswith("G-1 · €1,500.00 · FlaskCon Lyon")
