"""Errors a member can cause, and the one place that reports every error."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.db import DatabaseFull
from bot.i18n import _
from bot.i18n import guild_language
from bot.i18n import member_language
from bot.refusals import explain
from bot.refusals import Refused

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)


class UserError(app_commands.AppCommandError):
    """Bad input or a refused action: shown to the member, ephemeral, nothing changed.

    The message is already translated: ``raise UserError(_("Unknown timezone."))``.
    It is an ``AppCommandError`` so that raising it from a check reaches the handler.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The member lacks the role or permission the action needs."""


class RetryLater(Exception):
    """A timed job could not run now (Discord down, rate limited) and should retry."""


def unwrap(error: BaseException) -> BaseException:
    """Return the error a command raised, without discord.py's wrappers."""
    while isinstance(
        error, app_commands.CommandInvokeError | app_commands.TransformerError
    ):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None or inner is error:
            break
        error = inner
    return error


def is_expected(error: BaseException) -> bool:
    """Return whether ``error`` is a designed refusal (bad input, no permission)."""
    error = unwrap(error)
    return isinstance(
        error,
        UserError | Refused | app_commands.CheckFailure | app_commands.NoPrivateMessage,
    )


def message_for(error: BaseException) -> tuple[str, bool]:
    """Return the text shown to the member, and whether the error was expected."""
    if isinstance(
        error, app_commands.CommandInvokeError | app_commands.TransformerError
    ):
        inner = error.__cause__ or getattr(error, "original", None) or error
        if inner is not error:
            return message_for(inner)
    if isinstance(error, UserError):
        return error.message, True
    if isinstance(error, Refused):
        return explain(error), True
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        if isinstance(error, app_commands.CommandOnCooldown):
            return (
                _(
                    "Slow down: try again in {seconds} seconds.",
                    seconds=round(error.retry_after),
                ),
                True,
            )
        return _("You are not allowed to do that here."), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return _("This command only works in a server."), True
    if isinstance(error, discord.Forbidden):
        return (
            _(
                "I am missing a Discord permission for that. "
                "A server manager can check my role."
            ),
            True,
        )
    if isinstance(error, discord.HTTPException) and (
        error.status == 429 or error.status >= 500
    ):
        # Discord's trouble, not a bug of ours: the member can simply try again.
        return (
            _(
                "Discord did not answer properly just now (error {status}). "
                "Please try again in a minute.",
                status=error.status,
            ),
            True,
        )
    if isinstance(error, DatabaseFull):
        # Not the member's fault, and not a bug: logged, and the organisers told.
        return (
            _(
                "I could not save that: my storage is full. Nothing was changed; "
                "please try again later."
            ),
            False,
        )
    error_id = secrets.token_hex(4)
    error.__dict__.setdefault("error_id", error_id)
    return (
        _(
            "Sorry, something went wrong on my side. "
            "If it keeps happening, tell an organiser: error {error_id}.",
            error_id=error_id,
        ),
        False,
    )


def describe_interaction(data: Any) -> dict[str, Any]:
    """What a component or form interaction was, for the log, without its values.

    A form's data holds every field a member typed (a grant's purpose, mentoring
    feedback) and a select's the options they chose: the log keeps the ids, and for
    each value only its length.
    """
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for name in ("custom_id", "component_type", "name", "type"):
        if name in data:
            out[name] = data[name]
    if "values" in data:
        out["values"] = f"<{len(data['values'])} redacted>"
    fields: dict[str, str] = {}
    for row in data.get("components") or ():
        children = row.get("components") if isinstance(row, dict) else None
        for item in children or (
            [row.get("component")] if row.get("component") else []
        ):
            if not isinstance(item, dict):
                continue
            value = item.get("value", item.get("values"))
            size = len(value) if isinstance(value, str | list) else 0
            fields[str(item.get("custom_id"))] = f"<{size} redacted>"
    if fields:
        out["fields"] = fields
    return out


async def report(
    interaction: discord.Interaction[PalletsBot], error: BaseException
) -> None:
    """Tell the member what went wrong (ephemeral, in their language) and log it."""
    with member_language():
        text, expected = message_for(error)
    command = interaction.command.qualified_name if interaction.command else None
    if not expected:
        original = getattr(error, "original", None) or error.__cause__ or error
        log.error(
            "unexpected error %s in %s",
            error.__dict__.get("error_id"),
            command or describe_interaction(interaction.data),
            exc_info=original,
            extra={
                "guild_id": interaction.guild_id,
                "user_id": interaction.user.id,
                "command": command,
            },
        )
    elif isinstance(unwrap(error), discord.HTTPException):
        log.warning(
            "Discord error in %s: %s",
            command or describe_interaction(interaction.data),
            unwrap(error),
            extra={"guild_id": interaction.guild_id, "command": command},
        )
    from bot.replies import reply

    try:
        await reply(interaction, text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the member about an error", exc_info=True)
    if isinstance(unwrap(error), DatabaseFull) and interaction.guild_id is not None:
        await _tell_organisers_storage_full(interaction.client, interaction.guild_id)


#: At most one "storage is full" notice per guild in this many seconds.
STORAGE_FULL_NOTICE_SECONDS = 15 * 60


async def _tell_organisers_storage_full(bot: PalletsBot, guild_id: int) -> None:
    with guild_language():
        text = _(
            "The bot's storage is full: members' changes cannot be saved and they "
            "are asked to try again later. Whoever runs the bot should free disk "
            "space; nothing already saved is lost."
        )
    await bot.notices.post_once(
        guild_id, "storage-full", text, every=STORAGE_FULL_NOTICE_SECONDS
    )
