"""The offline playground: the real bot against simcord's simulated Discord.

A guild with channels, roles and members is created, ``/setup`` is run, and a guided
tour drives each job as members would, printing who did what and what the bot
answered, posted and scheduled. Each cog contributes its part of the tour in an
optional ``cogs/<job>/_tour.py`` that defines ``ORDER`` (an int) and
``async def tour(t: Tour) -> None``. ``--interactive`` then hands over to a prompt
(:mod:`bot.devtools.prompt`) where you act as the members yourself.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import re
import sys
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import discord

from bot.app import cog_names
from bot.app import create_bot
from bot.app import PalletsBot
from bot.clock import from_ts
from bot.clock import utcnow
from bot.settings import Settings
from bot.web import WebServer

try:
    import simcord
    from simcord import ChannelHandle

    from bot.devtools import testing
except ImportError:  # pragma: no cover - checked by the CLI
    simcord = None  # type: ignore[assignment]


_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>|<t:(\d+):(\w)>")
_DM_TYPES = (discord.ChannelType.private.value, discord.ChannelType.group.value)

#: The member of the playground whose Discord speaks French (not in the test world).
FRENCH_MEMBER = "chloe"
#: Where ``--web`` serves the public pages unless told otherwise.
DEFAULT_WEB_PORT = 8000

#: What each member of the world is, for the tour and the prompt's ``members``.
ROLES = {
    "admin": "manages the server",
    "organiser": "organiser",
    "helper": "helper",
    "mentor": "mentor",
    "mentor2": "mentor",
    "reviewer": "grants reviewer",
}


class Tour:
    """What a cog's tour step uses to act as members and show what the bot did."""

    def __init__(
        self, world: testing.World, settings: Settings, echo: Callable[[str], None]
    ) -> None:
        self.world = world
        self.env = world.env
        self.settings = settings
        self._echo = echo
        self._seen_requests = len(self.env.http_requests)
        #: Members by the name they go by (olivia, hugo, ...), extra members included.
        self.members: dict[str, simcord.MemberActor] = {
            member.name: member for member in world.members().values()
        }
        #: Each member's client locale, where it is not simcord's en-US.
        self.locales: dict[str, str] = {}
        #: The last form the bot showed each member (by member id), to fill in.
        self.forms: dict[int, Any] = {}
        #: Where the public pages are served (``--web`` or the prompt's ``web``).
        self.web_url: str | None = None
        #: The port ``web`` serves on (0: any free port).
        self.web_port = DEFAULT_WEB_PORT

    @property
    def bot(self) -> PalletsBot:
        bot = self.env.bot
        assert isinstance(bot, PalletsBot)
        return bot

    # -- names --------------------------------------------------------------------------
    def name_of(self, snowflake: int) -> str:
        """How Discord shows a mention: #channel (threads too), @member, @role."""
        backend = self.env.backend
        channel = backend.channels.get(snowflake)
        if channel is not None:
            if channel.type in _DM_TYPES:
                return self.where(snowflake)
            return f"#{channel.name or snowflake}"
        user = backend.users.get(snowflake)
        if user is not None:
            return f"@{user.name}"
        for role in backend.get_guild(self.world.guild.id).roles.values():
            if role.id == snowflake:
                return f"@{role.name}"
        return f"#{snowflake}"

    def where(self, channel_id: int) -> str:
        """Where a message goes, in words: #general, thread 'Title', DM to alice."""
        backend = self.env.backend
        channel = backend.channels.get(channel_id)
        if channel is None:
            return f"#{channel_id}"
        if channel.type in _DM_TYPES:
            bot_id = self.bot.user.id if self.bot.user else None
            people = [
                backend.users[user_id].name
                for user_id in channel.recipient_ids
                if user_id != bot_id and user_id in backend.users
            ]
            return f"DM to {', '.join(people) or 'someone'}"
        if channel.is_thread:
            return f"thread {channel.name!r}"
        return f"#{channel.name}"

    def readable(self, text: str) -> str:
        """Replace mentions and Discord timestamps with names and UTC times."""

        def swap(match: re.Match[str]) -> str:
            if match.group(3):
                moment = from_ts(int(match.group(3)))
                if match.group(4) == "R":
                    return _relative(moment - utcnow())
                return moment.strftime("%a %d %b %Y %H:%M UTC")
            return self.name_of(int(match.group(2)))

        return _MENTION.sub(swap, text)

    # -- narration ----------------------------------------------------------------------
    def chapter(self, title: str) -> None:
        self._echo("")
        self._echo(click.style(f"== {title} ==", bold=True))

    def say(self, text: str) -> None:
        self._echo(click.style(f"   {text}", dim=True))

    def note(self, text: str) -> None:
        """A line about the playground itself (a refusal at the prompt, a hint)."""
        self._echo(click.style(f"   ? {text}", fg="magenta"))

    def _show_result(
        self, member: simcord.MemberActor, result: Any, *, clicked: int | None = None
    ) -> None:
        if result is None:
            return
        response = getattr(result, "response", None)
        modal = getattr(result, "modal", None)
        if modal:
            self.forms[member.id] = result
            fields = ", ".join(field.name for field in form_fields(modal))
            self._echo(
                f"   bot shows a form: {modal.get('title', '')!r} (fields: {fields})"
            )
        for message in ([response] if response else []) + list(result.followups):
            if clicked is not None and message.id == clicked:
                self._echo("   bot updates that message:")
            else:
                scope = "only you see" if message.ephemeral else "everyone sees"
                self._echo(f"   bot replies ({scope}):")
            self._show_message(message.content, message.embeds, message.components)
        self.mark()

    def _show_message(self, content: str | None, embeds: Any, components: Any) -> None:
        if content:
            for line in self.readable(content).splitlines():
                self._echo(f"     | {line}")
        for embed in embeds or []:
            title = getattr(embed, "title", None) or (
                embed.get("title") if isinstance(embed, dict) else None
            )
            description = getattr(embed, "description", None) or (
                embed.get("description") if isinstance(embed, dict) else None
            )
            if title:
                self._echo(f"     | [{self.readable(title)}]")
            if description:
                for line in self.readable(description).splitlines():
                    self._echo(f"     |   {line}")
            fields = getattr(embed, "fields", None) or (
                embed.get("fields", []) if isinstance(embed, dict) else []
            )
            for field in fields:
                name = getattr(field, "name", None) or field.get("name")
                value = getattr(field, "value", None) or field.get("value")
                first, *rest = self.readable(str(value)).splitlines() or [""]
                self._echo(f"     |   {self.readable(str(name))}: {first}")
                for line in rest:
                    self._echo(f"     |     {line}")
        labels = button_labels(components)
        if labels:
            self._echo("     | " + " ".join(f"[{label}]" for label in labels))

    def mark(self) -> None:
        """Forget activity so far; :meth:`show_activity` prints only what follows."""
        self._seen_requests = len(self.env.http_requests)

    def show_activity(self) -> None:
        """Print what the bot posted, edited or created since the last mark."""
        for entry in self.env.http_requests[self._seen_requests :]:
            body = entry.json if isinstance(entry.json, dict) else {}
            path = entry.path
            if path.startswith("/webhooks/"):
                continue  # the interaction's own answer: shown with the result
            if entry.method == "POST" and path.endswith("/messages"):
                channel_id = int(path.split("/")[2])
                if self.where(channel_id).startswith("DM to "):
                    self._echo(f"   bot sends a {self.where(channel_id)}:")
                else:
                    self._echo(f"   bot posts in {self.where(channel_id)}:")
                self._show_message(
                    body.get("content"), body.get("embeds"), body.get("components")
                )
            elif entry.method == "PATCH" and "/messages/" in path:
                where = self.where(int(path.split("/")[2]))
                self._echo(f"   bot updates a message in {where}")
            elif entry.method == "POST" and path.endswith("/scheduled-events"):
                self._echo(f"   bot creates the Discord event {body.get('name')!r}")
            elif entry.method == "PATCH" and "/scheduled-events/" in path:
                self._echo("   bot updates a Discord event")
            elif entry.method == "POST" and path.endswith("/threads"):
                self._echo(f"   bot opens the thread {body.get('name')!r}")
        self.mark()

    def _actor(self, member: simcord.MemberActor) -> str:
        locale = self.locales.get(member.name)
        name = click.style(member.name, fg="cyan")
        return f"{name} ({locale})" if locale else name

    def say_hidden(self, text: str, member: simcord.MemberActor, command: str) -> None:
        """Say ``text``, then whether Discord shows ``command`` to ``member`` (it
        should not: the commands of a role are hidden from the other members)."""
        visible = member.available_commands(self.world.general)
        hidden = not any(name.split()[0] == command for name in visible)
        seen = "does not see it." if hidden else "sees it (unexpected!)."
        self.say(f"{text}: {member.name} {seen}")

    # -- acting as members --------------------------------------------------------------
    async def slash(
        self,
        member: simcord.MemberActor,
        channel: simcord.ChannelHandle,
        command: str,
        /,
        **options: Any,
    ) -> simcord.InteractionResult:
        shown = " ".join(f"{k}:{_short(v, self.readable)}" for k, v in options.items())
        self._echo(
            f"{self._actor(member)} in {self.where(channel.id)}: /{command} {shown}".rstrip()
        )
        self.mark()
        result = await member.slash(channel, command, **options)
        return self._answered(member, result)

    def _answered(
        self,
        member: simcord.MemberActor,
        result: simcord.InteractionResult,
        clicked: int | None = None,
    ) -> simcord.InteractionResult:
        """Show the bot's answer to ``member``, then everything else it did since the
        mark (showing the answer must not move the mark)."""
        before = self._seen_requests
        self._show_result(member, result, clicked=clicked)
        self._seen_requests = before
        self.show_activity()
        return result

    async def click(
        self, member: simcord.MemberActor, message: Any, label: str
    ) -> simcord.InteractionResult:
        self._echo(f"{self._actor(member)} clicks [{label}]")
        self.mark()
        result = await member.click(message, label=label)
        return self._answered(member, result, getattr(message, "id", None))

    async def select(
        self,
        member: simcord.MemberActor,
        message: Any,
        values: list[str],
        shown: str,
        *,
        custom_id: str | None = None,
    ) -> simcord.InteractionResult:
        """Choose ``values`` in the message's select menu (``shown``: what the member
        picks, in words; ``custom_id``: which menu, when there are several)."""
        self._echo(f"{self._actor(member)} chooses {shown}")
        self.mark()
        result = await member.select(message, values, custom_id=custom_id)
        return self._answered(member, result, getattr(message, "id", None))

    async def submit(
        self, member: simcord.MemberActor, shown: Any, values: dict[str, Any]
    ) -> simcord.InteractionResult:
        self._echo(f"{self._actor(member)} fills in the form: {values}")
        self.mark()
        result = await member.submit_modal(shown, values)
        self.forms.pop(member.id, None)
        return self._answered(member, result)

    async def send(
        self, member: simcord.MemberActor, channel: simcord.ChannelHandle, content: str
    ) -> Any:
        self._echo(
            f"{self._actor(member)} writes in {self.where(channel.id)}: {content}"
        )
        self.mark()
        message = await member.send(channel, content)
        self.show_activity()
        return message

    async def post_question(
        self, member: simcord.MemberActor, title: str, body: str
    ) -> simcord.ChannelHandle:
        self._echo(f"{self._actor(member)} asks in #questions: {title!r}")
        self.mark()
        thread = await testing.post_question(self.world, member, title, body)
        self.show_activity()
        return thread

    def set_locale(self, member: simcord.MemberActor, locale: str | None) -> None:
        """Make ``member``'s Discord speak ``locale`` (``None``: simcord's en-US)."""
        testing.set_member_locale(member, locale)
        if locale is None:
            self.locales.pop(member.name, None)
        else:
            self.locales[member.name] = locale

    def channel(self, channel_id: int) -> ChannelHandle:
        """A handle on any channel or thread of the server, by id."""
        return ChannelHandle(
            self.env, self.world.guild, self.env.backend.channels[channel_id]
        )

    async def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0
    ) -> None:
        span = timedelta(days=days, hours=hours, minutes=minutes)
        if span.total_seconds() <= 0:
            raise ValueError("time only moves forward")
        self._echo(click.style(f"   ... {describe_span(span)} ...", fg="yellow"))
        self.mark()
        await self.env.advance_time(span.total_seconds())
        await self.env.settle()
        self.show_activity()

    async def advance_to(self, moment: int) -> None:
        """Move time forward to the epoch second ``moment`` (no-op if it is past)."""
        seconds = moment - utcnow().timestamp()
        if seconds > 0:
            await self.advance(minutes=seconds / 60)


