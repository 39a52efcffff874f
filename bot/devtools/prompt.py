"""The playground's prompt: act as any member, as they would in Discord.

Type ``help`` at the prompt for the list, with an example of each. Slash-command
options are read the way Discord reads them: by the synced command's option types
(so ``week:1`` stays text where the option is text), channels, members and roles by
name. Mistakes get a sentence that says what would work, never a traceback.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import shlex
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from simcord import ChannelHandle
from simcord import MemberActor
from simcord.results import ResponseMessage

from bot.devtools.commands_doc import leaves
from bot.devtools.commands_doc import value_options
from bot.devtools.playground import form_fields
from bot.devtools.playground import ROLES
from bot.devtools.playground import start_web
from bot.devtools.playground import Tour

HELP = """\
Type a line, then Enter. Members: olivia (organiser), hugo (helper), maya and milo
(mentors), rita (grants reviewer), alice, bob, carol, chloe (French), admin.

  <member> /<command> [option:value ...]   run a slash command (in #general)
      alice /chat next
      olivia /chat-admin series-create name:"Tea chat" cadence:monthly weekday:Friday week:1 time:18:00 timezone:Europe/Paris duration:60 channel:"Flask chats"
  <member> in <channel or thread> /<command> ...   run it somewhere else
      bob in "db.session.add does not save my user" /solved
  <member> click <label> [in <channel>]    press a button on the last message that has it
      alice click Interested
      bob click Going in #events
  <member> fill <field>:<value> ...        fill in and send the form the bot showed them
      olivia /chat-admin notes series:"Flask chat"
      olivia fill summary:"We talked about async views."
  <member> asks "<title>" <text>           open a post in the questions forum
      carol asks "Jinja loop variable" How do I get the index in a for loop?
  <member> says <channel> <text>           write a message (a thread: its title, quoted)
      hugo says "Jinja loop variable" Use loop.index.
  <member> locale <code>                   their Discord's language: fr, de, es-ES, pt-BR, en-US
      bob locale de
  advance <amount>                         move time forward: 30m, 6h, 2d, 2w, 1d12h
      advance 2w
  web                                      serve the public pages on localhost, to open in a browser
      admin /setup pages enabled:true questions:true
      web
  members | channels                       who and what is there
  help | quit"""

#: What the prompt's ``web`` checks, by name and path below the server's pages.
WEB_PAGES = (
    ("front page", ""),
    ("upcoming", "upcoming"),
    ("solved questions", "questions"),
)

_SPAN = re.compile(r"(\d+(?:\.\d+)?)([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
#: Discord's option types (the synced payload's ``type``).
_STRING, _INTEGER, _BOOLEAN, _USER, _CHANNEL, _ROLE, _MENTIONABLE, _NUMBER = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
)
_LOCALES = {locale.value.lower(): locale.value for locale in discord.Locale}
_LOCALES |= {"es": "es-ES", "pt": "pt-BR", "pt_br": "pt-BR", "en": "en-US"}


class Mistake(Exception):
    """A line the prompt cannot act on; the message says what would work."""


def parse_span(text: str) -> timedelta:
    """``2w``, ``1d12h``, ``30m`` (a bare number is hours) as a span of time."""
    cleaned = text.strip().lower()
    if cleaned.startswith("-"):
        raise Mistake("time only moves forward: advance 30m, 6h, 2d or 2w")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        cleaned += "h"
    if not cleaned or _SPAN.sub("", cleaned):
        raise Mistake(
            f"{text!r} is not an amount of time: try 30m, 6h, 2d, 2w or 1d12h"
        )
    span = timedelta(
        **{
            _UNITS[unit]: sum(
                float(amount) for amount, u in _SPAN.findall(cleaned) if u == unit
            )
            for unit in {u for _a, u in _SPAN.findall(cleaned)}
        }
    )
    if span <= timedelta(0):
        raise Mistake("time only moves forward: advance 30m, 6h, 2d or 2w")
    return span


def _suggest(word: str, names: Iterable[str], what: str) -> str:
    names = list(names)
    close = difflib.get_close_matches(word, names, n=3, cutoff=0.5)
    if close:
        return f"no {what} {word!r}; did you mean {' or '.join(close)}?"
    return f"no {what} {word!r}; there are: {', '.join(names)}"


@dataclass
class Command:
    path: str
    options: list[dict[str, Any]]


class Prompt:
    """Reads lines and acts on them as the members of the playground's server."""

    def __init__(self, tour: Tour) -> None:
        self.t = tour
        self.world = tour.world
        self.env = tour.env

    # -- the loop -----------------------------------------------------------------------
    async def run(self, lines: Iterable[str] | None = None) -> None:
        """Act on ``lines`` (default: what is typed) until ``quit`` or the end."""
        self.t._echo(HELP)
        source = iter(lines) if lines is not None else None
        while True:
            line = await self._next(source)
            if line is None or line.strip() in {"quit", "exit"}:
                return
            if line.strip():
                if source is not None:  # typed lines are on the screen already
                    self.t._echo(f"playground> {line.strip()}")
                await self.handle(line)

    @staticmethod
    async def _next(source: Iterator[str] | None) -> str | None:
        if source is not None:
            return next(source, None)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, _read_line)

    async def handle(self, line: str) -> None:
        """Act on one line; a mistake is told, never raised."""
        try:
            await self._dispatch(line)
        except Mistake as exc:
            self.t.note(str(exc))
        except Exception as exc:  # noqa: BLE001 - the prompt survives anything
            # simcord's refusals (a button that is gone, a form already sent) say
            # what happened in words; their class name helps nobody here.
            self.t.note(f"that did not work: {exc}")

    async def _dispatch(self, line: str) -> None:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise Mistake(f"{exc} (close your quotes)") from None
        head, rest = words[0].lower(), words[1:]
        if head == "help":
            self.t._echo(HELP)
        elif head == "members":
            self._members()
        elif head == "channels":
            self._channels()
        elif head == "web":
            await self.web()
        elif head == "advance":
            if len(rest) != 1:
                raise Mistake("advance takes one amount: advance 2d (or 30m, 6h, 2w)")
            span = parse_span(rest[0])
            await self.t.advance(minutes=span.total_seconds() / 60)
        else:
            member = self.member(words[0])
            await self._as_member(member, rest)

    async def _as_member(self, member: MemberActor, words: list[str]) -> None:
        if not words:
            raise Mistake(f"what does {member.name} do? Type help for examples")
        verb = words[0]
        where = self.world.general
        if verb == "in" and len(words) >= 3:
            where = self.channel(words[1])
            words = words[2:]
            verb = words[0]
        if verb.startswith("/"):
            await self.slash(member, where, words)
        elif verb == "click" and len(words) >= 2:
            within = None
            if len(words) >= 4 and words[-2] == "in":
                within, words = self.channel(words[-1]), words[:-2]
            await self.click(member, " ".join(words[1:]), within)
        elif verb == "fill":
            await self.fill(member, words[1:])
        elif verb == "asks" and len(words) >= 3:
            await self.t.post_question(member, words[1], " ".join(words[2:]))
        elif verb == "says" and len(words) >= 3:
            await self.t.send(member, self.channel(words[1]), " ".join(words[2:]))
        elif verb == "locale" and len(words) == 2:
            self.locale(member, words[1])
        else:
            raise Mistake(
                f"{verb!r} is not something a member does here: a /command, click, "
                "fill, asks, says or locale (type help for examples)"
            )

    async def web(self) -> None:
        """Serve the public pages and say where, with what each page answers now."""
        url = await start_web(self.t)
        answers = []
        async with aiohttp.ClientSession() as session:
            for name, path in WEB_PAGES:
                async with session.get(url + path, allow_redirects=False) as response:
                    answers.append(f"{name} {response.status}")
        self.t.say(f"The public pages are at {url} (open it in your browser).")
        self.t.say("Right now: " + ", ".join(answers) + ".")
        if answers[0].endswith("404"):
            self.t.say(
                "They are off in this server: admin /setup pages enabled:true "
                "questions:true turns them on."
            )

    # -- who and where ------------------------------------------------------------------
    def _aliases(self) -> dict[str, MemberActor]:
        aliases = dict(self.t.members)
        for alias, member in self.world.members().items():
            aliases.setdefault(alias, member)
        return aliases

    def member(self, name: str) -> MemberActor:
        aliases = self._aliases()
        found = aliases.get(name.lower().lstrip("@"))
        if found is None:
            raise Mistake(_suggest(name, self.t.members, "member"))
        return found

    def _places(self) -> dict[str, int]:
        """Every channel and thread a member can name, by lower-case name."""
        backend = self.env.backend
        return {
            (channel.name or "").lower(): channel.id
            for channel in backend.channels.values()
            if channel.guild_id == self.world.guild.id and channel.name
        }

    def channel(self, name: str) -> ChannelHandle:
        wanted = name.lower().lstrip("#")
        places = self._places()
        if wanted in places:
            return self.t.channel(places[wanted])
        starts = [key for key in places if key.startswith(wanted)]
        if len(starts) == 1:
            return self.t.channel(places[starts[0]])
        raise Mistake(_suggest(name, sorted(places), "channel or thread"))

    def _members(self) -> None:
        roles = {
            member.name: ROLES[alias]
            for alias, member in self.world.members().items()
            if alias in ROLES
        }
        listed = []
        for name in self.t.members:
            notes = [roles[name]] if name in roles else []
            if name in self.t.locales:
                notes.append(f"Discord in {self.t.locales[name]}")
            listed.append(f"{name} ({', '.join(notes)})" if notes else name)
        self.t._echo("   " + ", ".join(listed))

    def _channels(self) -> None:
        backend = self.env.backend
        channels, threads = [], []
        for channel in backend.channels.values():
            if channel.guild_id != self.world.guild.id or not channel.name:
                continue
            if channel.is_thread:
                threads.append(repr(channel.name))
            elif channel.type == discord.ChannelType.forum.value:
                channels.append(f"#{channel.name} (forum)")
            elif channel.type == discord.ChannelType.voice.value:
                channels.append(f"{channel.name!r} (voice)")
            elif channel.type == discord.ChannelType.stage_voice.value:
                channels.append(f"{channel.name!r} (stage)")
            elif channel.type != discord.ChannelType.category.value:
                channels.append(f"#{channel.name}")
        self.t._echo("   channels: " + ", ".join(channels))
        if threads:
            self.t._echo("   threads: " + ", ".join(threads))

    # -- slash commands -----------------------------------------------------------------
    def commands(self) -> dict[str, Command]:
        synced = list(self.env.backend.commands.get(None, {}).values())
        return {
            path: Command(path, value_options(leaf))
            for path, leaf in leaves(
                [c for c in synced if c.get("type", 1) == 1]  # slash commands
            )
        }

    def _command(self, words: list[str]) -> tuple[Command, list[str]]:
        """The command the words name (``/chat next``), and the words left over."""
        known = self.commands()
        name = [words[0].lstrip("/")]
        rest = words[1:]
        while rest and ":" not in rest[0] and " ".join(name) not in known:
            name.append(rest.pop(0))
        path = " ".join(name)
        if path not in known:
            group = [p for p in known if p.split()[0] == name[0]]
            if path == name[0] and group:
                raise Mistake(f"/{path} needs one of: /{', /'.join(group)}")
            close = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
            hint = (
                f"did you mean /{' or /'.join(close)}?"
                if close
                else "type help, or see docs/commands.md"
            )
            raise Mistake(f"there is no /{path}; {hint}")
        return known[path], rest

    def _value(self, option: dict[str, Any], raw: str) -> Any:
        kind = option["type"]
        name = option["name"]
        if option.get("choices"):
            for choice in option["choices"]:
                if raw.lower() in (
                    str(choice["name"]).lower(),
                    str(choice["value"]).lower(),
                ):
                    return choice["value"]
            names = ", ".join(str(choice["name"]) for choice in option["choices"])
            raise Mistake(f"{name} is one of: {names}")
        if kind == _INTEGER:
            if not re.fullmatch(r"-?\d+", raw):
                raise Mistake(f"{name} takes a whole number, not {raw!r}")
            return int(raw)
        if kind == _NUMBER:
            try:
                return float(raw)
            except ValueError:
                raise Mistake(f"{name} takes a number, not {raw!r}") from None
        if kind == _BOOLEAN:
            if raw.lower() in {"true", "yes", "on", "1"}:
                return True
            if raw.lower() in {"false", "no", "off", "0"}:
                return False
            raise Mistake(f"{name} is true or false")
        if kind == _CHANNEL:
            return self.channel(raw)
        if kind == _USER:
            return self.member(raw)
        if kind in (_ROLE, _MENTIONABLE):
            roles = {
                role.name.lower(): role
                for role in (
                    self.world.admin_role,
                    self.world.organiser_role,
                    self.world.helper_role,
                    self.world.mentor_role,
                    self.world.reviewer_role,
                )
            }
            if raw.lower().lstrip("@") in roles:
                return roles[raw.lower().lstrip("@")]
            if kind == _MENTIONABLE:
                return self.member(raw)
            raise Mistake(_suggest(raw, [r.name for r in roles.values()], "role"))
        return raw  # text stays text: week:1 is "1"

    async def slash(
        self, member: MemberActor, where: ChannelHandle, words: list[str]
    ) -> None:
        command, rest = self._command(words)
        by_name = {option["name"]: option for option in command.options}
        values: dict[str, Any] = {}
        for word in rest:
            if ":" not in word:
                raise Mistake(
                    f"{word!r}: options are written name:value"
                    + (
                        f" (/{command.path} takes {', '.join(by_name)})"
                        if by_name
                        else ""
                    )
                )
            key, raw = word.split(":", 1)
            if key not in by_name:
                takes = ", ".join(by_name) or "no options"
                raise Mistake(
                    f"/{command.path} has no option {key!r}; it takes: {takes}"
                )
            values[key] = self._value(by_name[key], raw)
        missing = [
            name
            for name, option in by_name.items()
            if option.get("required") and name not in values
        ]
        if missing:
            raise Mistake(
                f"/{command.path} needs {', '.join(f'{m}:...' for m in missing)}"
            )
        await self.t.slash(member, where, command.path, **values)

    # -- buttons and forms --------------------------------------------------------------
    def _buttons(self, message: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def walk(component: dict[str, Any]) -> None:
            if component.get("type") == 2 and component.get("label"):
                if not component.get("disabled") and component.get("style") != 5:
                    found.append(component)
            for child in component.get("components") or []:
                walk(child)
            if isinstance(component.get("accessory"), dict):
                walk(component["accessory"])

        for row in message.components:
            walk(row)
        return found

    @staticmethod
    def _matches(label: str, wanted: str) -> bool:
        """``Going`` presses ``Going (2)``: counts on a button change as people click."""
        plain = re.sub(r"\s*\(\d+\)$", "", label).lower()
        return wanted.lower() in (label.lower(), plain)

    async def click(
        self, member: MemberActor, label: str, within: ChannelHandle | None
    ) -> None:
        backend = self.env.backend
        channels = (
            [within.id]
            if within is not None
            else [
                channel.id
                for channel in backend.channels.values()
                if channel.guild_id == self.world.guild.id
            ]
        )
        candidates = sorted(
            (
                message
                for channel_id in channels
                for message in backend.messages.get(channel_id, {}).values()
                if message.visible_to(member.id)
            ),
            key=lambda message: message.id,
            reverse=True,
        )
        for message in candidates:
            for button in self._buttons(message):
                if self._matches(str(button["label"]), label):
                    shown = ResponseMessage(self.env, message)
                    await self.t.click(member, shown, str(button["label"]))
                    return
        place = f" in {self.t.where(within.id)}" if within is not None else ""
        raise Mistake(
            f"no message{place} that {member.name} can see has a [{label}] button"
        )

    async def fill(self, member: MemberActor, words: list[str]) -> None:
        shown = self.t.forms.get(member.id)
        if shown is None or shown.modal is None:
            raise Mistake(
                f"no form is open for {member.name}: run the command or click the "
                "button that shows one first"
            )
        fields = form_fields(shown.modal)
        by_name = {field.name.lower(): field for field in fields}
        by_name |= {field.label.lower(): field for field in fields}
        names = ", ".join(field.name for field in fields)
        values: dict[str, str] = {}
        for word in words:
            key, sep, value = word.partition(":")
            field = by_name.get(key.lower())
            if not sep or field is None:
                raise Mistake(f"the form has the fields {names}; write field:value")
            values[field.name] = value
        missing = [f.name for f in fields if f.required and f.name not in values]
        if missing:
            raise Mistake(
                f"the form also needs {', '.join(f'{m}:...' for m in missing)}"
            )
        await self.t.submit(member, shown, values)

    def locale(self, member: MemberActor, code: str) -> None:
        locale = _LOCALES.get(code.lower().replace("_", "-")) or _LOCALES.get(
            code.lower()
        )
        if locale is None:
            raise Mistake(
                f"{code!r} is not a Discord language; try fr, de, es-ES, pt-BR or en-US"
            )
        self.t.set_locale(member, None if locale == "en-US" else locale)
        self.t.say(f"{member.name}'s Discord is now in {locale}.")


def _read_line() -> str | None:
    try:
        return input("playground> ")
    except EOFError:
        return None
