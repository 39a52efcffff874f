"""The one permission helper every cog uses.

A member may act in a role when they hold the role the guild configured for it, or
when they can manage the server (the people who configure the bot can always act).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TYPE_CHECKING
from typing import TypeVar

import discord
from discord import app_commands

from bot.errors import NotAllowed
from bot.guilds import GuildSettings
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import format_list
from bot.i18n import ngettext

if TYPE_CHECKING:
    from bot.app import PalletsBot

T = TypeVar("T")


def role_label(role: Role) -> str:
    labels = {
        Role.ORGANISER: _("organiser"),
        Role.HELPER: _("helper"),
        Role.MENTOR: _("mentor"),
        Role.GRANTS_REVIEWER: _("grants reviewer"),
        Role.RELEASES: _("release announcements"),
    }
    return labels[role]


def refusal_for(roles: tuple[Role, ...]) -> str:
    """The sentence for a member who holds none of ``roles``, in the reader's words."""
    labels = [role_label(role) for role in roles]
    return ngettext(
        "Only members with the {roles} role can do that.",
        "Only members with one of these roles can do that: {roles}.",
        len(labels),
        roles=format_list(labels, style="or"),
    )


def is_admin(member: discord.Member | discord.User) -> bool:
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    return perms.administrator or perms.manage_guild


def has_role(
    member: discord.Member | discord.User, settings: GuildSettings, *roles: Role
) -> bool:
    """Return whether ``member`` may act as any of ``roles`` in this guild."""
    if is_admin(member):
        return True
    if not isinstance(member, discord.Member):
        return False
    held = {role.id for role in member.roles}
    return any(
        (role_id := settings.role(role)) is not None and role_id in held
        for role in roles
    )


async def require_role(
    interaction: discord.Interaction[PalletsBot], *roles: Role
) -> None:
    """Raise :class:`NotAllowed` unless the member may act as one of ``roles``."""
    if interaction.guild_id is None:
        raise NotAllowed(_("This command only works in a server."))
    settings = await interaction.client.guild_config.get(interaction.guild_id)
    if not has_role(interaction.user, settings, *roles):
        raise NotAllowed(refusal_for(roles))


async def require_manage_guild(interaction: discord.Interaction[Any]) -> None:
    """Raise :class:`NotAllowed` unless the member can manage the server."""
    if not is_admin(interaction.user):
        raise NotAllowed(_("Only members who can manage the server can do that."))


def requires(*roles: Role) -> Callable[[T], T]:
    """Decorate a slash command so only members with one of ``roles`` may run it."""

    async def predicate(interaction: discord.Interaction[PalletsBot]) -> bool:
        await require_role(interaction, *roles)
        return True

    return app_commands.check(predicate)


#: Where a role group keeps the roles it is for (``Group.extras``).
_ROLES = "pallets_roles"


def member_group(name: str, description: str) -> app_commands.Group:
    """A server command group every member sees (beside a job's role groups)."""
    return app_commands.Group(name=name, description=description, guild_only=True)


def role_group(name: str, description: str, *roles: Role) -> app_commands.Group:
    """A command group for members with one of ``roles``, hidden from the others.

    Discord hides whole commands only, and only by Discord permissions, not by the
    server's roles: the group is shown to members who can manage the server (who pass
    every role check) until a server admin shows it to ``roles`` in Server Settings >
    Integrations, which ``/setup roles`` tells them. Visibility is only the client's:
    each command keeps its own role check.
    """
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
        extras={_ROLES: roles},
    )


def role_groups(tree: app_commands.CommandTree[Any]) -> dict[str, tuple[Role, ...]]:
    """Each hidden role group in ``tree`` and the roles an admin shows it to, by name."""
    return {
        command.name: command.extras[_ROLES]
        for command in sorted(tree.get_commands(), key=lambda c: c.name)
        if isinstance(command, app_commands.Group) and _ROLES in command.extras
    }
