"""A standard simulated community, shared by the tests and the playground.

Needs simcord (the ``playground`` extra, or the ``tests`` dependency group).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord import ChannelHandle
from simcord import GuildHandle
from simcord import interactions as sim_interactions
from simcord import MemberActor
from simcord import RoleHandle

from bot.app import create_bot
from bot.app import PalletsBot
from bot.guilds import Role
from bot.permissions import role_groups
from bot.settings import Settings

#: Nothing listens here: requests fail immediately and never leave the machine.
OFFLINE_URL = "http://127.0.0.1:9"


async def restart(env: simcord.Env, settings: Settings) -> PalletsBot:
    """Stop the running bot and start a fresh one on the same database file.

    This is a clean restart (the old process let go of its database); crashes are
    tested with real processes.
    """
    old = env.bot
    await env.settle()
    if isinstance(old, PalletsBot):
        await old.stop_services()
    new = create_bot(settings)
    await env.restart_bot(new)
    await env.settle()
    return new


def test_settings(directory: Path, **overrides: Any) -> Settings:
    """Settings for an offline run: a database in ``directory``, no token."""
    values: dict[str, Any] = {
        "database_path": directory / "pallets-bot.sqlite3",
        "token": None,
        "default_locale": "en",
        "log_format": "text",
        # Offline means offline: upstream APIs point at a closed loopback port, so a
        # fetch fails at once instead of waiting on a network that is not there.
        "pypi_base_url": OFFLINE_URL,
        "github_api_url": OFFLINE_URL,
        "osv_api_url": OFFLINE_URL,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@dataclass
class World:
    """A guild set up the way the Pallets server is, with a member in each role."""

    env: simcord.Env
    guild: GuildHandle
    announcements: ChannelHandle
    questions: ChannelHandle
    events: ChannelHandle
    mentorship: ChannelHandle
    helpers: ChannelHandle
    log: ChannelHandle
    general: ChannelHandle
    voice: ChannelHandle
    stage: ChannelHandle
    admin_role: RoleHandle
    organiser_role: RoleHandle
    helper_role: RoleHandle
    mentor_role: RoleHandle
    reviewer_role: RoleHandle
    admin: MemberActor
    organiser: MemberActor
    helper: MemberActor
    mentor: MemberActor
    mentor2: MemberActor
    reviewer: MemberActor
    alice: MemberActor
    bob: MemberActor
    carol: MemberActor

    def members(self) -> dict[str, MemberActor]:
        return {
            name: value
            for name, value in vars(self).items()
            if isinstance(value, MemberActor)
        }

    def channels(self) -> dict[str, ChannelHandle]:
        return {
            name: value
            for name, value in vars(self).items()
            if isinstance(value, ChannelHandle)
        }


async def build_world(
    env: simcord.Env, *, configure: bool = True, guild_id: int | None = None
) -> World:
    """Create the guild, channels, roles and members; run ``/setup`` when ``configure``.

    ``guild_id`` fixes the guild's id, for a database seeded before the world exists
    (the benchmark).
    """
    guild = env.create_guild("Pallets", id=guild_id)
    admin_role = guild.create_role(
        "Admins", permissions=discord.Permissions(manage_guild=True)
    )
    organiser_role = guild.create_role("Organisers")
    helper_role = guild.create_role("Helpers")
    mentor_role = guild.create_role("Mentors")
    reviewer_role = guild.create_role("Grants reviewers")
    hidden = discord.PermissionOverwrite(view_channel=False)
    shown = discord.PermissionOverwrite(view_channel=True)
    bot_user = env.bot.user
    assert bot_user is not None
    world = World(
        env=env,
        guild=guild,
        announcements=guild.create_text_channel("announcements"),
        questions=guild.create_forum_channel("questions"),
        events=guild.create_text_channel("events"),
        mentorship=guild.create_text_channel("mentorship"),
        helpers=guild.create_text_channel("helpers"),
        # The log channel tells organisers private things (mentoring feedback, grant
        # requests): like a real server's, only organisers, admins and the bot see it.
        log=guild.create_text_channel(
            "bot-log",
            overwrites={
                guild.default_role: hidden,
                organiser_role: shown,
                admin_role: shown,
                bot_user: shown,
            },
        ),
        general=guild.create_text_channel("general"),
        voice=guild.create_voice_channel("Flask chats"),
        stage=guild.create_stage_channel("Stage"),
        admin_role=admin_role,
        organiser_role=organiser_role,
        helper_role=helper_role,
        mentor_role=mentor_role,
        reviewer_role=reviewer_role,
        admin=guild.add_member(env.create_user("admin"), roles=[admin_role]),
        organiser=guild.add_member(env.create_user("olivia"), roles=[organiser_role]),
        helper=guild.add_member(env.create_user("hugo"), roles=[helper_role]),
        mentor=guild.add_member(env.create_user("maya"), roles=[mentor_role]),
        mentor2=guild.add_member(env.create_user("milo"), roles=[mentor_role]),
        reviewer=guild.add_member(env.create_user("rita"), roles=[reviewer_role]),
        alice=guild.add_member(env.create_user("alice")),
        bob=guild.add_member(env.create_user("bob")),
        carol=guild.add_member(env.create_user("carol")),
    )
    if configure:
        await configure_world(world)
    return world


def monthly_chat(world: World, **overrides: Any) -> dict[str, Any]:
    """Options for ``/chat-admin series-create``: a Flask chat on the second Thursday of each
    month at 17:00 in Paris, in the voice channel; ``overrides`` change any of them."""
    options: dict[str, Any] = {
        "name": "Flask chat",
        "cadence": "monthly",
        "weekday": 3,
        "week": "2",
        "time": "17:00",
        "timezone": "Europe/Paris",
        "duration": 60,
        "channel": world.voice,
    }
    return options | overrides


async def open_event_form(
    world: World,
    member: MemberActor | None = None,
    *,
    kind: str = "sprint",
    timezone: str = "Europe/Paris",
) -> Any:
    """Run ``/event create`` and accept the code of conduct when asked; return the
    result that carries the event form (``.modal``)."""
    member = member or world.organiser
    shown = await member.slash(
        world.general, "event create", kind=kind, timezone=timezone
    )
    if shown.modal is None:
        assert shown.response is not None
        shown = await member.click(shown.response, label="I accept the code of conduct")
    assert shown.modal is not None
    return shown


def has_button(message: Any, label: str) -> bool:
    """Whether ``message`` (a simcord message) carries a button labelled ``label``."""
    for row in getattr(message, "components", None) or []:
        data = row if isinstance(row, dict) else row.to_dict()
        if any(child.get("label") == label for child in data.get("components", [])):
            return True
    return False


async def confirm_understood(
    member: MemberActor, result: simcord.InteractionResult
) -> simcord.InteractionResult:
    """Press Confirm under what the bot understood (a date typed in a form or an
    option) and return what that answered; a refusal is returned as it came."""
    if result.response is None or not has_button(result.response, "Confirm"):
        return result
    return await member.click(result.response, label="Confirm")


async def create_chat_series(
    world: World, member: MemberActor | None = None, **overrides: Any
) -> simcord.InteractionResult:
    """Run ``/chat-admin series-create`` with :func:`monthly_chat`'s options (an override of
    ``None`` leaves that option out) and confirm the first chat the bot shows."""
    member = member or world.organiser
    options = {
        k: v for k, v in monthly_chat(world, **overrides).items() if v is not None
    }
    shown = await member.slash(world.general, "chat-admin series-create", **options)
    return await confirm_understood(member, shown)


async def submit_event_form(
    member: MemberActor, shown: simcord.InteractionResult, values: dict[str, str]
) -> simcord.InteractionResult:
    """Fill in the event form and confirm the times the bot read: the result carries
    the preview with its Publish button (or the refusal)."""
    return await confirm_understood(member, await member.submit_modal(shown, values))


#: The world's role for each of the bot's roles.
WORLD_ROLES: dict[Role, str] = {
    Role.ORGANISER: "organiser_role",
    Role.HELPER: "helper_role",
    Role.MENTOR: "mentor_role",
    Role.GRANTS_REVIEWER: "reviewer_role",
}


def grant_commands(world: World) -> None:
    """Show the hidden role groups to the roles that use them (the admin's step in
    Server Settings > Integrations that ``/setup roles`` describes)."""
    bot = world.env.bot
    assert isinstance(bot, PalletsBot)
    backend = world.env.backend
    for name, roles in role_groups(bot.tree).items():
        command = backend.commands.get(None, {}).get((name, 1))
        if command is None:
            continue  # not synced here
        world.guild.set_command_permissions(
            int(command["id"]),
            {getattr(world, WORLD_ROLES[role]): True for role in roles},
        )


def show_to_everyone(world: World, name: str) -> None:
    """Show a hidden command to every member of the world, as an admin might by
    mistake: the bot's own role check must still refuse."""
    command = world.env.backend.commands[None][(name, 1)]
    world.guild.set_command_permissions(
        int(command["id"]), {member: True for member in world.members().values()}
    )


