"""The start-here message: placed with /setup, one button per way in."""

from __future__ import annotations

from typing import Any

import simcord

from bot import Settings
from bot.devtools.testing import restart
from bot.devtools.testing import World


def response(result: simcord.InteractionResult) -> Any:
    assert result.response is not None, result
    return result.response


def dms(member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


def roles_of(env: simcord.Env, world: World, member: Any) -> list[int]:
    return list(env.backend.get_member(world.guild.id, member.id).role_ids)


async def place(world: World) -> Any:
    placed = await world.admin.slash(
        world.general, "setup start-here", channel=world.announcements
    )
    assert "start-here message is in" in response(placed).content
    message = world.announcements.last_message
    assert message is not None
    return message


async def test_start_here_is_placed_with_five_ways_in(
    simcord_env: simcord.Env, world: World
) -> None:
    message = await place(world)
    labels = [child.label for row in message.components for child in row.children]
    assert labels == [
        "Ask a question",
        "I want to contribute",
        "Find a mentor",
        "Get notified",
        "Volunteer",
    ]
    asked = await world.alice.click(message, label="Ask a question")
    assert f"<#{world.questions.id}>" in response(asked).content
    assert response(asked).ephemeral
    contribute = await world.alice.click(message, label="I want to contribute")
    embed = response(contribute).embeds[0]
    assert "/contribute claim" in embed.description
    guides = embed.fields[0].value
    assert "flask.palletsprojects.com" in guides
    # Whole links within Discord's field limit, never one clipped mid-address.
    assert len(guides) <= 1024 and guides.endswith(")")
    mentor = await world.alice.click(message, label="Find a mentor")
    assert "/mentor request" in response(mentor).content


async def test_placing_again_moves_the_message(
    simcord_env: simcord.Env, world: World
) -> None:
    first = await place(world)
    await world.admin.slash(world.general, "setup start-here", channel=world.general)
    assert world.general.last_message is not None
    assert world.general.last_message.embeds[0].title == "Start here"
    assert all(m.id != first.id for m in world.announcements.history())


async def test_get_notified_toggles_the_opt_in_role(
    simcord_env: simcord.Env, world: World
) -> None:
    message = await place(world)
    unset = await world.alice.click(message, label="Get notified")
    assert "not set up here yet" in response(unset).content
    releases = world.guild.create_role("Release pings")
    await world.admin.slash(world.general, "setup roles", releases=releases)
    joined = await world.alice.click(message, label="Get notified")
    assert "pinged for new releases" in response(joined).content
    assert releases.id in roles_of(simcord_env, world, world.alice)
    left = await world.alice.click(message, label="Get notified")
    assert "no longer be pinged" in response(left).content
    assert releases.id not in roles_of(simcord_env, world, world.alice)


async def test_volunteer_is_approved_by_an_organiser_after_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    message = await place(world)
    asked = await world.alice.click(message, label="Volunteer")
    shown = await world.alice.click(
        response(asked), label="Answer questions as a helper"
    )
    assert shown.modal is not None
    done = await world.alice.submit_modal(shown, {"note": "Evenings, Flask and Jinja"})
    assert "An organiser will look" in response(done).content
    notice = world.log.last_message
    assert notice is not None and "answer questions as a helper" in notice.content
    # A second identical offer waits for the first.
    again = await world.alice.click(
        response(await world.alice.click(message, label="Volunteer")),
        label="Answer questions as a helper",
    )
    twice = await world.alice.submit_modal(again, {"note": ""})
    assert "already waiting" in response(twice).content

    await restart(simcord_env, settings)
    await world.organiser.click(notice, label="Accept")
    assert await offer_state(simcord_env) == "approved"
    assert world.helper_role.id in roles_of(simcord_env, world, world.alice)
    assert any("welcome to the helpers" in m for m in dms(world.alice))


async def test_a_would_be_caretaker_is_sent_to_the_extension_roster(
    simcord_env: simcord.Env, world: World
) -> None:
    """One way to offer caretaking: /ext volunteer, which reaches the roster."""
    message = await place(world)
    asked = response(await world.alice.click(message, label="Volunteer"))
    assert asked.ephemeral
    assert "/ext volunteer" in asked.content
    labels = [
        child["label"]
        for row in asked.components or []
        for child in row.get("components", [])
    ]
    assert labels == ["Answer questions as a helper"]


async def test_start_here_buttons_survive_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    message = await place(world)
    await restart(simcord_env, settings)
    asked = await world.bob.click(message, label="Ask a question")
    assert f"<#{world.questions.id}>" in response(asked).content


async def offer_state(env: simcord.Env) -> str:
    return str(
        await env.bot.db.fetchval(  # type: ignore[attr-defined]
            "SELECT state FROM contribute_volunteers ORDER BY id LIMIT 1"
        )
    )


async def test_an_organiser_cannot_accept_their_own_offer(
    simcord_env: simcord.Env, world: World
) -> None:
    message = await place(world)
    asked = await world.organiser.click(message, label="Volunteer")
    shown = await world.organiser.click(
        response(asked), label="Answer questions as a helper"
    )
    await world.organiser.submit_modal(shown, {"note": "Weekends"})
    notice = world.log.last_message
    assert notice is not None and "Weekends" in notice.content
    own = await world.organiser.click(notice, label="Accept")
    assert "your own offer" in response(own).content
    assert await offer_state(simcord_env) == "pending"
    await world.admin.click(notice, label="Decline")
    assert await offer_state(simcord_env) == "declined"
    assert any("cannot take up your offer" in m for m in dms(world.organiser))
