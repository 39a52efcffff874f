"""The "start here" message: where a newcomer finds every way into the community.

Organisers place it with ``/setup start-here``; it is one persistent message with a
button per way in. The message and its buttons live in the core because ``/setup``
places it and the contributing job answers its clicks: a click runs the action
``start.<choice>`` on ``bot.actions``, which the job that owns the answer registers
(the contribute job registers all five). With that job unloaded, a click gets the
core's "this button no longer works here".

It needs no members intent: a click carries the member and their roles.

The same way in answers a member who *writes* that they want to contribute
(:func:`wants_to_contribute`): the contributing job replies with what the button shows,
and triage gives such a forum post no bug-report checklist.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import discord

from bot.guilds import Channel
from bot.guilds import GuildSettings
from bot.i18n import _
from bot.safety import without_code_and_quotes
from bot.ui import DynamicButton
from bot.ui import Interaction
from bot.ui import UiInteraction
from bot.ui import View
from bot.ui import view_of


class Choice(StrEnum):
    """The ways in, each a button and the action ``start.<value>``."""

    ASK = "ask"
    CONTRIBUTE = "contribute"
    MENTOR = "mentor"
    NOTIFY = "notify"
    VOLUNTEER = "volunteer"


#: "I want to contribute", "how can I contribute?", "any good first issue?" in the
#: server's languages; a wish, not any use of the word ("thanks to all who contribute").
_WISH = re.compile(
    r"\b(?:"
    # English
    r"(?:want(?:s|ed)?|would like|'?d like|'?d love|looking|hoping|eager|keen"
    r"|trying|planning|how (?:can|do|could|should|would)|where (?:can|do|should)"
    r"|help me|get started|start(?:ing)?|begin(?:ning)?)"
    r"(?: to)?(?: [\w']+){0,4} contribut(?:e|ing)\b"
    r"|good[ -]first[ -]issues?\b"
    # French
    r"|(?:je veux|j'aimerais|je voudrais|comment|envie de)(?: [\w']+){0,4} contribuer\b"
    # Spanish, Portuguese
    r"|(?:quiero|quisiera|me gustar[ií]a|c[oó]mo|quero|queria|gostaria de)"
    r"(?: [\w']+){0,4} contribuir\b"
    # German
    r"|(?:m[oö]chte|will|w[uü]rde gerne?|wie kann ich)(?: [\w']+){0,4}"
    r" (?:beitragen|mitwirken|mithelfen|mitmachen)\b"
    r")",
    re.IGNORECASE,
)


def wants_to_contribute(text: str) -> bool:
    """Whether a message asks how to start contributing (code and quotes aside)."""
    plain = " ".join(without_code_and_quotes(text).split())
    return _WISH.search(plain) is not None


def action_name(choice: Choice) -> str:
    """The name a job registers on ``bot.actions`` to answer ``choice``."""
    return f"start.{choice.value}"


def _label(choice: Choice) -> str:
    labels = {
        Choice.ASK: _("Ask a question"),
        Choice.CONTRIBUTE: _("I want to contribute"),
        Choice.MENTOR: _("Find a mentor"),
        Choice.NOTIFY: _("Get notified"),
        Choice.VOLUNTEER: _("Volunteer"),
    }
    return labels[choice]


class StartButton(DynamicButton, template=r"pallets:start:(?P<choice>[a-z]+)"):
    """One way in; its label is drawn in the guild's language when placed."""

    #: Names no row: a choice of where to start.
    owner = None

    def __init__(self, choice: Choice, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or _label(choice),
                style=discord.ButtonStyle.primary
                if choice is Choice.CONTRIBUTE
                else discord.ButtonStyle.secondary,
                custom_id=f"pallets:start:{choice.value}",
            )
        )
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StartButton:
        try:
            choice = Choice(match["choice"])
        except ValueError:
            choice = Choice.ASK
        return cls(choice, getattr(item, "label", None))

    async def run(self, interaction: Interaction) -> None:
        await interaction.client.actions.run(action_name(self.choice), interaction)


def start_view() -> View:
    """The five buttons, labelled in the current language."""
    return view_of(*(StartButton(choice) for choice in Choice))


def start_embed(settings: GuildSettings) -> discord.Embed:
    """The message itself, in the current language (the guild's, when placed)."""
    forum = settings.channel(Channel.QUESTIONS)
    lines = [
        _(
            "Welcome to the Pallets community: Flask, Werkzeug, Jinja, Click, Quart "
            "and the pallets-eco extensions. Pick a way in:"
        ),
        "",
        _("**Ask a question**: the questions forum, where helpers answer.")
        + (f" <#{forum}>" if forum else ""),
        _(
            "**I want to contribute**: good first issues across pallets and "
            "pallets-eco, and the contributing guides."
        ),
        _("**Find a mentor**: someone to guide your first contributions."),
        _("**Get notified**: opt in to release announcements."),
        _(
            "**Volunteer**: answer questions as a helper, or care for an extension; "
            "an organiser approves."
        ),
    ]
    return discord.Embed(title=_("Start here"), description="\n".join(lines))


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (StartButton,)
