"""The invite's permissions against what the code calls.

Every Discord call of the playground's tour (which drives every job) is mapped to the
permissions Discord requires for it. The invite list in ``bot/invite.py`` must cover
them all, and hold nothing no call needs. A call the table does not know fails the
test, so a new kind of call is looked at once, when it is written.
"""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot import invite
from bot.paths import ROOT
from tests.conftest import TourRun

#: Calls that need no permission of the bot's role: the command sync (the
#: applications.commands scope), the bot's own application, opening a DM.
FREE = {
    ("PUT", "/applications/{id}/commands"),
    ("GET", "/oauth2/applications/@me"),
    ("GET", "/users/@me"),
    ("POST", "/users/@me/channels"),
}

ENTITY_STAGE, ENTITY_VOICE, ENTITY_EXTERNAL = 1, 2, 3


def _route(path: str) -> str:
    return re.sub(
        r"/\d{6,}", "/{id}", re.sub(r"simcord_interaction_\d+", "{token}", path)
    )


def _needed(entry: Any, run: TourRun) -> set[str]:
    """The permissions Discord requires of the bot for one REST call."""
    method, route = entry.method, _route(entry.path)
    body: dict[str, Any] = entry.json if isinstance(entry.json, dict) else {}
    if (method, route) in FREE:
        return set()
    ids = [int(part) for part in entry.path.split("/") if part.isdigit()]
    channel = run.channels.get(ids[0]) if route.startswith("/channels/") else None
    content: set[str] = set()
    if body.get("embeds"):
        content.add("embed_links")
    if body.get("attachments") or body.get("files"):
        content.add("attach_files")
    # Interaction responses and follow-ups: Discord applies the app's own embed and
    # file permissions to them (app_permissions), nothing else.
    if route.startswith(("/interactions/", "/webhooks/")):
        inner = body.get("data")
        data: dict[str, Any] = inner if isinstance(inner, dict) else body
        return {
            name
            for name, key in (
                ("embed_links", "embeds"),
                ("attach_files", "attachments"),
            )
            if data.get(key)
        }
    if channel is not None and channel.type in (
        discord.ChannelType.private.value,
        discord.ChannelType.group.value,
    ):
        return content - {"embed_links", "attach_files"}  # a DM: no role applies
    is_thread = bool(channel is not None and channel.is_thread)
    own_thread = is_thread and getattr(channel, "owner_id", None) == run.bot_id
    if (method, route) == ("POST", "/channels/{id}/messages"):
        send = "send_messages_in_threads" if is_thread else "send_messages"
        reply = {"read_message_history"} if body.get("message_reference") else set()
        return {"view_channel", send} | content | reply
    if (method, route) == ("PATCH", "/channels/{id}/messages/{id}"):
        return {"view_channel"} | content  # its own message
    if method == "GET" and route.startswith("/channels/{id}/messages"):
        return {"view_channel", "read_message_history"}
    if (method, route) == ("GET", "/guilds/{id}/members/{id}"):
        # One member, fetched by id (an organiser the bot has seen, checked before a
        # pair's thread): no permission, and no members intent either.
        return set()
    if (method, route) == ("GET", "/channels/{id}"):
        return {"view_channel"}
    if (method, route) == ("PATCH", "/channels/{id}"):
        if is_thread:
            moderating = {"applied_tags", "archived", "locked"} & set(body)
            return {"view_channel"} | (
                {"manage_threads"} if moderating and not own_thread else set()
            )
        return {"view_channel", "manage_channels"}  # a forum's tags
    if (method, route) == ("POST", "/channels/{id}/threads"):
        private = body.get("type") == discord.ChannelType.private_thread.value
        return {
            "view_channel",
            "create_private_threads" if private else "create_public_threads",
        }
    if (method, route) == ("POST", "/channels/{id}/messages/{id}/threads"):
        return {"view_channel", "create_public_threads"}
    if (method, route) == ("PUT", "/channels/{id}/thread-members/{id}"):
        return {"view_channel", "send_messages_in_threads"}
    if route == "/guilds/{id}/members/{id}/roles/{id}" and method in ("PUT", "DELETE"):
        # The opt-in release role and an accepted volunteer's helper role; Discord
        # also needs the bot's highest role above the role it gives.
        return {"manage_roles"}
    if (method, route) == ("DELETE", "/channels/{id}/messages/{id}"):
        return {"view_channel"}  # its own message (a start-here message moved)
    if route.startswith("/guilds/{id}/scheduled-events"):
        # Create Events creates events and edits or deletes the bot's own; it edits
        # no other (chats adopt only an event whose creator is the bot).
        needed = {"create_events"}
        if method == "POST":
            entity = body.get("entity_type")
            if entity == ENTITY_VOICE:
                needed |= {"view_channel", "connect"}
            elif entity == ENTITY_STAGE:
                # Granted in the Stage channel, not by the invite (see bot/invite.py).
                needed |= {"view_channel"} | {
                    f"stage:{name}" for name in invite.STAGE_PERMISSIONS
                }
        return needed
    raise AssertionError(
        f"{method} {route}: which permission does it need? Add it to this table "
        "(and to bot/invite.py if the bot's role must hold it)"
    )


def test_the_invite_asks_for_what_the_calls_need_and_nothing_else(
    tour_run: TourRun,
) -> None:
    needed: dict[str, list[str]] = {}
    for entry in tour_run.requests:
        for name in _needed(entry, tour_run):
            needed.setdefault(name, []).append(f"{entry.method} {_route(entry.path)}")
    asked = set(invite.PERMISSIONS) | {f"stage:{n}" for n in invite.STAGE_PERMISSIONS}
    missing = set(needed) - asked
    assert not missing, {name: needed[name][:3] for name in missing}
    unused = set(invite.PERMISSIONS) - set(needed)
    assert not unused, f"asked for but never needed: {sorted(unused)}"
    # The two the issue named: forum tags need Manage Channels; nothing reacts.
    assert "manage_channels" in needed and "add_reactions" not in asked


def test_every_name_is_a_discord_permission() -> None:
    for name in [*invite.PERMISSIONS, *invite.STAGE_PERMISSIONS]:
        assert name in discord.Permissions.VALID_FLAGS, name
    assert invite.permissions().value == sum(
        discord.Permissions.VALID_FLAGS[name] for name in invite.PERMISSIONS
    )


@pytest.mark.parametrize("page", ["README.md", "docs/deployment.md"])
def test_the_docs_give_the_number_and_name_every_permission(page: str) -> None:
    text = " ".join((ROOT / page).read_text("utf-8").split())
    number = str(invite.permissions().value)
    assert f"`{number}`" in text
    assert re.findall(r"permissions=(\d+)", text) in (
        [],
        [number] * text.count("permissions="),
    )
    for name in invite.PERMISSIONS:
        assert invite.label(name) in text, (page, invite.label(name))
    assert "Add Reactions" not in text