async def configure_world(world: World) -> None:
    """Run ``/setup channels`` and ``/setup roles`` as the admin, and show the hidden
    commands to the roles that use them."""
    await world.admin.slash(
        world.general,
        "setup channels",
        announcements=world.announcements,
        questions=world.questions,
        events=world.events,
        mentorship=world.mentorship,
        helpers=world.helpers,
        log=world.log,
    )
    await world.admin.slash(
        world.general,
        "setup roles",
        organiser=world.organiser_role,
        helper=world.helper_role,
        mentor=world.mentor_role,
        grants_reviewer=world.reviewer_role,
    )
    grant_commands(world)


_member_locales: dict[int, str] = {}
_original_base_payload = sim_interactions.base_payload


def _base_payload_with_locale(*args: Any, **kwargs: Any) -> Any:
    record, payload = _original_base_payload(*args, **kwargs)
    locale = _member_locales.get(int(kwargs.get("user_id", 0)))
    if locale is not None:
        payload["locale"] = locale
    return record, payload


sim_interactions.base_payload = _base_payload_with_locale


@contextlib.contextmanager
def member_locale(member: MemberActor, locale: str) -> Iterator[None]:
    """Make ``member``'s interactions carry ``locale`` (simcord always says en-US)."""
    previous = _member_locales.get(member.id)
    _member_locales[member.id] = locale
    try:
        yield
    finally:
        if previous is None:
            _member_locales.pop(member.id, None)
        else:
            _member_locales[member.id] = previous


