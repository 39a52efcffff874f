"""Wording of /pages. Pure: the caller passes what it read."""

from __future__ import annotations

from bot.i18n import _
from bot.pages.people import Choices
from bot.safety import quote


def names_saved(name: str | None) -> str:
    if name is None:
        return _("The public pages now show you as \u201ca member\u201d.")
    return _(
        "The public pages now show your name, {name}, next to your questions and "
        "answers. Run this again after changing your name.",
        name=quote(name),
    )


def removed(changed: bool) -> str:
    if not changed:
        return _("Your questions and answers are already off the public pages.")
    return _(
        "Your questions and answers are off the public pages now. "
        "/pages restore puts them back."
    )


def restored(changed: bool) -> str:
    if not changed:
        return _("Your questions and answers are already on the public pages.")
    return _("Your questions and answers are back on the public pages.")


def mine(choices: Choices) -> str:
    name = (
        _("Your name on the public pages: {name}.", name=quote(choices.name))
        if choices.name
        else _("The public pages show you as \u201ca member\u201d.")
    )
    content = (
        _("Your questions and answers are off the public pages.")
        if choices.removed
        else _(
            "Your solved questions and accepted answers can appear on the public "
            "pages when the organisers publish them. /pages remove takes them off."
        )
    )
    return f"{name}\n{content}"
