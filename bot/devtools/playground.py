"""The offline playground: the real bot against simcord's simulated Discord.

A guild with channels, roles and members is created, ``/setup`` is run, and a guided
tour drives each job as members would, printing who did what and what the bot
answered, posted and scheduled. Each cog contributes its part of the tour in an
optional ``cogs/<job>/_tour.py`` that defines ``ORDER`` (an int) and
``async def tour(t: Tour) -> None``.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from bot.app import cog_names
from bot.app import create_bot
from bot.app import PalletsBot
from bot.clock import from_ts
from bot.clock import utcnow
from bot.settings import Settings

try:
    import simcord

    from bot.devtools import testing
except ImportError:  # pragma: no cover - checked by the CLI
    simcord = None  # type: ignore[assignment]


_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>|<t:(\d+):(\w)>")


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
        self._names = self._build_names()

    @property
    def bot(self) -> PalletsBot:
        bot = self.env.bot
        assert isinstance(bot, PalletsBot)
        return bot

    def _build_names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        for name, channel in self.world.channels().items():
            names[channel.id] = f"#{channel.name or name}"
        for member in self.world.members().values():
            names[member.id] = f"@{member.name}"
        for role in (
            self.world.organiser_role,
            self.world.helper_role,
            self.world.mentor_role,
            self.world.reviewer_role,
        ):
            names[role.id] = f"@{role.name}"
        return names

    def name_of(self, snowflake: int) -> str:
        return self._names.get(snowflake, f"#{snowflake}")

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

    # -- narration --------------------------------------------------------------------
    def chapter(self, title: str) -> None:
        self._echo("")
        self._echo(click.style(f"== {title} ==", bold=True))

    def say(self, text: str) -> None:
        self._echo(click.style(f"   {text}", dim=True))

    def _show_result(self, result: Any, *, clicked: int | None = None) -> None:
        if result is None:
            return
        response = getattr(result, "response", None)
        modal = getattr(result, "modal", None)
        if modal:
            self._echo(f"   bot shows a form: {modal.get('title', '')!r}")
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
        labels = _button_labels(components)
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
            if entry.method == "POST" and path.endswith("/messages"):
                where = self.name_of(int(path.split("/")[2]))
                self._echo(f"   bot posts in {where}:")
                self._show_message(
                    body.get("content"), body.get("embeds"), body.get("components")
                )
            elif entry.method == "PATCH" and "/messages/" in path:
                where = self.name_of(int(path.split("/")[2]))
                self._echo(f"   bot updates a message in {where}")
            elif entry.method == "POST" and path.endswith("/scheduled-events"):
                self._echo(f"   bot creates the Discord event {body.get('name')!r}")
            elif entry.method == "PATCH" and "/scheduled-events/" in path:
                self._echo("   bot updates a Discord event")
            elif entry.method == "POST" and path.endswith("/threads"):
                self._echo(f"   bot opens the thread {body.get('name')!r}")
            elif entry.method == "POST" and path == "/users/@me/channels":
                continue
        self.mark()

    # -- acting as members ------------------------------------------------------------
    async def slash(
        self,
        member: simcord.MemberActor,
        channel: simcord.ChannelHandle,
        command: str,
        /,
        **options: Any,
    ) -> simcord.InteractionResult:
        shown = " ".join(f"{k}:{_short(v)}" for k, v in options.items())
        self._echo(
            f"{click.style(member.name, fg='cyan')} in {self.name_of(channel.id)}: /{command} {shown}"
        )
        self.mark()
        result = await member.slash(channel, command, **options)
        before = self._seen_requests
        self._show_result(result)
        self._seen_requests = before
        self.show_activity()
        return result

    async def click(
        self, member: simcord.MemberActor, message: Any, label: str
    ) -> simcord.InteractionResult:
        self._echo(f"{click.style(member.name, fg='cyan')} clicks [{label}]")
        self.mark()
        result = await member.click(message, label=label)
        before = self._seen_requests
        self._show_result(result, clicked=getattr(message, "id", None))
        self._seen_requests = before
        self.show_activity()
        return result

    async def submit(
        self, member: simcord.MemberActor, shown: Any, values: dict[str, Any]
    ) -> simcord.InteractionResult:
        self._echo(f"{click.style(member.name, fg='cyan')} fills in the form: {values}")
        self.mark()
        result = await member.submit_modal(shown, values)
        before = self._seen_requests
        self._show_result(result)
        self._seen_requests = before
        self.show_activity()
        return result

    async def send(
        self, member: simcord.MemberActor, channel: simcord.ChannelHandle, content: str
    ) -> Any:
        self._echo(
            f"{click.style(member.name, fg='cyan')} writes in {self.name_of(channel.id)}: {content}"
        )
        self.mark()
        message = await member.send(channel, content)
        self.show_activity()
        return message

    async def post_question(
        self, member: simcord.MemberActor, title: str, body: str
    ) -> simcord.ChannelHandle:
        self._echo(
            f"{click.style(member.name, fg='cyan')} asks in #questions: {title!r}"
        )
        self.mark()
        thread = await testing.post_question(self.world, member, title, body)
        self._names[thread.id] = f"#{title}"
        self.show_activity()
        return thread

    async def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0
    ) -> None:
        span = timedelta(days=days, hours=hours, minutes=minutes)
        self._echo(click.style(f"   ... {_describe_span(span)} pass ...", fg="yellow"))
        self.mark()
        await self.env.advance_time(span.total_seconds())
        await self.env.settle()
        self.show_activity()


def _relative(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    amount = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if amount >= size:
            count = round(amount / size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if seconds > 0 else f"{text} ago"
    return "now"


def _button_labels(components: Any) -> list[str]:
    labels: list[str] = []
    for row in components or []:
        children = row.get("components", []) if isinstance(row, dict) else []
        for child in children:
            if isinstance(child, dict) and child.get("label"):
                labels.append(str(child["label"]))
    return labels


def _short(value: Any) -> str:
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, str | int | float):
        return str(name)
    text = str(value)
    return repr(text) if " " in text else text


def _describe_span(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:g} days"
    if hours >= 1:
        return f"{hours:g} hours"
    return f"{span.total_seconds() / 60:g} minutes"


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
    t.chapter("Setting up the server")
    t.say("A server manager tells the bot which channels and roles to use.")
    await testing.configure_world(t.world)
    await t.slash(t.world.admin, t.world.general, "setup show")
    visible = t.world.alice.available_commands(t.world.general)
    hidden = not any(name.startswith("setup") for name in visible)
    t.say(
        "Discord hides /setup from members without Manage Server: "
        + ("alice does not see it." if hidden else "alice sees it (unexpected!).")
    )


async def run_playground(
    *,
    interactive: bool,
    database: Path | None,
    echo: Callable[[str], None] = click.echo,
    inspect: Callable[[Tour], None] | None = None,
) -> None:
    """Run the guided tour (and then a prompt, when ``interactive``).

    ``inspect`` is called with the tour before the simulated Discord shuts down (the
    tests read its REST log).
    """
    if simcord is None:
        raise click.ClickException(
            "the playground needs simcord: pip install 'pallets-bot[playground]' "
            "(or run it with uv, which installs it)"
        )
    with tempfile.TemporaryDirectory(prefix="pallets-playground-") as tmp:
        db_path = database or Path(tmp) / "playground.sqlite3"
        settings = testing.test_settings(Path(tmp), database_path=db_path)
        bot = create_bot(settings)
        env = simcord.Env(bot)
        await env.start()
        try:
            with env.time_context():
                world = await testing.build_world(env, configure=False)
                t = Tour(world, settings, echo)
                echo(click.style("pallets-bot playground", bold=True))
                echo(
                    "The real bot, its cogs and a real SQLite file, against an offline Discord."
                )
                echo(f"Database: {db_path}")
                await _setup_tour(t)
                for _order, _name, step in tour_steps():
                    await step(t)
                t.chapter("Tour finished")
                if interactive:
                    await _prompt(t)
                if inspect is not None:
                    inspect(t)
        finally:
            await env.shutdown()
            await bot.stop_services()


_HELP = """Type a line, then Enter:
  <member> /<command> [option:value ...]   run a slash command as a member
  <member> says <channel> <text>          send a message
  advance <N>[m|h|d]                        move time forward
  members | channels | help | quit"""


async def _prompt(t: Tour) -> None:
    echo = t._echo
    echo(_HELP)
    members = t.world.members()
    channels = t.world.channels()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, _read_line)
        if line is None or line.strip() in {"quit", "exit"}:
            return
        try:
            words = shlex.split(line)
        except ValueError as exc:
            echo(f"   ? {exc}")
            continue
        if not words:
            continue
        head = words[0]
        try:
            if head == "help":
                echo(_HELP)
            elif head == "members":
                echo("   " + ", ".join(members))
            elif head == "channels":
                echo("   " + ", ".join(channels))
            elif head == "advance" and len(words) == 2:
                amount = float(words[1][:-1] if words[1][-1] in "mhd" else words[1])
                unit = words[1][-1] if words[1][-1] in "mhd" else "h"
                await t.advance(
                    **{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount}
                )
            elif head in members and len(words) >= 2 and words[1].startswith("/"):
                command, options = _parse_command(words[1:], members, channels, t)
                await t.slash(members[head], t.world.general, command, **options)
            elif head in members and len(words) >= 4 and words[1] == "says":
                await t.send(
                    members[head], channels[words[2].lstrip("#")], " ".join(words[3:])
                )
            else:
                echo("   ? not understood; type help")
        except Exception as exc:  # noqa: BLE001 - the prompt survives a typo
            echo(f"   ! {type(exc).__name__}: {exc}")


def _parse_command(
    words: list[str], members: dict[str, Any], channels: dict[str, Any], t: Tour
) -> tuple[str, dict[str, Any]]:
    parts = [words[0].lstrip("/")]
    options: dict[str, Any] = {}
    for word in words[1:]:
        if ":" not in word:
            parts.append(word)
            continue
        key, value = word.split(":", 1)
        resolved: Any = members.get(value.lstrip("@")) or channels.get(
            value.lstrip("#")
        )
        if resolved is None and value.lstrip("-").isdigit():
            resolved = int(value)
        options[key] = value if resolved is None else resolved
    return " ".join(parts), options


def _read_line() -> str | None:
    try:
        return input("playground> ")
    except EOFError:
        return None


def main_sync(interactive: bool, database: Path | None) -> None:
    asyncio.run(run_playground(interactive=interactive, database=database))
    sys.stdout.flush()
