"""The sentence a member without the role gets: the roles joined the reader's way."""

from __future__ import annotations

import simcord

from bot import i18n
from bot.devtools.testing import member_locale
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from bot.guilds import Role
from bot.permissions import refusal_for


async def _refusal(world: World, member: simcord.MemberActor, command: str) -> str:
    # /triage and /mentor-admin are hidden from members: shown to everyone, the bot
    # itself refuses.
    show_to_everyone(world, "triage")
    show_to_everyone(world, "mentor-admin")
    result = await member.slash(world.general, command)
    assert result.ephemeral and result.response is not None
    return result.response.content


async def test_one_role_or_several_each_read_as_a_sentence(
    simcord_env: simcord.Env, world: World
) -> None:
    assert await _refusal(world, world.bob, "triage queue") == (
        "Only members with one of these roles can do that: helper or organiser."
    )
    assert await _refusal(world, world.bob, "mentor-admin stats") == (
        "Only members with the organiser role can do that."
    )


async def test_a_french_member_gets_the_roles_joined_in_french(
    simcord_env: simcord.Env, world: World
) -> None:
    with member_locale(world.bob, "fr"):
        text = await _refusal(world, world.bob, "triage queue")
    with i18n.scope("fr", "fr"):
        helper = i18n._("helper")
        organiser = i18n._("organiser")
    assert text == (
        "Seuls les membres ayant l'un de ces rôles peuvent faire cela : "
        f"{helper} ou {organiser}."
    )


def test_three_roles_take_the_locales_list_format() -> None:
    roles = (Role.HELPER, Role.MENTOR, Role.ORGANISER)
    assert refusal_for(roles) == (
        "Only members with one of these roles can do that: "
        "helper, mentor, or organiser."
    )
    with i18n.scope("de", "de"):
        assert refusal_for(roles).endswith(": Helfer, Mentor oder Orga.")
