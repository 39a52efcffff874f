"""Views, modals, persistent buttons, the action registry and the one paginator.

The base classes set the member's language before a callback runs and send every
error through :func:`bot.errors.report`, so a button or modal behaves like a slash
command. Use them instead of ``discord.ui.View``/``Modal``/``DynamicItem`` directly.

A persistent button draws and parses its ``custom_id`` and nothing else: what a click
*does* is an action, registered by the job's engine on ``bot.actions`` next to its job
kinds (the way the scheduler's handlers are), and looked up by name when the click
arrives. No view imports its cog, so there is no cog <-> views import circle, and a
click after a restart finds the same handler as one before it.

Every list that pages uses :func:`show_page`: a loader registered under a name
returns one :class:`Page`, and the Previous/Next buttons are persistent too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import ClassVar
from typing import Self
from typing import TYPE_CHECKING

import discord

from bot.errors import report
from bot.errors import UserError
from bot.i18n import _
from bot.replies import defer
from bot.replies import reply
from bot.safety import fit_content
from bot.safety import fit_embed

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.app import PalletsBot

    #: The interaction every command, button and modal of the bot receives.
    Interaction = discord.Interaction[PalletsBot]
else:
    Interaction = discord.Interaction[Any]

#: What discord.ui's overridable methods receive: any client's interaction.
UiInteraction = discord.Interaction[Any]

#: What a click runs: ``handler(interaction, *args)``, args parsed from the custom_id.
Action = Callable[..., Awaitable[None]]
#: What a short-lived button runs, given by whoever builds its view.
OnClick = Callable[["Interaction"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: what to show, which page it is (from 0), how many.

    ``items`` are the page's own buttons (one per entry shown, say), drawn above
    Previous/Next; they should be persistent, as the paging buttons are.
    """

    embed: discord.Embed
    number: int
    count: int
    items: tuple[discord.ui.Item[Any], ...] = ()


#: Builds page ``number`` of a named list for this interaction; ``arg`` is the
#: list's filter as the first call gave it (a tag, say), or "".
PageLoader = Callable[[Interaction, int, str], Awaitable[Page]]


class Actions:
    """The bot's registry of click handlers and page loaders (``bot.actions``)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Action] = {}
        self._pages: dict[str, PageLoader] = {}

    def register(self, name: str, handler: Action) -> None:
        """Name what a button does; ``name`` is ``<job>.<action>``."""
        if name in self._handlers:
            raise ValueError(f"action {name!r} is already registered")
        self._handlers[name] = handler

    def register_pages(self, name: str, loader: PageLoader) -> None:
        """Name a list that pages, for :func:`show_page`."""
        if name in self._pages:
            raise ValueError(f"page list {name!r} is already registered")
        self._pages[name] = loader

    def unregister(self, *names: str) -> None:
        for name in names:
            self._handlers.pop(name, None)
            self._pages.pop(name, None)

    def __contains__(self, name: object) -> bool:
        """Whether a loaded job answers the action ``name``."""
        return name in self._handlers

    async def run(self, name: str, interaction: Interaction, *args: Any) -> None:
        """Run the handler registered as ``name`` (a job unloaded: a clear refusal)."""
        handler = self._handlers.get(name)
        if handler is None:
            raise UserError(_("This button no longer works here."))
        await handler(interaction, *args)

    async def page(
        self, name: str, interaction: Interaction, number: int, arg: str
    ) -> Page:
        loader = self._pages.get(name)
        if loader is None:
            raise UserError(_("This button no longer works here."))
        return await loader(interaction, number, arg)


async def enter_interaction(interaction: UiInteraction) -> None:
    """Make the member's language current for the rest of this interaction."""
    await interaction.client.enter_interaction(interaction)


