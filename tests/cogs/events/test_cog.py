from __future__ import annotations

from typing import Any

import simcord

from bot import PalletsBot
from bot.testing import World

FORM = {
    "title": "Flask sprint",
    "description": "Hack on Flask. Step-free venue (accessibility). Contact: olivia",
    "start": "2026-01-10 18:00",
    "end": "2026-01-10 21:00",
    "location": "Lyon, La Cordée",
}


async def accept_and_open(world: World, member: Any = None) -> Any:
    member = member or world.organiser
    shown = await member.slash(
        world.general, "event create", kind="sprint", timezone="Europe/Paris"
    )
    if shown.modal is None:
        shown = await member.click(shown.response, label="I accept the code of conduct")
    assert shown.modal is not None
    return shown


async def publish_event(
    env: simcord.Env, world: World, **changes: str
) -> tuple[int, Any]:
    shown = await accept_and_open(world)
    preview = await world.organiser.submit_modal(shown, {**FORM, **changes})
    assert preview.response is not None, preview
    published = await world.organiser.click(preview.response, label="Publish")
    await env.settle()
    message = world.events.last_message
    assert message is not None, published
    footer = message.embeds[0].footer.text
    assert footer is not None
    return int(footer.split()[-1]), message


def dms(world: World, member: Any) -> list[str]:
    try:
        channel = member.user.dm_channel
    except Exception:  # noqa: BLE001 - no DM channel yet
        return []
    return [m.content for m in channel.history()]


async def test_publish_announces_with_rsvp_and_discord_event(
    simcord_env: simcord.Env, world: World
) -> None:
    event_id, message = await publish_event(simcord_env, world)
    labels = [
        c["label"] for row in message.components for c in row.to_dict()["components"]
    ]
    assert labels == ["Going (0)", "Maybe (0)", "Not going (0)"]
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    events = guild.scheduled_events
    assert len(events) == 1 and events[0].location == "Lyon, La Cordée"
