from __future__ import annotations

import re
from typing import Any

import discord
import pytest
import simcord

from bot import PalletsBot
from bot.devtools.testing import build_world
from bot.devtools.testing import World
from bot.guilds import Role
from bot.permissions import role_groups


async def settings_row(bot: PalletsBot, guild_id: int) -> dict[str, Any] | None:
    row = await bot.db.fetchone(
        "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    return None if row is None else {k: row[k] for k in row.keys() if k != "updated_at"}


async def test_setup_saves_channels_and_roles(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    settings = await simcord_bot.guild_config.get(world.guild.id)
    assert settings.announcements_channel_id == world.announcements.id
    assert settings.questions_forum_id == world.questions.id
    assert settings.organiser_role_id == world.organiser_role.id
    result = await world.admin.slash(world.general, "setup show")
    assert result.ephemeral and result.response is not None
    assert f"<@&{world.helper_role.id}>" in result.response.content


@pytest.mark.parametrize("member", ["alice", "organiser", "helper"])
async def test_setup_is_refused_without_manage_server(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, member: str
) -> None:
    before = await settings_row(simcord_bot, world.guild.id)
    actor = world.members()[member]
    # Discord hides /setup from them (default permissions); a server admin could still
    # allow it in the Integrations settings, so the handler checks again.
    command = simcord_env.backend.commands[None][("setup", 1)]
    world.guild.set_command_permissions(int(command["id"]), {actor: True})
    result = await actor.slash(world.general, "setup channels", log=world.general)
    assert result.ephemeral and result.response is not None
    assert "manage the server" in result.response.content
    result = await actor.slash(world.general, "setup language", language="fr")
    assert result.ephemeral
    assert await settings_row(simcord_bot, world.guild.id) == before


async def test_setup_with_nothing_to_set_is_a_clear_error(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    before = await settings_row(simcord_bot, world.guild.id)
    result = await world.admin.slash(world.general, "setup roles")
    assert result.ephemeral and result.response is not None
    assert "at least one role" in result.response.content
    assert await settings_row(simcord_bot, world.guild.id) == before


async def test_unknown_language_is_refused(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    result = await world.admin.slash(
        world.general, "setup language", language="klingon"
    )
    assert result.ephemeral and result.response is not None
    assert "no translation" in result.response.content
    assert (await simcord_bot.guild_config.get(world.guild.id)).language is None


async def test_everyone_cannot_be_a_bot_role(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    result = await world.admin.slash(
        world.general, "setup roles", organiser=world.guild.default_role
    )
    assert result.ephemeral and result.response is not None
    assert (await simcord_bot.guild_config.get(world.guild.id)).organiser_role_id == (
        world.organiser_role.id
    )


async def test_replies_never_allow_everyone_or_role_pings(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup show")
    await world.admin.slash(world.general, "setup language", language="@everyone")
    bodies = [e.json for e in simcord_env.http_requests if isinstance(e.json, dict)]
    replies = [
        b.get("data", b) for b in bodies if "allowed_mentions" in b.get("data", b)
    ]
    assert replies
    for body in replies:
        mentions = body["allowed_mentions"]
        assert mentions.get("parse", []) == []
        assert not mentions.get("roles")


async def test_unexpected_error_gets_an_apology_with_an_error_id(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cogs.setup._render as setup_render

    def broken(*args: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(setup_render, "describe", broken)
    result = await world.admin.slash(world.general, "setup show")
    assert result.ephemeral and result.response is not None
    assert "error" in result.response.content
    assert "boom" not in result.response.content
    assert [type(e).__name__ for e in simcord_env.errors] == ["CommandInvokeError"]


async def test_setup_is_per_guild(
    simcord_env: simcord.Env, simcord_bot: PalletsBot
) -> None:
    first = await build_world(simcord_env)
    second = simcord_env.create_guild("Other")
    assert (
        await simcord_bot.guild_config.get(second.id)
    ).announcements_channel_id is None
    assert (await simcord_bot.guild_config.get(first.guild.id)).announcements_channel_id


async def test_setup_lists_the_permissions_the_bot_lacks_per_channel(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await world.admin.slash(world.general, "setup show")
    assert shown.response is not None
    assert "I have every permission I need" in shown.response.content
    bot_user = simcord_env.bot.user
    assert bot_user is not None
    quiet = world.guild.create_text_channel(
        "quiet-announcements",
        overwrites={
            bot_user: discord.PermissionOverwrite(
                send_messages=False, create_public_threads=False
            )
        },
    )
    plain = world.guild.create_text_channel(
        "plain-helpers",
        overwrites={bot_user: discord.PermissionOverwrite(embed_links=False)},
    )
    saved = await world.admin.slash(
        world.general, "setup channels", announcements=quiet, helpers=plain
    )
    assert saved.response is not None
    text = saved.response.content
    # without Send Messages, Discord takes Embed Links away too
    assert (
        f"- <#{quiet.id}> (announcements): Send Messages, Embed Links, "
        "Create Public Threads" in text
    )
    assert f"- <#{plain.id}> (helpers): Embed Links" in text
    assert f"<#{world.events.id}>" not in text.split("I am missing")[1]
    assert "Edit Channel > Permissions" in text


async def test_setup_roles_says_which_commands_to_show_each_role(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    """Discord hides the roles' commands from everyone who cannot manage the server;
    /setup roles lists, command by command, the roles to show each to. Following
    the list shows each role its commands, and a plain member none of them."""
    backend = simcord_env.backend
    groups = role_groups(simcord_bot.tree)
    assert {"triage", "chat-admin", "grant-review", "mentor-tools", "ext-admin"} <= set(
        groups
    )
    for name in groups:  # as on a server where the admin has not done it yet
        command = backend.commands[None][(name, 1)]
        world.guild.set_command_permissions(int(command["id"]), {})
    result = await world.admin.slash(
        world.general, "setup roles", grants_reviewer=world.reviewer_role
    )
    assert result.response is not None
    text = result.response.content
    assert "Server Settings > Integrations > " in text
    roles = {
        role.id: role
        for role in (
            world.organiser_role,
            world.helper_role,
            world.mentor_role,
            world.reviewer_role,
        )
    }
    for line in text.splitlines():
        if not line.startswith("/"):
            continue
        name, listed = line[1:].split(": ", 1)
        shown = [roles[int(i)] for i in re.findall(r"<@&([0-9]+)>", listed)]
        command = backend.commands[None][(name, 1)]
        world.guild.set_command_permissions(
            int(command["id"]), {role: True for role in shown}
        )
    assert f"/grant-review: <@&{world.reviewer_role.id}>" in text
    assert f"/mentor-tools: <@&{world.mentor_role.id}>" in text

    def groups_seen(member: simcord.MemberActor) -> set[str]:
        seen = {c.split()[0] for c in member.available_commands(world.general)}
        return seen & set(groups)

    assert groups_seen(world.alice) == set()
    assert groups_seen(world.reviewer) == {"grant-review"}
    assert groups_seen(world.mentor) == {"mentor-tools", "contribute-mentor"}
    assert groups_seen(world.helper) == {"triage"}
    assert groups_seen(world.organiser) == {
        name for name, needs in groups.items() if Role.ORGANISER in needs
    }