class View(discord.ui.View):
    async def interaction_check(self, interaction: UiInteraction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def on_error(
        self,
        interaction: UiInteraction,
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        await report(interaction, error)


def view_of(*items: discord.ui.Item[Any]) -> View:
    """A view holding ``items`` that never times out (for persistent buttons)."""
    view = View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class Modal(discord.ui.Modal):
    async def interaction_check(self, interaction: UiInteraction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def on_error(  # type: ignore[override]  # discord.py's Modal narrows it too
        self, interaction: UiInteraction, error: Exception, /
    ) -> None:
        await report(interaction, error)


async def check_guild(
    owner: tuple[str, str] | None, args: tuple[Any, ...], interaction: Interaction
) -> None:
    """Refuse a click in one server on what belongs to another (defence in depth: a
    custom_id can be forged; the handlers look rows up by id alone). ``owner`` is
    the table and column that ``args[0]`` names a row of."""
    if owner is None or interaction.guild_id is None or not args:
        return  # in a DM the row's own server is used by the handler
    table, column = owner
    row = await interaction.client.db.fetchone(
        f"SELECT guild_id FROM {table} WHERE {column} = ?",  # noqa: S608 - class constants
        (args[0],),
    )
    if row is not None and row["guild_id"] != interaction.guild_id:
        log.warning("refused a click on %s %s of another server", table, args[0])
        raise UserError(_("This button no longer works here."))


class DynamicButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"(?!)",  # matches nothing: only subclasses are registered
):
    """A persistent button whose ``custom_id`` carries its state.

    Subclasses declare ``template=r"pallets:<job>:<action>:(?P<id>[0-9]+)"``, the
    registered :attr:`action` they run, and set :attr:`args` (what the click acts
    on) in ``__init__``; a click runs ``bot.actions.run(action, interaction, *args)``.
    They are registered with ``bot.add_dynamic_items``.
    """

    #: The name of the action in ``bot.actions`` this button runs.
    action: ClassVar[str] = ""
    #: Rebuild with the label the message was posted with (``cls(id, label)``): for
    #: buttons whose label was written for that message, e.g. in the guild's language.
    keeps_label: ClassVar[bool] = False
    #: What the action is called with, after the interaction.
    args: tuple[Any, ...] = ()
    #: The table, and its column, that ``args[0]`` names a row of: a click in a
    #: server runs only on a row of that server (``guild_id``), whatever id the
    #: custom_id carries. Every subclass declares it, ``None`` for a button that
    #: names no row (a test checks).
    owner: ClassVar[tuple[str, str] | None] = None

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Build the button from its id: by default one integer group, ``cls(id)``.

        Buttons whose custom_id carries more than one number override this.
        """
        (value,) = match.groups()
        if cls.keeps_label:
            label = getattr(item, "label", None)
            return cls(int(value), label)  # type: ignore[arg-type, call-arg]  # (id, label)
        return cls(int(value))  # type: ignore[arg-type]  # subclasses take an id

    async def interaction_check(self, interaction: UiInteraction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def callback(self, interaction: UiInteraction) -> None:
        try:
            await check_guild(self.owner, self.args, interaction)
            await self.run(interaction)
        except Exception as error:  # noqa: BLE001 - every error is reported once
            await report(interaction, error)

    async def run(self, interaction: Interaction) -> None:
        await interaction.client.actions.run(self.action, interaction, *self.args)


class AnswerButton(DynamicButton, template=r"(?!)"):
    """One of two answers about a row (accept or decline, yes or no), the first one
    green: its ``custom_id`` is ``<prefix>:<id>:<letter>``, and a click runs the
    action with ``(id, True)`` for the first answer, ``(id, False)`` for the second.

    Subclasses declare ``template=r"<prefix>:(?P<id>[0-9]+):(?P<answer>[yn])"`` (with
    their :attr:`letters`), :attr:`prefix`, :attr:`owner` and :meth:`label`.
    """

    #: The custom_id before the row's id (``pallets:ext:offer``).
    prefix: ClassVar[str] = ""
    #: The letter of each answer in the custom_id: the first, the second.
    letters: ClassVar[tuple[str, str]] = ("y", "n")
    owner: ClassVar[tuple[str, str] | None] = None

    def __init__(self, row_id: int, first: bool, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or self.label(first),
                style=discord.ButtonStyle.success
                if first
                else discord.ButtonStyle.secondary,
                custom_id=f"{self.prefix}:{row_id}:{self.letters[0 if first else 1]}",
            )
        )
        self.args = (row_id, first)

    @classmethod
    def label(cls, first: bool) -> str:
        """The button's words for the first or the second answer."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        label = getattr(item, "label", None) if cls.keeps_label else None
        return cls(int(match["id"]), match["answer"] == cls.letters[0], label)


class DynamicSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"(?!)",  # matches nothing: only subclasses are registered
):
    """A persistent select menu: like :class:`DynamicButton`, its ``custom_id``
    carries what it acts on, and a choice runs ``bot.actions.run(action,
    interaction, *args, values)`` with the chosen values (strings).

    Subclasses declare ``template=r"pallets:<job>:<action>:(?P<id>[0-9]+)"``, the
    :attr:`action` and :attr:`args`, and draw their options in ``__init__`` (after a
    restart the select is rebuilt from its id alone: the options are the message's).
    """

    action: ClassVar[str] = ""
    args: tuple[Any, ...] = ()
    #: As :attr:`DynamicButton.owner`.
    owner: ClassVar[tuple[str, str] | None] = None

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        (value,) = match.groups()
        return cls(int(value))  # type: ignore[arg-type]  # subclasses take an id

    async def interaction_check(self, interaction: UiInteraction, /) -> bool:
        await enter_interaction(interaction)
        return True

    async def callback(self, interaction: UiInteraction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(v) for v in data.get("values", [])]
        try:
            await check_guild(self.owner, self.args, interaction)
            await interaction.client.actions.run(
                self.action, interaction, *self.args, values
            )
        except Exception as error:  # noqa: BLE001 - every error is reported once
            await report(interaction, error)


# -- the one paginator -----------------------------------------------------------------
_PAGE_ARG = re.compile(r"[^:]{0,40}")


class PageButton(
    DynamicButton,
    template=r"pallets:page:(?P<name>[a-z0-9_.]+):(?P<page>[0-9]+):(?P<dir>[pn]):(?P<arg>[^:]*)",
):
    """Previous or Next on a paged list: the list's name, the target page, its filter."""

    #: No row of its own: each list's loader reads the interaction's server (the
    #: topics of a chat check that the chat is of that server).
    owner = None

    def __init__(
        self, name: str, page: int, direction: str, arg: str, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Previous") if direction == "p" else _("Next"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"pallets:page:{name}:{page}:{direction}:{arg}",
                disabled=disabled,
            )
        )
        self.name = name
        self.page = page
        self.arg = arg

    @classmethod
    async def from_custom_id(
        cls,
        interaction: UiInteraction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PageButton:
        return cls(match["name"], int(match["page"]), match["dir"], match["arg"])

    async def run(self, interaction: Interaction) -> None:
        # An ephemeral list is the clicker's own: turn it. A public one is everyone's:
        # answer the clicker alone with the page they asked for.
        own = interaction.message is not None and interaction.message.flags.ephemeral
        await show_page(interaction, self.name, self.page, self.arg, edit=own)


def page_view(name: str, page: Page, arg: str = "") -> View | None:
    """The page's own items, then Previous/Next for ``page`` of the list ``name``
    (only when there is more than one page); None when that leaves nothing."""
    if page.count <= 1:
        return view_of(*page.items) if page.items else None
    return view_of(
        *page.items,
        PageButton(name, max(page.number - 1, 0), "p", arg, disabled=page.number <= 0),
        PageButton(
            name,
            min(page.number + 1, page.count - 1),
            "n",
            arg,
            disabled=page.number >= page.count - 1,
        ),
    )


async def show_page(
    interaction: Interaction,
    name: str,
    number: int = 0,
    arg: str = "",
    *,
    edit: bool = False,
    ephemeral: bool = True,
) -> None:
    """Answer with page ``number`` of the list ``name`` (edit the message when asked).

    ``arg`` is kept in the buttons' ``custom_id``, so it must be short and free of
    colons (a tag name, an id); longer filters are cut to fit. The "Page x of y"
    footer is added unless the loader's embed has a footer of its own (which then
    says which page it is).
    """
    arg = _PAGE_ARG.match(arg)[0]  # type: ignore[index]  # always matches
    page = await interaction.client.actions.page(name, interaction, max(number, 0), arg)
    await send_page(interaction, name, page, arg, edit=edit, ephemeral=ephemeral)


async def send_page(
    interaction: Interaction,
    name: str,
    page: Page,
    arg: str = "",
    *,
    edit: bool = False,
    ephemeral: bool = True,
) -> None:
    """Answer with ``page`` of the list ``name``, loaded already (a command that read
    the first page to see whether there is anything to list: one read, not two)."""
    arg = _PAGE_ARG.match(arg)[0]  # type: ignore[index]  # always matches
    if page.count > 1 and not page.embed.footer.text:
        page.embed.set_footer(
            text=_("Page {page} of {pages}", page=page.number + 1, pages=page.count)
        )
    view = page_view(name, page, arg)
    if edit:
        # A loader that needed time acknowledged the click first (a deferred update).
        if interaction.response.is_done():
            await interaction.edit_original_response(
                embed=fit_embed(page.embed), view=view
            )
        else:
            await interaction.response.edit_message(
                embed=fit_embed(page.embed), view=view
            )
        return
    await reply(interaction, embed=page.embed, view=view, ephemeral=ephemeral)


def page_bounds(number: int, total: int, size: int) -> tuple[int, int, int]:
    """Clamp page ``number`` of ``total`` items, ``size`` a page: (page, count, offset)."""
    count = max((total + size - 1) // size, 1)
    number = min(max(number, 0), count - 1)
    return number, count, number * size


# -- confirm what the bot understood ------------------------------------------------------
class ConfirmView(View):
    """Confirm or Edit, under what the bot understood and before anything is saved.

    Short-lived and only ever shown to the member who asked (ephemeral). ``confirm``
    does the work and answers with :func:`answer`, which turns this message into the
    result; ``edit`` opens the form again with what the member typed.
    """

    def __init__(self, *, confirm: OnClick, edit: OnClick) -> None:
        super().__init__(timeout=900)
        self._confirm = confirm
        self._edit = edit
        self._confirmed = False
        yes: discord.ui.Button[ConfirmView] = discord.ui.Button(
            label=_("Confirm"), style=discord.ButtonStyle.success
        )
        change: discord.ui.Button[ConfirmView] = discord.ui.Button(
            label=_("Edit"), style=discord.ButtonStyle.secondary
        )
        yes.callback = self._yes  # type: ignore[method-assign]
        change.callback = self._change  # type: ignore[method-assign]
        self.add_item(yes)
        self.add_item(change)

    async def _yes(self, interaction: UiInteraction) -> None:
        if self._confirmed:
            raise UserError(_("This is already confirmed."))
        self._confirmed = True
        try:
            await self._confirm(interaction)
        except BaseException:
            self._confirmed = False  # refused: the member may edit and try again
            raise
        self.stop()

    async def _change(self, interaction: UiInteraction) -> None:
        if self._confirmed:
            raise UserError(_("This is already confirmed."))
        await self._edit(interaction)


def _from_own_message(interaction: Interaction) -> bool:
    """A click (or a form opened by one) on the member's own ephemeral message."""
    message = interaction.message
    return (
        interaction.type
        in (discord.InteractionType.component, discord.InteractionType.modal_submit)
        and message is not None
        and message.flags.ephemeral
    )


async def hold(interaction: Interaction) -> None:
    """Acknowledge before slow work; a click on the member's own message keeps it."""
    if interaction.response.is_done():
        return
    if _from_own_message(interaction):
        await interaction.response.defer()
    else:
        await defer(interaction)


async def answer(
    interaction: Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: View | None = None,
) -> None:
    """Reply; from the member's own message (a confirmation), turn it into the answer."""
    if not _from_own_message(interaction):
        await reply(interaction, content, embed=embed, view=view)
        return
    embeds = [fit_embed(embed)] if embed is not None else []
    if interaction.response.is_done():
        await interaction.edit_original_response(
            content=fit_content(content), embeds=embeds, view=view
        )
    else:
        await interaction.response.edit_message(
            content=fit_content(content), embeds=embeds, view=view
        )


async def ask_to_confirm(
    interaction: Interaction, content: str, *, confirm: OnClick, edit: OnClick
) -> None:
    """Show ``content`` (what the bot understood) with Confirm and Edit.

    After an edit (a form opened from Edit), the same message is updated in place.
    """
    await answer(interaction, content, view=ConfirmView(confirm=confirm, edit=edit))


PERSISTENT_ITEMS: tuple[type[DynamicButton], ...] = (PageButton,)
