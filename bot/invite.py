"""The permissions the bot asks for when it is invited: one list, and why each.

The invite link's ``permissions=`` number (README, docs/deployment.md) is computed
from :data:`PERMISSIONS`; ``tests/test_invite.py`` checks the list against the
Discord calls the bot makes (each call mapped to the permission Discord requires for
it), so a permission the code needs cannot be missing and one it never uses cannot
be asked for.
"""

from __future__ import annotations

import discord

#: Server-wide permissions of the bot's role, each with what it is for.
PERMISSIONS: dict[str, str] = {
    "view_channel": "see the channels it is given",
    "send_messages": "announcements, reminders, digests and the log channel",
    "send_messages_in_threads": "answers in questions, mentoring and notes threads",
    "create_public_threads": "the notes thread on a chat's announcement",
    "create_private_threads": "each mentoring pair's thread",
    "manage_threads": "tag, close and reopen members' questions",
    "manage_channels": "create the missing tags of the questions forum",
    "embed_links": "announcements, digests and status cards (embeds)",
    "attach_files": "the calendar file of /event calendar",
    "read_message_history": "find the answer a thank-you is for; open the notes thread",
    "create_events": "the Discord events of chats and community events",
    "connect": "a chat's Discord event in a voice channel (Discord requires it)",
    "manage_roles": "give and take the opt-in release role, and an accepted "
    "volunteer's helper role",
}

#: What Discord also requires to schedule an event in a Stage channel. Not asked for
#: server-wide: an organiser who holds chats in a Stage grants them to the bot's
#: role in that channel only.
STAGE_PERMISSIONS: dict[str, str] = {
    "manage_channels": "Discord requires it for a Stage event",
    "mute_members": "Discord requires it for a Stage event",
    "move_members": "Discord requires it for a Stage event",
}

SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    """The invite's permissions, from :data:`PERMISSIONS`."""
    return discord.Permissions(**dict.fromkeys(PERMISSIONS, True))


def label(name: str) -> str:
    """A permission as Discord's settings name it: ``view_channel`` is View Channels."""
    special = {"view_channel": "View Channels", "create_events": "Create Events"}
    return special.get(name) or name.replace("_", " ").title().replace(" In ", " in ")


def invite_url(application_id: int | str = "<application id>") -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope={'+'.join(SCOPES)}&permissions={permissions().value}"
    )
