"""The fair peer: a minimal discord.py client doing each measured command's work.

For every command the bench measures, the peer answers a twin command
(``/peer-triage-queue`` for ``/triage queue``) the way a small hand-written bot would:
its own aiosqlite connection to the same database file, the same SQL statements (the
bot's own text where it keeps them as constants), the same role check, the same embed
and buttons built with plain discord.py and English f-strings, one
``interaction.response.send_message``. It shares with the bot only what is the job
itself, not the bot's layers: the pure ranking and health rules (``_logic``), Babel
for numbers and lists, discord.py's Markdown escaping. The bench checks that its
answer is the bot's answer, byte for byte (as canonical JSON).

So the bot's time over the peer's is what the bot's structure costs (its database
layer, language and logging context, metrics, permission helper, paginator, clipping)
over the work itself; the bare command (``/peer-ping``) is the floor under both: what
simcord's gateway round trip and discord.py cost for an answer that does nothing.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import cast

import aiosqlite
import discord
from babel.lists import format_list
from babel.numbers import format_currency
from babel.numbers import format_decimal
from discord import app_commands
from discord.utils import escape_markdown

from bot.app import PalletsBot
from bot.paths import DATA_DIR
from cogs.chats import _logic as chats_logic
from cogs.chats import _queries as chats_sql
from cogs.events import _queries as events_sql
from cogs.extwatch import _logic as ext_logic
from cogs.mentorship import _columns as mentor_columns
from cogs.mentorship import _logic as mentor_logic
from cogs.mentorship import _queries as mentor_sql
from cogs.triage import _queries as triage_sql

#: The peer's commands are named after the bot's, with this prefix.
PREFIX = "peer-"
BARE = "peer-ping"
#: Every interaction's locale in simcord.
LOCALE = "en_US"

Handler = Callable[[discord.Interaction[Any]], Awaitable[None]]

#: The bot's command each peer command answers for: (peer name, bot command).
TWINS = {
    "/triage queue": "peer-triage-queue",
    "/chat topics": "peer-chat-topics",
    "/event list": "peer-event-list",
    "/mentor-tools queue": "peer-mentor-queue",
    "/ext status": "peer-ext-status",
    "/grant-review list": "peer-grant-list",
}
#: Twins left out of the run until they are rewritten to answer as the bot does now
#: (none at present; a twin goes here when its command changes and it does not).
OUTDATED: dict[str, str] = {}


def page_buttons(
    name: str, page: int, count: int, arg: str = ""
) -> list[discord.ui.Button[Any]]:
    """Previous/Next as the bot draws them (bot.ui.PageButton's custom_ids)."""
    if count <= 1:
        return []
    previous = max(page - 1, 0)
    following = min(page + 1, count - 1)
    return [
        discord.ui.Button(
            label="Previous",
            style=discord.ButtonStyle.secondary,
            custom_id=f"pallets:page:{name}:{previous}:p:{arg}",
            disabled=page <= 0,
        ),
        discord.ui.Button(
            label="Next",
            style=discord.ButtonStyle.secondary,
            custom_id=f"pallets:page:{name}:{following}:n:{arg}",
            disabled=page >= count - 1,
        ),
    ]


def view_of(items: Sequence[discord.ui.Item[Any]]) -> discord.ui.View | None:
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def plural(count: int, one: str, many: str) -> str:
    """English plural, the count written as the bot writes numbers ("2,002")."""
    text = one if count == 1 else many
    return text.format(count=format_decimal(count, locale=LOCALE))


class Peer:
    """The minimal client: its own tree, connection and the guild's roles."""

    def __init__(self, database: Path, guild_id: int) -> None:
        self.database = database
        self.guild_id = guild_id
        self.client = discord.Client(intents=discord.Intents.none())
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(self.client)
        self.conn: aiosqlite.Connection | None = None
        self.roles: dict[str, int | None] = {}
        self.index = mentor_columns.QueueIndex()
        #: What the peer's commands raised (the bench reports them).
        self.errors: list[BaseException] = []
        topics = tomllib.loads((DATA_DIR / "mentorship" / "topics.toml").read_text())
        self.topic_names = {t["slug"]: t["name"] for t in topics["topic"]}
        self._add_commands()

        async def on_error(
            interaction: discord.Interaction[Any], error: app_commands.AppCommandError
        ) -> None:
            self.errors.append(error)

        self.tree.on_error = on_error  # type: ignore[method-assign]

    # -- life cycle --------------------------------------------------------------------
    async def open(self, thresholds: ext_logic.Thresholds) -> None:
        self.thresholds = thresholds
        self.conn = await aiosqlite.connect(self.database, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        await self.conn.execute("PRAGMA busy_timeout=5000")
        row = list(
            await self.conn.execute_fetchall(
                "SELECT organiser_role_id, helper_role_id, mentor_role_id, "
                "grants_reviewer_role_id FROM guild_settings WHERE guild_id = ?",
                (self.guild_id,),
            )
        )[0]
        self.roles = {key: row[key] for key in row.keys()}  # noqa: SIM118
        await self._sync_index(full=True)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    def attach(self, bot: PalletsBot) -> None:
        """Make the peer's commands known to Discord (the bot's sync sends them) and
        hand their interactions to the peer's own tree instead of the bot's."""
        #: The extension watch's caretaker policy reads the bot's settings.
        self.settings = bot.settings
        for command in self.tree.get_commands():
            bot.tree.add_command(command)
        original = bot.tree._from_interaction
        peer_tree = self.tree

        def route(interaction: discord.Interaction[Any]) -> None:
            data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
            if str(data.get("name", "")).startswith(PREFIX):
                bot.loop.create_task(peer_tree._call(interaction))
            else:
                original(interaction)

        bot.tree._from_interaction = route  # type: ignore[method-assign]

    # -- helpers -----------------------------------------------------------------------
    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        assert self.conn is not None
        return list(await self.conn.execute_fetchall(sql, params))

    def allowed(self, interaction: discord.Interaction[Any], *roles: str) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member):
            return False
        perms = member.guild_permissions
        if perms.administrator or perms.manage_guild:
            return True
        held = {role.id for role in member.roles}
        return any(self.roles.get(f"{role}_role_id") in held for role in roles)

    async def answer(
        self,
        interaction: discord.Interaction[Any],
        embed: discord.Embed,
        items: Sequence[discord.ui.Item[Any]] = (),
    ) -> None:
        view = view_of(items)
        if view is None:
            await interaction.response.send_message(
                embed=embed,
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        else:
            await interaction.response.send_message(
                embed=embed,
                view=view,
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    async def refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True)

    # -- the commands --------------------------------------------------------------------
    def _add_commands(self) -> None:
        commands: dict[str, Handler] = {
            BARE: self.ping,
            TWINS["/triage queue"]: self.triage_queue,
            TWINS["/chat topics"]: self.chat_topics,
            TWINS["/event list"]: self.event_list,
            TWINS["/mentor-tools queue"]: self.mentor_queue,
            TWINS["/grant-review list"]: self.grant_list,
        }
        for name, handler in commands.items():
            self.tree.add_command(
                app_commands.Command(
                    name=name,
                    description="Benchmark peer",
                    callback=cast(Any, _bound(handler)),
                )
            )

        async def ext_status(interaction: discord.Interaction[Any], name: str) -> None:
            await self.ext_status(interaction, name)

        self.tree.add_command(
            app_commands.Command(
                name=TWINS["/ext status"],
                description="Benchmark peer",
                callback=ext_status,
            )
        )

    async def ping(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async def triage_queue(self, interaction: discord.Interaction[Any]) -> None:
        if not self.allowed(interaction, "helper", "organiser"):
            await self.refuse(interaction, "Not allowed.")
            return
        size = 8
        params = (self.guild_id, None, None)
        total = (await self.rows(triage_sql.QUEUE_COUNT, params))[0][0]
        items = await self.rows(triage_sql.QUEUE_PAGE, (*params, size, 0))
        pages = max((total + size - 1) // size, 1)
        embed = discord.Embed(title="Unanswered questions")
        if not items:
            embed.description = "Nothing waiting. Well done!"
        else:
            lines = []
            for item in items:
                line = f"<#{item['thread_id']}>, asked <t:{item['created_at']}:R>"
                if item["needs_help"]:
                    line += " (still needs help)"
                lines.append("- " + line)
            embed.description = "\n".join(lines)
            embed.set_footer(
                text=f"Page {_number(1)} of {_number(pages)}, {_number(total)} "
                "questions, oldest first"
            )
        await self.answer(interaction, embed, page_buttons("triage.queue", 0, pages))

    async def chat_topics(self, interaction: discord.Interaction[Any]) -> None:
        found = await self.rows(chats_sql.UPCOMING_IN_GUILD, (self.guild_id,))
        if not found:
            await self.refuse(interaction, "No chat is planned yet.")
            return
        occ = found[0]
        proposals = await self.rows(chats_sql.PROPOSALS, (occ["id"],))
        size = chats_logic.TOPICS_PAGE
        pages = max((len(proposals) + size - 1) // size, 1)
        if not proposals:
            embed = discord.Embed(
                description="No topics yet: propose one with /chat propose."
            )
        else:
            ranked = sorted(
                proposals,
                key=lambda p: (not p["pinned"], -p["votes"], p["created_at"], p["id"]),
            )[:size]
            lines = []
            for index, p in enumerate(ranked, start=1):
                votes = plural(p["votes"], "{count} vote", "{count} votes")
                marker = "(pinned) " if p["pinned"] else ""
                lines.append(f"{index}. {marker}{escape_markdown(p['title'])}: {votes}")
            when = f"<t:{occ['starts_at']}:F> (<t:{occ['starts_at']}:R>)"
            embed = discord.Embed(
                description=f"Topics for the chat on {when}:\n" + "\n".join(lines)
            )
        if pages > 1:
            embed.set_footer(text=f"Page 1 of {pages}")
        await self.answer(
            interaction, embed, page_buttons("chats.topics", 0, pages, str(occ["id"]))
        )

    async def event_list(self, interaction: discord.Interaction[Any]) -> None:
        size = 5
        now = int(discord.utils.utcnow().timestamp())
        total = (await self.rows(events_sql.COUNT_UPCOMING, (self.guild_id, now)))[0][0]
        pages = max((total + size - 1) // size, 1)
        if not total:
            embed = discord.Embed(
                title="Upcoming events", description="No upcoming events."
            )
        else:
            kinds = {
                "conference": "Conference",
                "sprint": "Sprint",
                "meetup": "Meetup",
                "online_talk": "Online talk",
                "other": "Other",
            }
            events = await self.rows(events_sql.UPCOMING, (self.guild_id, now, size, 0))
            lines = [
                f"**{e['id']}** · {escape_markdown(e['title'])} · {kinds[e['kind']]} · "
                f"<t:{e['starts_at']}:f> (<t:{e['starts_at']}:R>)"
                for e in events
            ]
            embed = discord.Embed(title="Upcoming events", description="\n".join(lines))
            upcoming = plural(
                total, "{count} upcoming event", "{count} upcoming events"
            )
            embed.set_footer(text=f"Page 1 of {pages}. {upcoming}")
        await self.answer(interaction, embed, page_buttons("events.list", 0, pages))

    async def _sync_index(self, *, full: bool = False, hi: int | None = None) -> None:
        """Keep the peer's own queue index in step, with the bot's change log (up to
        ``hi`` when its bounds were read with the profile)."""
        if hi is None:
            bounds = (await self.rows(mentor_sql.QUEUE_CHANGE_BOUNDS))[0]
            hi = int(bounds["hi"])
        if full:
            after: tuple[int, int] = (-(2**63), 0)
            while True:
                (row,) = await self.rows(
                    mentor_sql.QUEUE_LOAD, (self.guild_id, *after, 5000)
                )
                part = mentor_logic.QueueSlice(
                    ids=json.loads(row["ids"]),
                    mentees=json.loads(row["mentees"]),
                    created=json.loads(row["created"]),
                    profiles=json.loads(row["profiles"]),
                )
                if not part.ids:
                    break
                self.index.load_slice(part)
                after = (part.created[-1], part.ids[-1])
            self.index.flush()
        elif hi > self.index.seq:
            ids = [
                r["request_id"]
                for r in await self.rows(
                    mentor_sql.QUEUE_CHANGES, (self.index.seq, hi, self.guild_id)
                )
            ]
            self.index.discard_many(ids)
            for r in await self.rows(mentor_sql.QUEUE_REREAD, (json.dumps(ids),)):
                if r["state"] == "open" and r["guild_id"] == self.guild_id:
                    self.index.put(
                        mentor_logic.MentorRequest(
                            id=r["id"],
                            guild_id=r["guild_id"],
                            mentee_id=r["mentee_id"],
                            topics=tuple(json.loads(r["topics"])),
                            goal="",
                            timezone=r["timezone"],
                            languages=tuple(json.loads(r["languages"])),
                            state="open",
                            created_at=r["created_at"],
                        )
                    )
        self.index.seq = hi

    async def mentor_queue(self, interaction: discord.Interaction[Any]) -> None:
        if not self.allowed(interaction, "mentor"):
            await self.refuse(interaction, "Not allowed.")
            return
        (row,) = await self.rows(
            mentor_sql.PROFILE_WITH_QUEUE_BOUNDS, (self.guild_id, interaction.user.id)
        )
        if row["user_id"] is None:
            await self.refuse(interaction, "No profile.")
            return
        mentor = mentor_logic.MentorProfile(
            guild_id=self.guild_id,
            user_id=row["user_id"],
            topics=tuple(json.loads(row["topics"])),
            languages=tuple(json.loads(row["languages"])),
            timezone=row["timezone"],
            capacity=row["capacity"],
            available=bool(row["available"]),
            active=row["active"],
        )
        await self._sync_index(hi=int(row["hi"]))
        size = mentor_logic.QUEUE_PAGE_SIZE
        ranked, total = self.index.rank(mentor, discord.utils.utcnow(), size)
        pages = max((total + size - 1) // size, 1)
        rows = await self.rows(
            mentor_sql.REQUESTS_BY_ID, (json.dumps(ranked.tolist()), self.guild_id)
        )
        by_id = {r["id"]: r for r in rows}
        embed = discord.Embed(title="Open requests, best fit for you first")
        buttons: list[discord.ui.Item[Any]] = []
        for request_id in ranked.tolist():
            r = by_id[request_id]
            topics = [self.topic_names.get(t, t) for t in json.loads(r["topics"])]
            languages = ", ".join(json.loads(r["languages"])) or "-"
            lines = [
                f"From <@{r['mentee_id']}>",
                f"Topics: {format_list(topics, locale=LOCALE) if topics else '-'}",
                f"Timezone: {r['timezone']}; languages: {languages}",
                f"Waiting since <t:{r['created_at']}:R>",
            ]
            if r["release_note"]:
                lines.append(
                    "Note from a previous mentor: " + escape_markdown(r["release_note"])
                )
            embed.add_field(
                name=f"Request #{request_id}", value="\n".join(lines), inline=False
            )
            buttons.append(
                discord.ui.Button(
                    label=f"Claim #{request_id}",
                    style=discord.ButtonStyle.primary,
                    custom_id=f"pallets:mentorship:claim:{request_id}",
                )
            )
        if pages > 1:
            embed.set_footer(text=f"Page 1 of {pages}")
        await self.answer(
            interaction, embed, [*buttons, *page_buttons("mentorship.queue", 0, pages)]
        )

    async def ext_status(
        self, interaction: discord.Interaction[Any], name: str
    ) -> None:
        package = ext_logic.normalise_name(name.strip())
        found = await self.rows(
            "SELECT e.*, r.status AS reported_status FROM extensions AS e "
            "LEFT JOIN extwatch_reported AS r "
            "ON r.guild_id = e.guild_id AND r.package = e.package "
            "WHERE e.guild_id = ? AND e.watched = 1 AND e.kind = 'extension' "
            "AND e.package = ?",
            (self.guild_id, package),
        )
        if not found:
            await self.refuse(interaction, "Not watched.")
            return
        item = found[0]
        snapshots = {
            r["source"]: r
            for r in await self.rows(
                "SELECT * FROM extwatch_snapshots WHERE package = ?", (package,)
            )
        }
        backlog: list[tuple[int, int]] = []
        if item["repo"]:
            backlog = [
                (r["sampled_at"], r["backlog"])
                for r in await self.rows(
                    "SELECT sampled_at, backlog FROM extwatch_backlog WHERE repo = ? "
                    "ORDER BY sampled_at",
                    (item["repo"].lower(),),
                )
            ]
        data = {s: json.loads(r["data"]) for s, r in snapshots.items() if r["data"]}
        evidence = ext_logic.Evidence(
            pypi=ext_logic.pypi_from_json(data["pypi"]) if "pypi" in data else None,
            github=ext_logic.github_from_json(data["github"])
            if "github" in data
            else None,
            osv=ext_logic.osv_from_json(data["osv"]) if "osv" in data else None,
            backlog_history=tuple(backlog),
            missing_on_pypi=bool(
                "pypi" in snapshots
                and snapshots["pypi"]["missing"]
                and "pypi" not in data
            ),
        )
        now = int(discord.utils.utcnow().timestamp())
        assessment = ext_logic.assess(evidence, self.thresholds, now)
        caretakers = [
            ext_logic.Caretaker(
                id=r["id"],
                guild_id=r["guild_id"],
                package=r["package"],
                user_id=r["user_id"],
                github=r["github"],
                role=ext_logic.CaretakerRole(r["role"]),
                since=r["since"],
                confirmed_at=r["confirmed_at"],
                asked_at=r["asked_at"],
            )
            for r in await self.rows(
                "SELECT * FROM ext_caretakers WHERE guild_id = ? AND package = ? "
                "AND left_at IS NULL ORDER BY role = 'lead' DESC, since, id",
                (self.guild_id, package),
            )
        ]
        followers = await self.rows(
            "SELECT user_id FROM ext_followers WHERE guild_id = ? AND package = ? "
            "ORDER BY since, user_id",
            (self.guild_id, package),
        )
        adoption = await self.rows(
            "SELECT * FROM ext_adoptions WHERE guild_id = ? AND package = ? "
            "ORDER BY state = 'open' DESC, id DESC LIMIT 1",
            (self.guild_id, package),
        )
        if adoption:
            await self.rows(
                "SELECT * FROM ext_adoption_steps WHERE adoption_id = ? "
                "ORDER BY done_at",
                (adoption[0]["id"],),
            )
        activity = (
            ext_logic.activity_from_json(data["activity"])
            if "activity" in data
            else None
        )
        embed = self._status_embed(item, assessment, evidence, snapshots)
        self._stewardship(
            embed,
            item,
            caretakers,
            activity,
            len(followers),
            adoption[0]["state"] == "open" if adoption else False,
            now,
        )
        self._status_links(embed, item, evidence, snapshots)
        await self.answer(interaction, embed)

    def _status_embed(
        self,
        item: sqlite3.Row,
        assessment: ext_logic.Assessment,
        evidence: ext_logic.Evidence,
        snapshots: dict[str, sqlite3.Row],
    ) -> discord.Embed:
        Status = ext_logic.Status
        icons = {
            Status.HEALTHY: ("🟢", "healthy", discord.Colour.green()),
            Status.WATCH: ("🟡", "watch", discord.Colour.gold()),
            Status.AT_RISK: ("🔴", "at risk", discord.Colour.red()),
            Status.UNKNOWN: ("⚪", "not checked yet", discord.Colour.light_grey()),
        }
        icon, label, colour = icons[assessment.status]
        embed = discord.Embed(
            title=f"{icon} {item['display_name']}: {label}", colour=colour
        )
        lines = [f"• {_reason(r)}" for r in assessment.reasons]
        if assessment.status is Status.HEALTHY:
            lines.append("No warning signs.")
        if assessment.status is Status.UNKNOWN:
            lines.append("No data yet: an organiser can run /ext-admin refresh.")
        if item["notes"]:
            lines += ["", f"Notes: {item['notes']}"]
        embed.description = "\n".join(lines)
        pypi, github, osv = evidence.pypi, evidence.github, evidence.osv
        if pypi is not None:
            released = (
                f"<t:{pypi.released_at}:D>"
                if pypi.released_at is not None
                else "unknown date"
            )
            embed.add_field(name="Latest release", value=f"{pypi.version}, {released}")
            if pypi.flask_spec is None:
                flask = "does not require Flask"
            elif pypi.accepts_flask is None:
                flask = f"Flask{pypi.flask_spec} (could not tell)"
            elif pypi.accepts_flask:
                flask = f"Flask{pypi.flask_spec}: accepts the current major"
            else:
                flask = f"Flask{pypi.flask_spec}: excludes the current major"
            embed.add_field(name="Flask requirement", value=flask)
        if github is not None:
            pushed = (
                f"<t:{github.pushed_at}:R>" if github.pushed_at is not None else "never"
            )
            embed.add_field(
                name="Repository",
                value=f"last push {pushed}; open issues: {github.open_issues}; "
                f"open pull requests: {github.open_prs}",
                inline=False,
            )
        if osv is not None:
            embed.add_field(
                name="Known vulnerabilities",
                value="\n".join(f"{v.id}: {v.summary}" for v in osv.vulns)
                if osv.vulns
                else f"none known for {osv.version}",
                inline=False,
            )
        return embed

    def _stewardship(
        self,
        embed: discord.Embed,
        item: sqlite3.Row,
        caretakers: list[ext_logic.Caretaker],
        activity: ext_logic.Activity | None,
        followers: int,
        adoption_open: bool,
        now: int,
    ) -> None:
        """The caretakers, the repository's activity, the risk, adoption, followers."""
        minimum = item["min_caretakers"]
        if minimum is None:
            org = self.settings.ext_org
            in_org = bool(org) and (item["repo"] or "").lower().startswith(
                org.lower() + "/"
            )
            minimum = self.settings.ext_min_caretakers if in_org else 0
        months = self.settings.ext_inactive_months
        policy = ext_logic.Policy(minimum=minimum, inactive_months=months)
        state = ext_logic.roster(caretakers, activity, policy, now)
        risk = ext_logic.caretaker_risk(state, activity, policy, now)
        roles = {"lead": "lead", "maintainer": "maintainer", "triager": "triager"}
        seen = activity.last_seen() if activity is not None else {}
        lines = []
        for p in caretakers:
            github = f" · GitHub {p.github}" if p.github else ""
            line = (
                f"<@{p.user_id}> ({roles[p.role.value]}{github}), since <t:{p.since}:D>"
            )
            if last := seen.get((p.github or "").lower()):
                line += f" · last active <t:{last}:R>"
            if p in state.waiting:
                line += " · asked whether still in"
            elif p in state.inactive:
                line += " · no answer: counted inactive"
            lines.append(line)
        if not lines:
            lines.append("nobody yet: /ext volunteer to offer help")
        if minimum:
            active = len(state.active) + len(state.waiting) + len(state.to_ask)
            lines.append(f"{active} active of the {minimum} it should have")
        embed.add_field(name="Caretakers", value="\n".join(lines), inline=False)
        if activity is not None:
            since = now - int(months * ext_logic.MONTH)
            commits = [c for c in activity.commits if c[1] >= since]
            people = len({who.lower() for who, _when in commits})
            text = (
                plural(len(commits), "{count} commit", "{count} commits")
                + " by "
                + plural(people, "{count} person", "{count} people")
                + f" in {months} months"
            )
            if activity.releases:
                who, tag, when = activity.releases[0]
                text += f"; last release {tag} <t:{when}:R> by {who}"
            embed.add_field(name="Recent activity", value=text, inline=False)
        if risk is not None:
            embed.add_field(
                name="Needs caretakers", value=_caretaker_risk(risk), inline=False
            )
        if adoption_open:
            embed.add_field(
                name="Adoption",
                value="a case is open: /ext adoption shows its steps",
                inline=False,
            )
        if followers:
            embed.add_field(
                name="Followers",
                value=plural(
                    followers, "{count} member follows it", "{count} members follow it"
                ),
            )

    def _status_links(
        self,
        embed: discord.Embed,
        item: sqlite3.Row,
        evidence: ext_logic.Evidence,
        snapshots: dict[str, sqlite3.Row],
    ) -> None:
        github = evidence.github
        links = (
            [f"[PyPI](https://pypi.org/project/{item['package']}/)"]
            if item["pypi"]
            else []
        )
        repo_url = github.html_url if github else None
        if repo_url is None and item["repo"]:
            repo_url = f"https://github.com/{item['repo']}"
        if repo_url:
            links.append(f"[GitHub]({repo_url})")
        if item["docs_url"]:
            links.append(f"[Documentation]({item['docs_url']})")
        embed.add_field(name="Links", value=" · ".join(links), inline=False)
        if any(r["error"] is not None for r in snapshots.values()):
            raise NotImplementedError("the peer words fresh data only")
        fetched = [r["fetched_at"] for r in snapshots.values() if r["fetched_at"]]
        if fetched:
            embed.set_footer(text="Data from")
            embed.timestamp = datetime.fromtimestamp(min(fetched), UTC)

    async def grant_list(self, interaction: discord.Interaction[Any]) -> None:
        if not self.allowed(interaction, "grants_reviewer"):
            await self.refuse(interaction, "Not allowed.")
            return
        size = 10
        states = ("pending", "needs_info")
        marks = ", ".join("?" for _ in states)
        total = (
            await self.rows(
                "SELECT count(*) FROM event_grants WHERE guild_id = ? "
                f"AND state IN ({marks})",
                (self.guild_id, *states),
            )
        )[0][0]
        grants = await self.rows(
            "SELECT * FROM event_grants WHERE guild_id = ? "
            f"AND state IN ({marks}) ORDER BY id LIMIT ? OFFSET ?",
            (self.guild_id, *states, size, 0),
        )
        labels = {
            "pending": "waiting for review",
            "needs_info": "needs more information",
            "approved": "approved",
            "rejected": "rejected",
        }
        lines = []
        for g in grants:
            amount = format_currency(Decimal(g["amount"]), g["currency"], locale=LOCALE)
            purpose = escape_markdown(g["purpose"])
            if len(purpose) > 200:
                purpose = purpose[:199] + "…"
            lines.append(
                f"**G-{g['id']}** · {amount} · {escape_markdown(g['event_text'])} · "
                f"{labels[g['state']]} · <t:{g['created_at']}:d>\n"
                f"  by <@{g['requester_id']}>, {g['attendance']} expected: {purpose}"
            )
        pages = max((total + size - 1) // size, 1)
        embed = discord.Embed(
            title="Event grant requests", description="\n".join(lines)
        )
        if pages > 1:
            embed.set_footer(text=f"Page 1 of {pages}")
        await self.answer(
            interaction, embed, page_buttons("grants.list", 0, pages, "open")
        )


def _number(value: int) -> str:
    return str(format_decimal(value, locale=LOCALE))


def _bound(handler: Handler) -> Callable[[discord.Interaction[Any]], Awaitable[None]]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await handler(interaction)

    return callback


def _caretaker_risk(risk: Any) -> str:
    detail = risk.detail
    why = detail.get("why")
    if why == "inactive":
        return (
            f"it needs caretakers: {detail.get('who', '')} had no activity on the "
            f"repository for {detail.get('months', 6)} months"
        )
    if why == "one_person":
        return (
            "it needs caretakers: its recent commits and releases all come from "
            "one person"
        )
    return (
        f"it needs caretakers: {int(detail.get('have', 0))} active of the "
        f"{detail.get('wanted', 2)} it should have"
    )


def _reason(reason: ext_logic.Reason) -> str:
    v = reason.values
    code = reason.code
    codes = ext_logic.ReasonCode
    if code in (codes.NO_RELEASE_RISK, codes.NO_RELEASE_WATCH):
        return plural(
            int(v["months"]),
            "no release in {count} month",
            "no release in {count} months",
        )
    if code is codes.ARCHIVED:
        return "the repository is archived"
    if code is codes.INCOMPATIBLE:
        return f"its Flask requirement ({v['spec']}) excludes Flask {v['major']}"
    if code is codes.VULNERABLE:
        count = int(v["count"])
        noun = "vulnerability" if count == 1 else "vulnerabilities"
        return f"{v['count']} known {noun} in the latest release: {v['ids']}"
    if code is codes.QUIET_REPO:
        return plural(
            int(v["months"]),
            "no push to the repository in {count} month",
            "no push to the repository in {count} months",
        )
    if code is codes.GROWING_BACKLOG:
        return f"open issues and pull requests grew from {v['before']} to {v['now']}"
    return "not found on PyPI"