def set_member_locale(member: MemberActor, locale: str | None) -> None:
    """Set (or with ``None`` clear) ``member``'s client locale for good."""
    if locale is None:
        _member_locales.pop(member.id, None)
    else:
        _member_locales[member.id] = locale


async def post_question(
    world: World, member: MemberActor, title: str, body: str
) -> ChannelHandle:
    """Open a post in the questions forum as ``member``, as Discord delivers it.

    simcord's actors cannot open forum posts, so the thread is created with the member
    as owner and the starter message is then sent into it by the member: the bot sees
    THREAD_CREATE followed by MESSAGE_CREATE, as on Discord.
    """
    backend = world.env.backend
    thread = backend.create_thread(
        world.questions.id,
        title,
        member.id,
        type=discord.ChannelType.public_thread.value,
    )
    handle = ChannelHandle(world.env, world.guild, thread)
    await world.env.settle()
    await member.send(handle, body)
    return handle


def close_dms(env: simcord.Env, member: MemberActor) -> None:
    """Make every DM to ``member`` fail as Discord does when their DMs are closed."""
    dm = member.user.dm_channel
    env.inject_error(
        "POST",
        f"/channels/{dm.id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )


def requests_since(env: simcord.Env, start: int) -> list[simcord.HttpLogEntry]:
    return env.http_requests[start:]


def message_payloads(env: simcord.Env, start: int = 0) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited since request ``start``."""
    out = []
    for entry in env.http_requests[start:]:
        if entry.method in {"POST", "PATCH"} and isinstance(entry.json, dict):
            out.append(entry.json)
    return out
