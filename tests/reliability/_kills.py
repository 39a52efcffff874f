"""Kill the bot at enumerated steps of its work, with Discord alive across the kills.

The real-process crash tests (``crash_child.py``) lose their simulated Discord with
every kill, so they cannot show what a resend long after a crash does. Here the bot
runs in-process on simcord and a kill is emulated at an exact step:

- **before the send**: the request never reaches Discord;
- **after Discord stored it**: Discord applied the request, the answer never came;
- **after the commit**: the database recorded the result.

At the kill, the committed state of the database is copied (what a SIGKILL leaves),
the bot's requests from then on never reach Discord, and its later database writes
are thrown away when the copy is put back. The bot then stays down for a drawn
downtime (simulated time passes; Discord keeps what it has) and a fresh bot starts
on the copy. Besides kills, the *indeterminate* case: Discord applies a request and
the answer is lost (a 502), the bot keeps running.

The workload is synthetic job kinds that use the core's primitives the cogs use:
a post, a DM, an edit, a Discord scheduled event and a private thread through
their jobs, and a reply a member's message asks for (no job: the outbox's own);
and one piece of a cog's real work started by a member, a mentoring claim (the
pairing, then the pair's private thread, its members and the welcome; killed
around the thread).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.backend.errors import BackendError
from simcord.http import client as sim_client

from bot.app import create_bot
from bot.app import PalletsBot
from bot.clock import utcnow
from bot.devtools.testing import World
from bot.outbox import Outbox
from bot.scheduler import Job
from bot.scheduler import Scheduler
from bot.settings import Settings
from cogs.mentorship._cog import MentorshipCog
from tests.reliability._discord import restore
from tests.reliability._discord import snapshot

#: What a kill can interrupt, and how each is told apart on the wire.
KINDS = ("post", "dm", "edit", "event", "thread", "reply", "claim")
STEPS = ("before", "stored", "committed")
#: Discord applies the request, the answer is lost; the bot keeps running.
LOST = "lost"
_TEXT = re.compile(r"^(post|dm|reply|edited|event|thread) (\d+)$")
#: A mentoring pair's thread, numbered by its pairing.
_PAIR_THREAD = re.compile(r"^Mentoring #(\d+)$")
#: The outbox keys whose commit is a kill point, and the kind each belongs to.
_COMMITTED = re.compile(r"(?:crash:(\w+)|mentorship:(thread)):(\d+)")
#: A job is disturbed (killed or its answer lost) at most this often: more would
#: make it a poison job, which is another test's business.
MAX_DISTURBANCES = 2
FOREVER = 10**7


@dataclass(frozen=True)
class Point:
    kind: str
    step: str
    #: Let this many occurrences pass first.
    skip: int


def points() -> list[Point]:
    """Every kill point, then every lost answer, each kind in turn."""
    kills = [Point(kind, step, 0) for step in STEPS for kind in KINDS]
    lost = [Point(kind, LOST, 0) for kind in KINDS if kind != "reply"]
    return kills + lost


def identify(route: Any, kwargs: dict[str, Any]) -> tuple[str, int] | None:
    """(kind, number) of a request of the workload, or None."""
    body = kwargs.get("json")
    if not isinstance(body, dict):
        return None
    method, path = route.method, route.path
    text = None
    if method == "POST" and path == "/channels/{channel_id}/messages":
        text = body.get("content")
    elif method == "PATCH" and path == "/channels/{channel_id}/messages/{message_id}":
        text = body.get("content")
    elif method == "POST" and path in (
        "/guilds/{guild_id}/scheduled-events",
        "/channels/{channel_id}/threads",
    ):
        text = body.get("name")
    pair = _PAIR_THREAD.match(str(text or "")) if path.endswith("/threads") else None
    if pair is not None:
        return "claim", int(pair.group(1))
    match = _TEXT.match(str(text or ""))
    if match is None:
        return None
    kind = "edit" if match.group(1) == "edited" else match.group(1)
    return kind, int(match.group(2))


@dataclass
class Killer:
    database: Path
    spare: Path
    armed: Point | None = None
    seen: int = 0
    #: A kill landed and the bot has not been brought back yet.
    dead: bool = False
    landed: int = 0
    lost: int = 0
    landed_at: Counter[tuple[str, str]] = field(default_factory=Counter)
    disturbed: Counter[tuple[str, int]] = field(default_factory=Counter)
    #: HTTP clients of killed bots: their requests never reach Discord. Held, not
    #: their ids: a freed client's id can be reused by the next bot's client, whose
    #: requests (its login) would then park forever.
    dead_clients: list[Any] = field(default_factory=list)

    def arm(self, point: Point) -> None:
        self.armed, self.seen = point, 0

    def at(self, kind: str, n: int, step: str, client: Any) -> bool:
        """Whether the armed point is here: then it happens (a kill or a loss)."""
        point = self.armed
        if self.dead or point is None or (point.kind, point.step) != (kind, step):
            return False
        if self.disturbed[kind, n] >= MAX_DISTURBANCES:
            return False
        if self.seen < point.skip:
            self.seen += 1
            return False
        self.armed = None
        self.disturbed[kind, n] += 1
        if step == LOST:
            self.lost += 1
            return True
        snapshot(self.database, self.spare)
        self.dead = True
        self.landed += 1
        self.landed_at[kind, step] += 1
        self.dead_clients.append(client)
        return True


async def park() -> None:
    """What a killed process does from now on: nothing (until the bot is detached)."""
    await asyncio.sleep(FOREVER)


def install_wire(killer: Killer, monkeypatch: Any) -> None:
    """Kill points and lost answers around every request of every bot."""
    original = sim_client.FakeHTTPClient.request

    async def request(self: Any, route: Any, **kwargs: Any) -> Any:
        if any(self is dead for dead in killer.dead_clients):
            await park()
        ident = identify(route, kwargs)
        if ident is not None and killer.at(*ident, "before", self):
            await park()
        result = await original(self, route, **kwargs)
        if ident is not None:
            if killer.at(*ident, "stored", self):
                await park()
            if killer.at(*ident, LOST, self):
                sim_client._raise_for(BackendError(502, 0, "Bad Gateway (answer lost)"))
        return result

    monkeypatch.setattr(sim_client.FakeHTTPClient, "request", request)

    def committed(method: Any) -> Any:
        async def wrapped(self: Outbox, key: str, *args: Any, **kwargs: Any) -> Any:
            result = await method(self, key, *args, **kwargs)
            match = _COMMITTED.fullmatch(key)
            if match:
                kind = "claim" if match.group(2) else match.group(1)
                if killer.at(kind, int(match.group(3)), "committed", self._bot.http):
                    await park()
            return result

        return wrapped

    monkeypatch.setattr(Outbox, "_sent", committed(Outbox._sent))
    monkeypatch.setattr(Outbox, "_adopt", committed(Outbox._adopt))
    finished = Scheduler._finished

    async def job_finished(self: Scheduler, job: Job, state: str, reason: Any) -> None:
        await finished(self, job, state, reason)
        match = re.fullmatch(r"crash:edit:(\d+)", job.key)
        if match and state == "done":
            bot = self._pallets_bot  # type: ignore[attr-defined]
            if killer.at("edit", int(match.group(1)), "committed", bot.http):
                await park()

    monkeypatch.setattr(Scheduler, "_finished", job_finished)


# -- the workload -----------------------------------------------------------------------------
@dataclass
class Workload:
    world: World
    made: Counter[str] = field(default_factory=Counter)
    #: The anchor message each edit job edits.
    anchors: dict[int, int] = field(default_factory=dict)
    #: Replies members asked for (their message was delivered).
    asked: list[int] = field(default_factory=list)
    #: Mentoring requests a mentor asked to claim, and when last.
    claims: dict[int, float] = field(default_factory=dict)
    #: The mentor asking to claim each request.
    mentors: dict[int, int] = field(default_factory=dict)

    def install(self, bot: PalletsBot) -> None:
        """The workload's job kinds and the member-reply listener, on a new bot."""
        world = self.world
        bot.scheduler._pallets_bot = bot  # type: ignore[attr-defined]
        day = timedelta(days=1)

        async def post(job: Job) -> None:
            n = job.payload["n"]
            await bot.outbox.send(
                f"crash:post:{n}",
                world.announcements.id,
                guild_id=job.guild_id,
                content=f"post {n}",
            )

        async def dm(job: Job) -> None:
            n = job.payload["n"]
            members = (world.alice, world.bob, world.carol)
            await bot.outbox.send_dm(
                f"crash:dm:{n}",
                members[n % 3].id,
                guild_id=job.guild_id,
                content=f"dm {n}",
            )

        async def edit(job: Job) -> None:
            n = job.payload["n"]
            channel = bot.get_partial_messageable(world.events.id)
            await channel.get_partial_message(job.payload["message_id"]).edit(
                content=f"edited {n}"
            )

        async def event(job: Job) -> None:
            n = job.payload["n"]
            guild = bot.get_guild(world.guild.id)
            assert guild is not None
            start = job.due_at + timedelta(days=30)
            await bot.outbox.create_event(
                f"crash:event:{n}",
                guild,
                name=f"event {n}",
                start_time=start,
                end_time=start + timedelta(hours=1),
                entity_type=discord.EntityType.external,
                location="Lyon",
                privacy_level=discord.PrivacyLevel.guild_only,
            )

        async def thread(job: Job) -> None:
            n = job.payload["n"]
            channel = bot.get_channel(world.mentorship.id)
            assert isinstance(channel, discord.TextChannel)
            await bot.outbox.create_thread(
                f"crash:thread:{n}", channel, name=f"thread {n}", private=True
            )

        for kind, handler in (
            ("post", post),
            ("dm", dm),
            ("edit", edit),
            ("event", event),
            ("thread", thread),
        ):
            bot.scheduler.register(f"crash.{kind}", handler, catch_up=day)

        async def on_message(message: discord.Message) -> None:
            match = re.fullmatch(r"!ping (\d+)", message.content or "")
            if match is None or message.author.bot:
                return
            n = int(match.group(1))
            await bot.outbox.send(
                f"crash:reply:{n}",
                message.channel.id,
                guild_id=world.guild.id,
                content=f"reply {n}",
            )

        bot.add_listener(on_message)

        async def on_claim(message: discord.Message) -> None:
            match = re.fullmatch(r"!claim (\d+)", message.content or "")
            if match is None or message.author.bot:
                return
            channel = bot.get_channel(world.mentorship.id)
            assert isinstance(channel, discord.TextChannel)
            cog = bot.get_cog("Mentorship")
            assert isinstance(cog, MentorshipCog)
            # What /mentor-tools claim does once the member's role is checked.
            await cog.engine.take(channel, int(match.group(1)), message.author.id)

        bot.add_listener(on_claim, "on_message")

    async def top_up(self, env: simcord.Env, bot: PalletsBot) -> None:
        """Keep a little work of every kind coming due."""
        pending: dict[str, int] = {
            row[0]: row[1]
            for row in await bot.db.fetchall(
                "SELECT kind, count(*) FROM jobs WHERE state IN ('pending', 'running') "
                "AND kind LIKE 'crash.%' GROUP BY kind"
            )
        }
        now = utcnow()
        for kind in KINDS:
            if kind in ("reply", "claim"):
                continue
            if pending.get(f"crash.{kind}", 0) >= 2:
                continue
            n = self.made[kind]
            self.made[kind] += 1
            payload: dict[str, Any] = {"n": n}
            if kind == "edit":
                anchor = env.backend.create_message(
                    self.world.events.id, env.backend.bot_user.id, f"anchor {n}"
                )
                self.anchors[n] = anchor.id
                payload["message_id"] = anchor.id
            await bot.schedule(
                f"crash.{kind}",
                f"crash:{kind}:{n}",
                now + timedelta(seconds=30 + 30 * (n % 3)),
                guild_id=self.world.guild.id,
                payload=payload,
            )
        await self.claim_some(env, bot)
        # A member asks for a reply now and then.
        if self.made["reply"] <= self.made["post"] // 2:
            n = self.made["reply"]
            self.made["reply"] += 1
            self.asked.append(n)
            env.backend.create_message(
                self.world.general.id, self.world.alice.id, f"!ping {n}"
            )

    async def claim_some(self, env: simcord.Env, bot: PalletsBot) -> None:
        """A new mentor claims a new mentee's request now and then; a claim that a
        kill cut short before the pairing was recorded is asked again later."""
        world = self.world
        now = utcnow().timestamp()
        if (
            await self.ask_again(env, bot) >= 2
            or self.made["claim"] > self.made["post"]
        ):
            return
        n = self.made["claim"]
        self.made["claim"] += 1
        mentor = world.guild.add_member(env.create_user(f"mentor{n}"))
        mentee = world.guild.add_member(env.create_user(f"mentee{n}"))
        at = int(now)
        await bot.db.execute(
            "INSERT INTO mentor_profiles (guild_id, user_id, topics, languages, "
            "timezone, capacity, updated_at) "
            "VALUES (?, ?, '[\"flask\"]', '[\"en\"]', 'UTC', 1, ?)",
            (world.guild.id, mentor.id, at),
        )
        async with bot.db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO mentor_requests (guild_id, mentee_id, topics, goal, "
                "timezone, languages, created_at) VALUES (?, ?, '[\"flask\"]', "
                "'A first PR', 'UTC', '[\"en\"]', ?) RETURNING id",
                (world.guild.id, mentee.id, at),
            )
        assert row is not None
        self.mentors[int(row["id"])] = mentor.id
        self.ask_claim(env, int(row["id"]))

    async def ask_again(self, env: simcord.Env, bot: PalletsBot) -> int:
        """Ask again for the claims still open 10 minutes after they were asked
        (a kill lost the member's message); return how many are open."""
        now = utcnow().timestamp()
        still_open = await bot.db.fetchall(
            "SELECT id FROM mentor_requests WHERE state = 'open'"
        )
        for row in still_open:
            asked = self.claims.get(row["id"])
            if asked is not None and now - asked > 600:
                self.ask_claim(env, row["id"])
        return len(still_open)

    def ask_claim(self, env: simcord.Env, request_id: int) -> None:
        self.claims[request_id] = utcnow().timestamp()
        env.backend.create_message(
            self.world.general.id, self.mentors[request_id], f"!claim {request_id}"
        )


async def bring_back(
    env: simcord.Env,
    settings: Settings,
    workload: Workload,
    killer: Killer,
    downtime: float,
) -> PalletsBot:
    """Stop the killed bot, put its database back as the kill left it, let
    ``downtime`` pass with no bot, and start a fresh one on the copy."""
    dead = env.bot
    assert isinstance(dead, PalletsBot)
    # First its scheduler and database (what it would still do is thrown away), then
    # nobody at the wheel while down: a bare client that does nothing.
    await dead.stop_services()
    await env.restart_bot(discord.Client(intents=discord.Intents(guilds=True)))
    restore(killer.spare, settings.database_path)
    killer.dead = False
    if downtime:
        await env.advance_time(downtime)
    new = create_bot(settings)
    workload.install(new)
    await env.restart_bot(new)
    await env.settle()
    return new