class FormField:
    """A field of a form (modal) the bot showed: its name to fill it by, its label."""

    def __init__(self, name: str, label: str, required: bool) -> None:
        self.name = name
        self.label = label
        self.required = required


def form_fields(modal: dict[str, Any]) -> list[FormField]:
    """The fields of a modal payload, in order (text inputs and selects)."""
    fields: list[FormField] = []

    def walk(component: dict[str, Any], label: str | None) -> None:
        own = component.get("label") or label
        if "custom_id" in component and component.get("type") != 2:
            fields.append(
                FormField(
                    str(component["custom_id"]),
                    str(own or component["custom_id"]),
                    bool(component.get("required", True)),
                )
            )
        children = list(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            children.append(component["component"])
        for child in children:
            walk(child, own)

    for row in modal.get("components", []):
        walk(row, None)
    return fields


def _relative(delta: timedelta) -> str:
    """A Discord relative timestamp as a reader sees it: "in 1 hour", "2 days ago"."""
    seconds = delta.total_seconds()
    minutes = round(abs(seconds) / 60)
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= size:
            count = round(minutes / size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if seconds > 0 else f"{text} ago"
    return "now"


def button_labels(components: Any) -> list[str]:
    labels: list[str] = []
    for row in components or []:
        children = row.get("components", []) if isinstance(row, dict) else []
        for child in children:
            if isinstance(child, dict) and child.get("label"):
                labels.append(str(child["label"]))
            elif isinstance(child, dict) and child.get("type") == 3:  # a select menu
                options = ", ".join(str(o["label"]) for o in child.get("options", []))
                labels.append(f"{child.get('placeholder') or ''} ({options})".strip())
    return labels


def _short(value: Any, readable: Callable[[str], str] = str) -> str:
    """An option's value as a member would type it: #channel, @role, 'two words'."""
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, str | int | float):
        if isinstance(value, ChannelHandle):
            return f"#{name}"
        return f"@{name}"
    text = readable(str(value))
    return repr(text) if " " in text else text


def span_words(span: timedelta) -> str:
    """A span in words, to the minute: "16 hours and 1 minute", "1 day"."""
    minutes = round(span.total_seconds() / 60)
    parts = []
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    if not parts:
        return "less than a minute"
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def describe_span(span: timedelta) -> str:
    """The narration of time moving on: "16 hours and 1 minute pass"."""
    words = span_words(span)
    one = re.fullmatch(r"1 \w+|less than a minute", words) is not None
    return f"{words} {'passes' if one else 'pass'}"


def tour_steps() -> list[tuple[int, str, Any]]:
    """Each cog's tour step, in the order the cogs ask for."""
    steps = []
    for name in cog_names():
        try:
            module = importlib.import_module(f"{name}._tour")
        except ModuleNotFoundError as exc:
            if exc.name == f"{name}._tour":
                continue
            raise
        steps.append((int(getattr(module, "ORDER", 100)), name, module.tour))
    return sorted(steps, key=lambda step: (step[0], step[1]))


async def _setup_tour(t: Tour) -> None:
    w = t.world
    t.chapter("Setting up the server")
    t.say(
        "A server manager (admin) tells the bot which channels and roles to use. "
        "The log channel is private to organisers."
    )
    await t.slash(
        w.admin,
        w.general,
        "setup channels",
        announcements=w.announcements,
        questions=w.questions,
        events=w.events,
        mentorship=w.mentorship,
        helpers=w.helpers,
        log=w.log,
    )
    await t.slash(
        w.admin,
        w.general,
        "setup roles",
        organiser=w.organiser_role,
        helper=w.helper_role,
        mentor=w.mentor_role,
        grants_reviewer=w.reviewer_role,
    )
    testing.grant_commands(w)
    t.say(
        "The roles' commands (/triage, /chat-admin, /grant-review, /mentor-tools...) "
        "are hidden from members; /setup roles told the admin to show each to its "
        "roles in Server Settings > Integrations, and they did."
    )
    t.say(
        "Public posts (announcements, reminders, digests) use the server's language; "
        "replies only one member sees use that member's. There is no Italian yet:"
    )
    await t.slash(w.admin, w.general, "setup language", language="it")
    await t.slash(w.admin, w.general, "setup language", language="en")
    t.say("Chats and events can be published as a calendar feed members subscribe to:")
    await t.slash(w.admin, w.general, "setup calendar", enabled=True)
    t.say(
        "And as public web pages (what's coming, extension health, solved "
        "questions), which anyone can read without Discord:"
    )
    await t.slash(w.admin, w.general, "setup pages", enabled=True, questions=True)
    if t.web_url:
        t.say(
            f"Open {t.web_url} in your browser: the pages follow the tour as it goes "
            "(reload them after each chapter)."
        )
    await t.slash(w.admin, w.general, "setup show")
    t.say_hidden(
        "Discord hides /setup from members without Manage Server", w.alice, "setup"
    )


async def _french_tour(t: Tour) -> None:
    w = t.world
    chloe = t.members[FRENCH_MEMBER]
    t.chapter("A member whose Discord speaks French")
    t.say(
        "Chloé's Discord is set to French. What only she sees is in French; what "
        "everyone sees stays in the server's language."
    )
    await t.slash(chloe, w.general, "chat next")
    await t.slash(chloe, w.general, "ext status", name="Flask-Login")
    t.say("An error is explained in French too:")
    await t.slash(chloe, w.general, "timezone set", timezone="Atlantide")
    t.say("Her question gets the public checklist in the server's language:")
    await t.post_question(
        chloe,
        "Blueprint introuvable",
        "Flask ne trouve pas mon blueprint: werkzeug.routing.BuildError.",
    )


@contextlib.contextmanager
def _logs_in_the_story(echo: Callable[[str], None]) -> Iterator[None]:
    """Show the bot's warnings as lines of the tour, not as stray lines on stderr.

    Without a handler, Python prints a warning on stderr, in the middle of the tour,
    where a staged upstream failure looks like a crash.
    """

    class ToTour(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            level = record.levelname.lower()
            echo(
                click.style(
                    f"   bot logs ({level}): {record.getMessage()}", fg="yellow"
                )
            )

    handler = ToTour(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


async def start_web(t: Tour) -> str:
    """Serve the public pages (and the calendar feed) on 127.0.0.1; their address.

    Started from the playground's side, not inside the bot's own work: a browser's
    open connections then never hold up the tour, which waits for the bot's work to
    settle after each step.
    """
    bot = t.bot
    if bot.web is None:
        bot.settings = bot.settings.model_copy(
            update={"http_host": "127.0.0.1", "http_port": t.web_port}
        )
        web = WebServer(bot)
        await web.start()
        bot.web = web
        url = f"http://127.0.0.1:{web.port}"
        bot.settings = bot.settings.model_copy(update={"public_url": url})
    assert bot.web is not None
    t.web_url = f"http://127.0.0.1:{bot.web.port}/{t.world.guild.id}/"
    return t.web_url


def _wait_for_enter() -> None:
    """Until Enter, or the end of the input (a pipe, a closed terminal)."""
    with contextlib.suppress(EOFError):
        input()


async def run_playground(
    *,
    interactive: bool,
    database: Path | None,
    echo: Callable[[str], None] = click.echo,
    inspect: Callable[[Tour], None] | None = None,
    tour: bool = True,
    lines: Iterable[str] | None = None,
    web: bool = False,
    web_port: int = DEFAULT_WEB_PORT,
) -> None:
    """Run the guided tour (and then a prompt, when ``interactive``).

    ``tour=False`` sets the server up and goes straight to the prompt; ``lines`` feed
    the prompt instead of the keyboard. ``inspect`` is called with the tour before the
    simulated Discord shuts down (the tests read its REST log). ``web`` serves the
    public pages on 127.0.0.1:``web_port`` (0: any free port) while the tour runs; without
    the prompt they stay up until Enter is pressed.
    """
    if simcord is None:
        raise click.ClickException(
            "the playground needs simcord: pip install 'pallets-bot[playground]' "
            "(or run it with uv, which installs it)"
        )
    with (
        tempfile.TemporaryDirectory(prefix="pallets-playground-") as tmp,
        _logs_in_the_story(echo),
    ):
        db_path = database or Path(tmp) / "playground.sqlite3"
        settings = testing.test_settings(
            Path(tmp),
            database_path=db_path,
            # The calendar feed's address, as a server with a web front would have.
            public_url="https://pallets-bot.example.org",
        )
        bot = create_bot(settings)
        # The extension watch's weekly check fetches a few hundred answers from the
        # fake upstream on loopback: real I/O that simcord waits for as it settles.
        env = simcord.Env(bot, settle_timeout=120)
        await env.start()
        t: Tour | None = None
        try:
            with env.time_context():
                world = await testing.build_world(env, configure=False)
                t = Tour(world, settings, echo)
                t.web_port = web_port
                if web:
                    url = await start_web(t)
                    echo(click.style(f"The public pages: {url}", bold=True))
                chloe = world.guild.add_member(env.create_user(FRENCH_MEMBER))
                t.members[FRENCH_MEMBER] = chloe
                t.set_locale(chloe, "fr")
                echo(click.style("pallets-bot playground", bold=True))
                echo(
                    "The real bot, its cogs and a real SQLite file, against an offline Discord."
                )
                echo(f"Database: {db_path}")
                if tour:
                    await _setup_tour(t)
                    for _order, _name, step in tour_steps():
                        await step(t)
                    await _french_tour(t)
                    t.chapter("Tour finished")
                else:
                    await testing.configure_world(world)
                    t.mark()
                if interactive:
                    from bot.devtools.prompt import Prompt

                    await Prompt(t).run(lines)
                elif t.web_url and lines is None:
                    echo(f"The pages stay up at {t.web_url} until you press Enter.")
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(None, _wait_for_enter)
                if inspect is not None:
                    inspect(t)
        finally:
            if t is not None:
                for member in t.members.values():
                    testing.set_member_locale(member, None)
            await env.shutdown()
            await bot.stop_services()


def main_sync(
    interactive: bool,
    database: Path | None,
    tour: bool = True,
    web: bool = False,
    web_port: int = DEFAULT_WEB_PORT,
) -> None:
    asyncio.run(
        run_playground(
            interactive=interactive,
            database=database,
            tour=tour,
            web=web,
            web_port=web_port,
        )
    )
    sys.stdout.flush()
