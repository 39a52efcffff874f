"""What the contribute job does: answer references, keep the newcomer list, claims,
sprint boards, tasks, release announcements, the start-here answers, and thanks.

GitHub is asked through :class:`~cogs.contribute._github.Source` only, and politely:

- **One search per poll** lists the open newcomer issues of every Pallets repository
  (``org:pallets org:pallets-eco label:"good first issue","help wanted",...``), and
  one more, only while someone holds a claim, lists the pull requests updated since
  the last poll, whose text says which issue each one fixes. Without a token the
  poll runs every :data:`POLL_MINUTES` minutes (6 search requests an hour at most;
  the search API allows 10 a minute), with one every :data:`POLL_MINUTES_TOKEN`.
- **Releases** are checked every :data:`RELEASE_HOURS` hours (hourly with a token):
  one request per project that announces releases, PyPI when GitHub has none.
- **References** in messages ask for one issue each, at most once per reference and
  channel an hour; the client's conditional requests make a repeat cheap.

Nothing polls until a server uses the job (a /contribute command, or a release role
chosen with /setup), so other jobs' tests and idle servers never reach GitHub.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TYPE_CHECKING

import discord

from bot import records
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import format_date
from bot.i18n import guild_language
from bot.i18n import use_language
from bot.permissions import has_role
from bot.permissions import require_role
from bot.reach import Fallback
from bot.refusals import Refused
from bot.replies import reply
from bot.safety import fit_embed
from bot.safety import NO_MENTIONS
from bot.safety import without_code_and_quotes
from bot.scheduler import Job
from bot.start_here import action_name
from bot.start_here import Choice
from bot.start_here import wants_to_contribute
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from bot.ui import view_of
from cogs.contribute import _queries as q
from cogs.contribute import _render as render
from cogs.contribute._github import BotSource
from cogs.contribute._github import Source
from cogs.contribute._github import Unreachable
from cogs.contribute._logic import catalogue
from cogs.contribute._logic import changelog_url
from cogs.contribute._logic import check_claim
from cogs.contribute._logic import check_link
from cogs.contribute._logic import check_review
from cogs.contribute._logic import check_submission
from cogs.contribute._logic import check_task_claim
from cogs.contribute._logic import check_text
from cogs.contribute._logic import claim_times
from cogs.contribute._logic import ClaimCheck
from cogs.contribute._logic import ClaimState
from cogs.contribute._logic import find_references
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef
from cogs.contribute._logic import Kind
from cogs.contribute._logic import kinds_of
from cogs.contribute._logic import label_map
from cogs.contribute._logic import LINK_LIMIT
from cogs.contribute._logic import merge_thanks
from cogs.contribute._logic import month_bounds
from cogs.contribute._logic import named_project
from cogs.contribute._logic import next_recognition
from cogs.contribute._logic import normalise_version
from cogs.contribute._logic import NOTE_LIMIT
from cogs.contribute._logic import PALLETS_ORGS
from cogs.contribute._logic import parse_issue
from cogs.contribute._logic import parse_number
from cogs.contribute._logic import Problem
from cogs.contribute._logic import Project
from cogs.contribute._logic import PrState
from cogs.contribute._logic import reachable
from cogs.contribute._logic import REFERENCE_QUIET
from cogs.contribute._logic import referenced_issues
from cogs.contribute._logic import search_labels
from cogs.contribute._logic import TASK_TEXT_LIMIT
from cogs.contribute._logic import TaskKind
from cogs.contribute._logic import TaskState
from cogs.contribute._logic import Thanks
from cogs.contribute._logic import TITLE_LIMIT
from cogs.contribute._queries import Claim
from cogs.contribute._queries import Task
from cogs.contribute._views import HELP_ACTION
from cogs.contribute._views import HelpAnswerButton
from cogs.contribute._views import OFFER_ACTION
from cogs.contribute._views import OfferButton
from cogs.contribute._views import VOLUNTEER_ACTION
from cogs.contribute._views import VolunteerChoice

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

POLL_KIND = "contribute.poll"
RELEASES_KIND = "contribute.releases"
REMIND_KIND = "contribute.claim_remind"
EXPIRE_KIND = "contribute.claim_expire"
RECOGNITION_KIND = "contribute.recognition"
WRAP_KIND = "contribute.sprint_wrap"
KINDS = (
    POLL_KIND,
    RELEASES_KIND,
    REMIND_KIND,
    EXPIRE_KIND,
    RECOGNITION_KIND,
    WRAP_KIND,
)

ISSUES_PAGES = "contribute.issues"
TASKS_PAGES = "contribute.tasks"
ISSUES_PAGE_SIZE = 8
TASKS_PAGE_SIZE = 10
#: How many newcomer issues one search reads (GitHub's page size).
SEARCH_LIMIT = 100
POLL_MINUTES = 20
POLL_MINUTES_TOKEN = 5
RELEASE_HOURS = 6
RELEASE_HOURS_TOKEN = 1
#: A pull request search looks back this much further than the last poll.
POLL_OVERLAP = timedelta(minutes=10)
BOARD_LIMIT = 25
START_ACTIONS = tuple(action_name(choice) for choice in Choice)


# -- job keys (one function per key) ---------------------------------------------------------
def poll_prefix() -> str:
    """The start of every poll's key."""
    return "contribute:poll:"


def poll_key(due: datetime) -> str:
    return f"{poll_prefix()}{to_ts(due)}"


def releases_prefix() -> str:
    """The start of every release check's key."""
    return "contribute:releases:"


def releases_key(due: datetime) -> str:
    return f"{releases_prefix()}{to_ts(due)}"


def remind_key(claim_id: int, expires_at: datetime) -> str:
    return f"contribute:claim-remind:{claim_id}:{to_ts(expires_at)}"


def expire_key(claim_id: int, expires_at: datetime) -> str:
    return f"contribute:claim-expire:{claim_id}:{to_ts(expires_at)}"


def recognition_key(guild_id: int, due: datetime) -> str:
    return f"contribute:recognition:{guild_id}:{due:%Y-%m}"


def wrap_key(event_id: int) -> str:
    return f"contribute:sprint-wrap:{event_id}"


# -- outbox keys -----------------------------------------------------------------------------------
def remind_dm_key(claim_id: int, expires_at: datetime) -> str:
    return f"contribute:dm:remind:{claim_id}:{to_ts(expires_at)}"


def lapsed_dm_key(claim_id: int) -> str:
    return f"contribute:dm:lapsed:{claim_id}"


def linked_dm_key(claim_id: int, pr: IssueRef) -> str:
    return f"contribute:dm:linked:{claim_id}:{pr}"


def merged_dm_key(claim_id: int) -> str:
    return f"contribute:dm:merged:{claim_id}"


def shout_out_key(claim_id: int) -> str:
    return f"contribute:shout-out:{claim_id}"


def release_post_key(guild_id: int, repo: str, version: str) -> str:
    return f"contribute:release:{guild_id}:{repo}:{version}"


def recognition_post_key(guild_id: int, month: datetime) -> str:
    return f"contribute:thanks:{guild_id}:{month:%Y-%m}"


def wrap_post_key(event_id: int) -> str:
    return f"contribute:sprint-wrap-post:{event_id}"


def task_dm_key(task_id: int, what: str) -> str:
    """A task's DMs go out while a member waits, never from a retried job: each step
    (a claim, a submission, a review) is its own send, however quick the next."""
    return f"contribute:dm:task:{task_id}:{what}:{uuid.uuid4().hex[:12]}"


def help_call_key(call_id: int) -> str:
    return f"contribute:help-call:{call_id}"


def help_dm_key(call_id: int, mentor_id: int) -> str:
    return f"contribute:dm:help-call:{call_id}:{mentor_id}"


def offer_post_key(offer_id: int) -> str:
    return f"contribute:offer:{offer_id}"


def _members_words(message: discord.Message) -> discord.Guild | None:
    """The server of a member's own message; None for a bot's, a DM, or a system
    message (a thread's creation repeats its title in the parent channel)."""
    if (
        message.author.bot
        or not message.content
        or message.type not in (discord.MessageType.default, discord.MessageType.reply)
    ):
        return None
    return message.guild


#: A forum post's opening: its author's messages this soon after it was created.
OPENING = timedelta(minutes=10)


def wish_post_key(thread_id: int) -> str:
    """The way in, answered once under a forum post that asks how to contribute."""
    return f"contribute:wish:{thread_id}"


def offer_dm_key(offer_id: int) -> str:
    return f"contribute:dm:offer:{offer_id}"


def next_slot(after: datetime, step: timedelta) -> datetime:
    """The next point of a fixed grid (so scheduling twice names the same job)."""
    seconds = int(step.total_seconds())
    ts = (to_ts(after) // seconds + 1) * seconds
    return from_ts(ts)


class ContributeEngine:
    def __init__(self, bot: PalletsBot, source: Source | None = None) -> None:
        self.bot = bot
        self.source: Source = source or BotSource(bot)
        #: (channel, reference) -> when it was last answered there (epoch s).
        self._answered: dict[tuple[int, str], int] = {}
        self._polling = False

    @property
    def db(self) -> Database:
        return self.bot.db

    @property
    def has_token(self) -> bool:
        return self.bot.settings.github_token is not None

    def register(self) -> None:
        s = self.bot.scheduler
        s.register(POLL_KIND, self.on_poll, catch_up=timedelta(hours=1))
        s.register(RELEASES_KIND, self.on_releases, catch_up=timedelta(hours=12))
        s.register(REMIND_KIND, self.on_remind, catch_up=timedelta(days=1))
        s.register(EXPIRE_KIND, self.on_expire, catch_up=timedelta(days=30))
        s.register(RECOGNITION_KIND, self.on_recognition, catch_up=timedelta(days=3))
        s.register(WRAP_KIND, self.on_wrap, catch_up=timedelta(days=7))
        a = self.bot.actions
        a.register_pages(ISSUES_PAGES, self.issues_page)
        a.register_pages(TASKS_PAGES, self.tasks_page)
        a.register(OFFER_ACTION, self.on_offer)
        a.register(HELP_ACTION, self.on_help_answer)
        a.register(VOLUNTEER_ACTION, self.on_volunteer_form)
        a.register(action_name(Choice.ASK), self.on_start_ask)
        a.register(action_name(Choice.CONTRIBUTE), self.on_start_contribute)
        a.register(action_name(Choice.MENTOR), self.on_start_mentor)
        a.register(action_name(Choice.NOTIFY), self.on_start_notify)
        a.register(action_name(Choice.VOLUNTEER), self.on_start_volunteer)

    def unregister(self) -> None:
        for kind in KINDS:
            self.bot.scheduler.unregister(kind)
        self.bot.actions.unregister(
            ISSUES_PAGES,
            TASKS_PAGES,
            OFFER_ACTION,
            HELP_ACTION,
            VOLUNTEER_ACTION,
            *START_ACTIONS,
        )

    # -- starting ---------------------------------------------------------------------------
    async def start(self) -> None:
        """At start-up: resume polling and the monthly thanks where the job is used."""
        used = await q.used_guilds(self.db)
        for guild in self.bot.guilds:
            settings = await self.bot.guild_config.get(guild.id)
            if settings.release_role_id:
                used[guild.id] = True
            elif settings.start_message_id:
                used.setdefault(guild.id, False)
        for guild_id, github in used.items():
            await self.ensure_guild(guild_id, github=github)

    async def ensure_guild(self, guild_id: int, *, github: bool = True) -> None:
        """A server uses the job: its thanks are scheduled, and (when it uses what
        GitHub says) the polls run. Tasks alone never make the bot ask GitHub."""
        await q.ensure_settings(self.db, guild_id, github=github)
        due = next_recognition(utcnow())
        await self.bot.schedule(
            RECOGNITION_KIND, recognition_key(guild_id, due), due, guild_id=guild_id
        )
        if github and not self._polling:
            self._polling = True
            await self.schedule_poll(utcnow())
            await self.schedule_releases(utcnow())

    def poll_every(self) -> timedelta:
        return timedelta(minutes=POLL_MINUTES_TOKEN if self.has_token else POLL_MINUTES)

    def releases_every(self) -> timedelta:
        return timedelta(hours=RELEASE_HOURS_TOKEN if self.has_token else RELEASE_HOURS)

    async def schedule_poll(self, after: datetime) -> None:
        """The next poll, on a fixed grid (every 20 or 5 minutes): scheduling it
        twice, or again after a restart, names the same job."""
        due = next_slot(after, self.poll_every())
        await self.bot.schedule(
            POLL_KIND,
            poll_key(due),
            due,
            guild_id=None,
            payload={"since": to_ts(after - POLL_OVERLAP)},
        )

    async def schedule_releases(self, after: datetime) -> None:
        due = next_slot(after, self.releases_every())
        await self.bot.schedule(RELEASES_KIND, releases_key(due), due, guild_id=None)

    # -- references --------------------------------------------------------------------------------
    async def answer_references(self, message: discord.Message) -> None:
        """One compact reply for the GitHub references in a member's message."""
        guild = _members_words(message)
        if guild is None:
            return
        refs = find_references(message.content, catalogue())
        if not refs:
            return
        settings = await q.settings(self.db, guild.id)
        now = now_ts()
        quiet = int(REFERENCE_QUIET.total_seconds())
        wanted = []
        for ref in refs:
            key = (message.channel.id, str(ref))
            if not reachable(ref, settings.extra_owners):
                continue
            if now - self._answered.get(key, -quiet) < quiet:
                continue
            self._answered[key] = now
            wanted.append(ref)
        if not wanted:
            return
        found: list[IssueInfo] = []
        unreachable = False
        for ref in wanted:
            try:
                issue = await self.source.issue(ref)
            except Unreachable:
                unreachable = True
                # Not answered after all: a later mention may find GitHub back.
                self._answered.pop((message.channel.id, str(ref)), None)
                continue
            if issue is not None:
                found.append(issue)
        self._forget_old(now)
        down_key = (message.channel.id, "github-down")
        with use_language(await self.bot.guild_language(guild.id)):
            if found:
                await self._reply(message, embed=render.references_embed(found))
            elif unreachable and now - self._answered.get(down_key, -quiet) >= quiet:
                self._answered[down_key] = now
                await self._reply(message, content=render.github_unreachable())

    async def answer_wish(self, message: discord.Message) -> None:
        """ "I want to contribute": the way in the start-here button shows, in reply.

        In a text channel at most once an hour; in a forum post once, to its author
        (triage then posts no bug-report checklist). Other threads are conversations
        already (a mentoring thread, a sprint's): nothing there.
        """
        guild = _members_words(message)
        if guild is None:
            return
        channel = message.channel
        text = message.content
        forum_post = False
        if isinstance(channel, discord.Thread):
            if not isinstance(channel.parent, discord.ForumChannel):
                return
            if message.author.id != channel.owner_id:
                return
            if message.created_at - discord.utils.snowflake_time(channel.id) > OPENING:
                return  # later words in a post ("I'd like to contribute a fix")
            text, forum_post = f"{channel.name}\n{text}", True
        if not wants_to_contribute(text):
            return
        now, quiet = now_ts(), int(REFERENCE_QUIET.total_seconds())
        key = (channel.id, "wish")
        if not forum_post:
            if now - self._answered.get(key, -quiet) < quiet:
                return
            self._answered[key] = now
        guild_id = guild.id
        await self.ensure_guild(guild_id)
        named = named_project(without_code_and_quotes(text), catalogue())
        issues = await self.newcomer_picks(guild_id, named)
        with use_language(await self.bot.guild_language(guild_id)):
            embed = render.contribute_answer(
                issues, [named] if named else catalogue().projects
            )
        if not forum_post:
            await self._reply(message, embed=embed)
            return
        try:
            await self.bot.outbox.send(
                wish_post_key(channel.id), channel.id, guild_id=guild_id, embed=embed
            )
        except discord.HTTPException as error:
            log.info(
                "could not answer a wish to contribute in %s: %s", channel.id, error
            )

    async def newcomer_picks(
        self, guild_id: int, project: Project | None, limit: int = 5
    ) -> list[IssueInfo]:
        """A few issues to start with: good first issues first, of ``project`` when
        it has newcomer issues, else of every project."""
        tries: list[tuple[str | None, Kind | None]] = [(None, Kind.FIRST), (None, None)]
        if project is not None:
            tries = [(project.name, Kind.FIRST), (project.name, None), *tries]
        for wanted, kind in tries:
            rows = await self.listed(guild_id, wanted, kind)
            if rows:
                return [issue for issue, _kinds in rows[:limit]]
        return []

    async def _reply(
        self,
        message: discord.Message,
        *,
        content: str | None = None,
        embed: discord.Embed | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"content": content}
        if embed is not None:
            kwargs["embed"] = fit_embed(embed)
        try:
            await message.reply(
                **kwargs, mention_author=False, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as error:
            log.info("could not answer references in %s: %s", message.channel.id, error)

    def _forget_old(self, now: int) -> None:
        if len(self._answered) < 5000:
            return
        horizon = now - int(REFERENCE_QUIET.total_seconds())
        self._answered = {k: v for k, v in self._answered.items() if v >= horizon}

    # -- newcomer issues --------------------------------------------------------------------------
    async def labels_for(self, guild_id: int) -> dict[str, dict[Kind, tuple[str, ...]]]:
        overrides = await q.label_overrides(self.db, guild_id)
        return {repo: labels for (_guild, repo), labels in overrides.items()}

    async def listed(
        self, guild_id: int, project: str | None, kind: Kind | None
    ) -> list[tuple[IssueInfo, set[Kind]]]:
        """The newcomer issues this server shows, newest activity first."""
        repo = None
        if project:
            found = catalogue().by_name(project)
            repo = found.repo if found else project.lower()
        overrides = await self.labels_for(guild_id)
        defaults = catalogue().labels
        out = []
        for issue in await q.newcomer_issues(self.db, repo):
            kinds = kinds_of(
                issue.labels, label_map(defaults, overrides.get(issue.ref.repo))
            )
            if kinds and (kind is None or kind in kinds):
                out.append((issue, kinds))
        return out

    async def issues_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of /contribute issues; ``arg`` is ``project|kind``."""
        assert interaction.guild_id is not None
        project, _sep, kind_text = arg.partition("|")
        kind = Kind(kind_text) if kind_text in Kind.__members__.values() else None
        rows = await self.listed(interaction.guild_id, project or None, kind)
        number, count, offset = page_bounds(number, len(rows), ISSUES_PAGE_SIZE)
        shown = rows[offset : offset + ISSUES_PAGE_SIZE]
        holders = await q.active_holders(
            self.db, interaction.guild_id, (issue.ref for issue, _k in shown)
        )
        embed = render.issues_page(
            [(issue, kinds, holders.get(issue.ref)) for issue, kinds in shown],
            len(rows),
        )
        return Page(embed, number, count)

    async def on_poll(self, job: Job) -> None:
        """List the newcomer issues, follow claimed issues' pull requests, go again."""
        try:
            await self.refresh_issues()
            since = from_ts(int(job.payload.get("since", now_ts() - 3600)))
            if await q.active_claims(self.db):
                await self.follow_pulls(since)
        except Unreachable as error:
            log.warning("GitHub could not be polled: %s", error)
        finally:
            await self.schedule_poll(utcnow())

    async def refresh_issues(self) -> int:
        overrides = (await q.label_overrides(self.db)).values()
        labels = search_labels(catalogue().labels, overrides)
        issues = await self.source.newcomer_issues(
            PALLETS_ORGS, labels, limit=SEARCH_LIMIT
        )
        issues = [i for i in issues if not i.is_pull and i.state == "open"]
        await q.store_issues(self.db, issues, now_ts())
        return len(issues)

    async def follow_pulls(self, since: datetime) -> None:
        """Link pull requests to the claims on the issues they mention."""
        claims = await q.active_claims(self.db)
        by_ref: dict[IssueRef, list[Claim]] = {}
        for claim in claims:
            by_ref.setdefault(claim.ref, []).append(claim)
        pulls = await self.source.pulls_since(PALLETS_ORGS, since, limit=SEARCH_LIMIT)
        for pull in pulls:
            if not pull.is_pull:
                continue
            text = f"{pull.title}\n{pull.body}"
            for ref in referenced_issues(pull.ref.repo, text, catalogue()):
                for claim in by_ref.get(ref, []):
                    await self.pull_changed(claim, pull)

    async def pull_changed(self, claim: Claim, pull: IssueInfo) -> None:
        state = (
            PrState(pull.state)
            if pull.state in PrState.__members__.values()
            else PrState.OPEN
        )
        if claim.pr_number == pull.ref.number and claim.pr_state is state:
            return
        expires = None
        if state is PrState.CLOSED:
            # Closed without a merge: the claim runs again, as at its start.
            days = (await q.settings(self.db, claim.guild_id)).claim_days
            expires, _remind = claim_times(utcnow(), days)
        await q.link_pull(
            self.db, claim.id, pull.ref, pull.url, state, expires_at=expires
        )
        updated = await q.claim(self.db, claim.id)
        assert updated is not None
        if state is PrState.OPEN and claim.pr_number != pull.ref.number:
            await self._dm(
                updated.user_id,
                updated.guild_id,
                linked_dm_key(claim.id, pull.ref),
                lambda: render.pull_linked(updated),
            )
        elif state is PrState.MERGED:
            await self.merged(updated)
        elif expires is not None:
            await self.schedule_claim(updated)
        await self.refresh_board_of(updated)

    async def merged(self, claim: Claim) -> None:
        if not await q.end_claim(self.db, claim.id, ClaimState.MERGED):
            return
        await self._dm(
            claim.user_id,
            claim.guild_id,
            merged_dm_key(claim.id),
            lambda: render.merged_thanks(claim),
        )
        if await q.is_quiet(self.db, claim.guild_id, claim.user_id):
            return
        channel = (await self.bot.guild_config.get(claim.guild_id)).channel(
            Channel.ANNOUNCEMENTS
        )
        if channel is None:
            return
        with use_language(await self.bot.guild_language(claim.guild_id)):
            text = render.shout_out(claim)
        await self.bot.outbox.send(
            shout_out_key(claim.id), channel, guild_id=claim.guild_id, content=text
        )

    # -- claims -------------------------------------------------------------------------------------
    async def resolve_issue(self, guild_id: int, text: str) -> IssueInfo:
        """The issue a member picked, as GitHub says now (refused when it cannot be)."""
        ref = parse_issue(text, catalogue())
        if ref is None:
            raise Refused(Problem.UNKNOWN_ISSUE)
        if not reachable(ref):
            raise Refused(Problem.OUTSIDE_ORGS, ref=str(ref))
        try:
            issue = await self.source.issue(ref)
        except Unreachable:
            raise Refused(Problem.GITHUB_DOWN) from None
        if issue is None:
            await q.forget_issue(self.db, ref)
            raise Refused(Problem.UNKNOWN_ISSUE)
        return issue

    async def claim(
        self, guild_id: int, user_id: int, text: str, *, sprint_id: int | None = None
    ) -> Claim:
        issue = await self.resolve_issue(guild_id, text)
        holder = await q.active_claim(self.db, guild_id, issue.ref)
        check_claim(
            user_id,
            ClaimCheck(
                issue,
                holder.user_id if holder else None,
                await q.count_active(self.db, guild_id, user_id),
            ),
        )
        days = (await q.settings(self.db, guild_id)).claim_days
        expires, _remind = claim_times(utcnow(), days)
        made = await q.add_claim(
            self.db,
            guild_id,
            issue.ref,
            issue.title,
            user_id,
            expires_at=expires,
            sprint_id=sprint_id,
        )
        if made is None:
            winner = await q.active_claim(self.db, guild_id, issue.ref)
            raise Refused(
                Problem.TAKEN,
                ref=str(issue.ref),
                holder=winner.user_id if winner else 0,
            )
        await self.schedule_claim(made)
        await self.refresh_board_of(made)
        return made

    async def schedule_claim(self, claim: Claim) -> None:
        days = (await q.settings(self.db, claim.guild_id)).claim_days
        expires = claim.expires_at
        remind = expires - min(timedelta(days=2), timedelta(days=days) / 2)
        payload = {"claim": claim.id, "expires": to_ts(expires)}
        await self.bot.schedule(
            REMIND_KIND,
            remind_key(claim.id, expires),
            remind,
            guild_id=claim.guild_id,
            payload=payload,
        )
        await self.bot.schedule(
            EXPIRE_KIND,
            expire_key(claim.id, expires),
            expires,
            guild_id=claim.guild_id,
            payload=payload,
        )

    async def release(self, guild_id: int, user_id: int, text: str) -> Claim:
        ref = parse_issue(text, catalogue())
        claim = await q.active_claim(self.db, guild_id, ref) if ref else None
        if claim is None or claim.user_id != user_id:
            raise Refused(Problem.NOT_YOUR_CLAIM, ref=str(ref) if ref else text[:40])
        await q.end_claim(self.db, claim.id, ClaimState.RELEASED)
        await self.refresh_board_of(claim)
        return claim

    async def _current(self, job: Job) -> Claim | None:
        """The job's claim when it is still active, without a live pull request, and
        still due at the time the job was made for."""
        claim = await q.claim(self.db, int(job.payload["claim"]))
        if claim is None or claim.state is not ClaimState.ACTIVE:
            return None
        if claim.pr_state in (PrState.OPEN, PrState.MERGED):
            return None
        if to_ts(claim.expires_at) != int(job.payload["expires"]):
            return None
        return claim

    async def on_remind(self, job: Job) -> None:
        claim = await self._current(job)
        if claim is not None:
            await self._dm(
                claim.user_id,
                claim.guild_id,
                remind_dm_key(claim.id, claim.expires_at),
                lambda: render.claim_reminder(claim),
            )

    async def on_expire(self, job: Job) -> None:
        claim = await self._current(job)
        if claim is None or not await q.end_claim(
            self.db, claim.id, ClaimState.EXPIRED
        ):
            return
        await self._dm(
            claim.user_id,
            claim.guild_id,
            lapsed_dm_key(claim.id),
            lambda: render.claim_lapsed(claim),
        )
        await self.refresh_board_of(claim)

    async def _dm(
        self,
        user_id: int,
        guild_id: int,
        key: str,
        words: Callable[[], str],
        *,
        fallback: Fallback | None = None,
    ) -> None:
        """DM a member once, through ``bot.reach`` (closed DMs are never silent).

        The words are drawn in the guild's language: the recipient is often not the
        member whose interaction this is, and the bot keeps no member's locale.
        """
        with use_language(await self.bot.guild_language(guild_id)):
            text = words()
        await self.bot.reach.dm(
            key, user_id, guild_id=guild_id, content=text, fallback=fallback
        )

    # -- settings ---------------------------------------------------------------------------------
    async def set_labels(
        self, guild_id: int, project: str, kind: Kind, labels: tuple[str, ...]
    ) -> str:
        found = catalogue().by_name(project)
        if found is None:
            raise Refused(Problem.UNKNOWN_PROJECT, name=project[:40])
        await q.set_labels(
            self.db,
            guild_id,
            found.repo,
            kind,
            labels or catalogue().labels.get(kind, ()),
        )
        return found.repo

    # -- tasks -----------------------------------------------------------------------------------------
    async def post_task(
        self,
        guild_id: int,
        poster_id: int,
        title: str,
        description: str,
        kind: TaskKind,
        mentor: discord.abc.User,
    ) -> Task:
        if mentor.bot:
            raise Refused(Problem.MENTOR_IS_BOT)
        title = check_text(title, limit=TITLE_LIMIT)
        description = check_text(description, limit=TASK_TEXT_LIMIT)
        return await q.add_task(
            self.db, guild_id, title, description, kind, mentor.id, poster_id
        )

    async def find_task(self, guild_id: int, text: str) -> Task:
        number = parse_number(text)
        found = None if number is None else await q.task(self.db, guild_id, number)
        if found is None:
            raise Refused(Problem.UNKNOWN_TASK)
        return found

    async def claim_task(self, guild_id: int, user_id: int, text: str) -> Task:
        task = await self.find_task(guild_id, text)
        check_task_claim(user_id, task.state, task.mentor_id)
        moved = await q.move_task(
            self.db,
            task.id,
            expect=(TaskState.OPEN,),
            to=TaskState.CLAIMED,
            claimant_id=user_id,
        )
        if moved is None:
            raise Refused(Problem.TASK_NOT_OPEN)
        await self._dm(
            task.mentor_id,
            guild_id,
            task_dm_key(task.id, "claimed"),
            lambda: render.task_claimed_dm(moved, user_id),
        )
        return moved

    async def submit_task(self, interaction: Interaction, text: str, link: str) -> Task:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        task = await self.find_task(guild_id, text)
        if task.claimant_id != interaction.user.id:
            raise NotAllowed(render.refusal(Problem.NOT_YOUR_TASK, {}))
        check_submission(task.state)
        cleaned = check_link(link)
        moved = await q.move_task(
            self.db,
            task.id,
            expect=(TaskState.CLAIMED, TaskState.SUBMITTED),
            to=TaskState.SUBMITTED,
            link=cleaned[:LINK_LIMIT],
        )
        if moved is None:
            raise Refused(Problem.NOT_YOUR_TASK)
        await self._dm(
            task.mentor_id,
            guild_id,
            task_dm_key(task.id, "submitted"),
            lambda: render.task_submitted_dm(moved),
        )
        return moved

    async def review_task(
        self, interaction: Interaction, text: str, accept: bool, note: str
    ) -> Task:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        task = await self.find_task(guild_id, text)
        settings = await self.bot.guild_config.get(guild_id)
        if task.mentor_id != interaction.user.id and not has_role(
            interaction.user, settings, Role.ORGANISER
        ):
            raise NotAllowed(render.refusal(Problem.NOT_TASK_MENTOR, {}))
        cleaned = check_text(note, limit=NOTE_LIMIT, required=False)
        check_review(task.state, accept, cleaned)
        moved = await q.move_task(
            self.db,
            task.id,
            expect=(TaskState.SUBMITTED,),
            to=TaskState.DONE if accept else TaskState.CLAIMED,
            feedback=cleaned or None,
        )
        if moved is None:
            raise Refused(Problem.NOTHING_SUBMITTED)
        assert moved.claimant_id is not None
        await self._dm(
            moved.claimant_id,
            guild_id,
            task_dm_key(task.id, "reviewed"),
            lambda: render.task_review_dm(moved, accept, cleaned),
        )
        return moved

    async def drop_task(self, interaction: Interaction, text: str) -> tuple[Task, bool]:
        """The member leaves a task (it opens again), or its mentor withdraws it."""
        assert interaction.guild_id is not None
        task = await self.find_task(interaction.guild_id, text)
        user_id = interaction.user.id
        if task.claimant_id == user_id and task.state in (
            TaskState.CLAIMED,
            TaskState.SUBMITTED,
        ):
            moved = await q.move_task(
                self.db,
                task.id,
                expect=(TaskState.CLAIMED, TaskState.SUBMITTED),
                to=TaskState.OPEN,
                keep_claimant=False,
            )
            if moved is None:
                raise Refused(Problem.NOT_YOUR_TASK)
            return moved, False
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if task.mentor_id != user_id and not has_role(
            interaction.user, settings, Role.ORGANISER
        ):
            # Someone else's task: not a role to get, so say whose it is not.
            raise NotAllowed(render.refusal(Problem.NOT_YOUR_TASK, {}))
        moved = await q.move_task(
            self.db,
            task.id,
            expect=(TaskState.OPEN, TaskState.CLAIMED, TaskState.SUBMITTED),
            to=TaskState.WITHDRAWN,
        )
        if moved is None:
            raise Refused(Problem.TASK_NOT_OPEN)
        return moved, True

    async def tasks_page(self, interaction: Interaction, number: int, arg: str) -> Page:
        assert interaction.guild_id is not None
        states = (
            (TaskState.OPEN,)
            if arg != "all"
            else tuple(s for s in TaskState if s is not TaskState.WITHDRAWN)
        )
        total = await q.count_tasks(self.db, interaction.guild_id, states)
        number, count, offset = page_bounds(number, total, TASKS_PAGE_SIZE)
        rows = await q.tasks(
            self.db, interaction.guild_id, states, limit=TASKS_PAGE_SIZE, offset=offset
        )
        return Page(render.tasks_page(rows, total), number, count)

    # -- sprints ------------------------------------------------------------------------------------
    async def sprint(self, guild_id: int, text: str) -> records.SprintEvent:
        number = parse_number(text)
        event = (
            None if number is None else await records.sprint(self.db, guild_id, number)
        )
        if event is None:
            raise Refused(Problem.NOT_A_SPRINT)
        return event

    async def pick(
        self, guild_id: int, user_id: int, event_text: str, issue_text: str
    ) -> str:
        event = await self.sprint(guild_id, event_text)
        if event.ends_at <= utcnow():
            raise Refused(Problem.SPRINT_OVER)
        issue = await self.resolve_issue(guild_id, issue_text)
        if issue.is_pull:
            raise Refused(Problem.IS_PULL_REQUEST, ref=str(issue.ref))
        if issue.state != "open":
            raise Refused(Problem.ISSUE_CLOSED, ref=str(issue.ref))
        await q.ensure_board(self.db, guild_id, event.id)
        if len(await q.board_issues(self.db, event.id)) >= BOARD_LIMIT:
            raise Refused(Problem.BOARD_FULL, limit=BOARD_LIMIT)
        if not await q.pick(self.db, event.id, issue.ref, issue.title, user_id):
            raise Refused(Problem.ALREADY_ON_BOARD, ref=str(issue.ref))
        await self.bot.schedule(
            WRAP_KIND,
            wrap_key(event.id),
            event.ends_at,
            guild_id=guild_id,
            payload={"event": event.id},
        )
        await self.refresh_board(guild_id, event.id)
        return str(issue.ref)

    async def unpick(self, guild_id: int, event_text: str, issue_text: str) -> str:
        event = await self.sprint(guild_id, event_text)
        ref = parse_issue(issue_text, catalogue())
        if ref is None or not await q.unpick(self.db, event.id, ref):
            raise Refused(
                Problem.NOT_ON_BOARD, ref=str(ref) if ref else issue_text[:40]
            )
        await self.refresh_board(guild_id, event.id)
        return str(ref)

    async def sprint_claim(
        self, guild_id: int, user_id: int, event_text: str, issue_text: str
    ) -> Claim:
        event = await self.sprint(guild_id, event_text)
        if event.ends_at <= utcnow():
            raise Refused(Problem.SPRINT_OVER)
        ref = parse_issue(issue_text, catalogue())
        on_board = {i.ref for i in await q.board_issues(self.db, event.id)}
        if ref is None or ref not in on_board:
            raise Refused(
                Problem.NOT_ON_BOARD, ref=str(ref) if ref else issue_text[:40]
            )
        return await self.claim(guild_id, user_id, str(ref), sprint_id=event.id)

    async def board_embed(self, guild_id: int, event_id: int) -> discord.Embed:
        event = await self.sprint(guild_id, str(event_id))
        issues = await q.board_issues(self.db, event_id)
        holders = await q.active_holders(self.db, guild_id, (i.ref for i in issues))
        merged = {
            c.ref: c
            for c in await q.sprint_claims(self.db, event_id)
            if c.state is ClaimState.MERGED
        }
        rows = [
            (str(i.ref), i.ref.url, i.title, holders.get(i.ref) or merged.get(i.ref))
            for i in issues
        ]
        projects = []
        for issue in issues:
            project = catalogue().project_of_repo(issue.repo)
            if project is not None and project not in projects:
                projects.append(project)
        return render.board_embed(event.title, event.starts_at, rows, projects)

    async def post_board(self, interaction: Interaction, event_text: str) -> None:
        """Post the board in this channel (the sprint's channel); it is kept up to date."""
        assert interaction.guild_id is not None and interaction.channel_id is not None
        event = await self.sprint(interaction.guild_id, event_text)
        await q.ensure_board(self.db, interaction.guild_id, event.id)
        with guild_language():
            embed = await self.board_embed(interaction.guild_id, event.id)
        await interaction.response.send_message(
            embed=embed, allowed_mentions=NO_MENTIONS
        )
        message = await interaction.original_response()
        await q.set_board_message(self.db, event.id, message.channel.id, message.id)
        await self.bot.schedule(
            WRAP_KIND,
            wrap_key(event.id),
            event.ends_at,
            guild_id=interaction.guild_id,
            payload={"event": event.id},
        )

    async def refresh_board_of(self, claim: Claim) -> None:
        if claim.sprint_id is not None:
            await self.refresh_board(claim.guild_id, claim.sprint_id)

    async def refresh_board(self, guild_id: int, event_id: int) -> None:
        """Redraw a posted board (the database stays the truth if Discord refuses)."""
        board = await q.board(self.db, event_id)
        if board is None or board.message_id is None or board.channel_id is None:
            return
        try:
            with use_language(await self.bot.guild_language(guild_id)):
                embed = await self.board_embed(guild_id, event_id)
            await (
                self.bot.get_partial_messageable(board.channel_id, guild_id=guild_id)
                .get_partial_message(board.message_id)
                .edit(embed=embed)
            )
        except (discord.HTTPException, Refused) as error:
            log.info("could not redraw sprint board %s: %s", event_id, error)

    async def call_for_help(
        self, interaction: Interaction, event_text: str, note: str
    ) -> None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        event = await self.sprint(interaction.guild_id, event_text)
        cleaned = check_text(note, limit=NOTE_LIMIT, required=False)
        call_id = await q.add_help_call(
            self.db, event.id, interaction.guild_id, interaction.user.id, cleaned
        )
        await reply(interaction, render.help_called())
        with guild_language():
            text = render.help_call(interaction.user.id, cleaned)
            call_text = render.help_call(interaction.user.id, "")
            view = view_of(HelpAnswerButton(call_id))
        # No role ping (the release role is the only one the bot pings): the call
        # is posted here, and the mentors on duty, who picked the board's issues,
        # hear of it by DM.
        await self.bot.outbox.send(
            help_call_key(call_id),
            interaction.channel_id,
            guild_id=interaction.guild_id,
            content=text,
            view=view,
        )
        on_duty = {i.picked_by for i in await q.board_issues(self.db, event.id)}
        caller, channel = interaction.user.id, interaction.channel_id
        for mentor_id in sorted(on_duty - {caller}):
            await self._dm(
                mentor_id,
                interaction.guild_id,
                help_dm_key(call_id, mentor_id),
                lambda: render.help_call_dm(caller, channel, event.title),
                # A mentor whose DMs are closed is mentioned beside the call.
                fallback=Fallback(channel, call_text),
            )

    async def on_help_answer(self, interaction: Interaction, call_id: int) -> None:
        await require_role(interaction, Role.MENTOR, Role.ORGANISER)
        if await q.answer_help_call(self.db, call_id, interaction.user.id) is None:
            raise Refused(Problem.HELP_TAKEN)
        original = interaction.message.content if interaction.message else ""
        with guild_language():
            text = f"{original}\n{render.help_answered(interaction.user.id)}"
        await interaction.response.edit_message(content=text, view=None)

    async def on_wrap(self, job: Job) -> None:
        """After the sprint: what was merged, and thanks to each contributor."""
        assert job.guild_id is not None
        event_id = int(job.payload["event"])
        event = await records.sprint(self.db, job.guild_id, event_id)
        board = await q.board(self.db, event_id)
        if event is None or board is None:
            return
        claims = await q.sprint_claims(self.db, event_id)
        merged = [c for c in claims if c.state is ClaimState.MERGED]
        quiet = await q.quiet_members(self.db, job.guild_id)
        contributors = sorted(
            {c.user_id for c in claims if c.state is not ClaimState.RELEASED} - quiet
        )
        channel = board.channel_id or (
            await self.bot.guild_config.get(job.guild_id)
        ).channel(Channel.EVENTS)
        if channel is None:
            return
        text = render.sprint_wrap(event.title, merged, contributors)
        await self.bot.outbox.send(
            wrap_post_key(event_id), channel, guild_id=job.guild_id, content=text
        )
        await q.mark_wrapped(self.db, event_id)

    # -- releases -----------------------------------------------------------------------------------
    async def on_releases(self, job: Job) -> None:
        try:
            await self.check_releases()
        finally:
            await self.schedule_releases(utcnow())

    async def check_releases(self) -> None:
        for project in catalogue().projects:
            if not project.releases:
                continue
            release = None
            try:
                release = await self.source.latest_release(project.repo)
            except Unreachable as error:
                log.info("no GitHub release for %s: %s", project.repo, error)
            if release is None and project.pypi:
                try:
                    release = await self.source.pypi_release(project.pypi)
                except Unreachable as error:
                    log.info("no PyPI release for %s: %s", project.pypi, error)
            if release is None:
                continue
            version = normalise_version(release.version)
            first_look = not await q.known_versions(self.db, project.repo)
            url = changelog_url(project, version, release.url)
            if not await q.record_release(
                self.db, project.repo, version, url, release.source
            ):
                continue
            if first_look:
                continue  # what was out before the bot looked is not news
            # Only servers that use the job (a /contribute command, a release role).
            for guild_id in sorted(await q.used_guilds(self.db)):
                await self.announce_release(guild_id, project.repo, version, url)

    async def announce_release(
        self, guild_id: int, repo: str, version: str, url: str
    ) -> None:
        settings = await self.bot.guild_config.get(guild_id)
        channel = settings.channel(Channel.ANNOUNCEMENTS)
        project = catalogue().project_of_repo(repo)
        if channel is None or project is None:
            return
        role = settings.release_role_id
        with use_language(await self.bot.guild_language(guild_id)):
            text = render.release_post(project, version, url, role)
        # The one role ping the bot makes: the role members opted in to, and only it.
        mentions = discord.AllowedMentions(
            everyone=False,
            users=False,
            replied_user=False,
            roles=[discord.Object(role)] if role else False,
        )
        await self.bot.outbox.send(
            release_post_key(guild_id, repo, version),
            channel,
            guild_id=guild_id,
            content=text,
            allowed_mentions=mentions,
        )

    # -- recognition -----------------------------------------------------------------------------
    async def thanks_for(
        self, guild_id: int, moment: datetime
    ) -> tuple[datetime, list[Thanks]]:
        start, end = month_bounds(moment)
        s, e = to_ts(start), to_ts(end)
        rows = await q.contributions(self.db, guild_id, s, e)
        rows += [
            Thanks(u, solved=n)
            for u, n in (
                await records.solved_questions(self.db, guild_id, s, e)
            ).items()
        ]
        rows += [
            Thanks(u, mentored=n)
            for u, n in (await records.mentoring(self.db, guild_id, s, e)).items()
        ]
        rows += [
            Thanks(u, caretaking=n)
            for u, n in (await records.caretaking(self.db, guild_id, s, e)).items()
        ]
        return start, merge_thanks(rows, await q.quiet_members(self.db, guild_id))

    async def on_recognition(self, job: Job) -> None:
        assert job.guild_id is not None
        try:
            await self.post_recognition(job.guild_id, job.due_at)
        finally:
            due = next_recognition(job.due_at)
            await self.bot.schedule(
                RECOGNITION_KIND,
                recognition_key(job.guild_id, due),
                due,
                guild_id=job.guild_id,
            )

    async def post_recognition(self, guild_id: int, moment: datetime) -> bool:
        """Thank last month's helpers; say nothing when there is nobody to thank."""
        month, people = await self.thanks_for(guild_id, moment)
        channel = (await self.bot.guild_config.get(guild_id)).channel(
            Channel.ANNOUNCEMENTS
        )
        if not people or channel is None:
            return False
        with use_language(await self.bot.guild_language(guild_id)):
            text = render.recognition_post(format_date(month, "MMMM yyyy"), people)
        await self.bot.outbox.send(
            recognition_post_key(guild_id, month),
            channel,
            guild_id=guild_id,
            content=text,
        )
        return True

    # -- start here ------------------------------------------------------------------------------
    async def on_start_ask(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        await reply(interaction, render.ask_answer(settings.channel(Channel.QUESTIONS)))

    async def on_start_contribute(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        await self.ensure_guild(interaction.guild_id)
        issues = await self.newcomer_picks(interaction.guild_id, None)
        await reply(
            interaction, embed=render.contribute_answer(issues, catalogue().projects)
        )

    async def on_start_mentor(self, interaction: Interaction) -> None:
        await reply(interaction, render.mentor_answer())

    async def on_start_notify(self, interaction: Interaction) -> None:
        """Add or remove the release role: the member's own choice, nobody else's."""
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        role_id = settings.release_role_id
        member = interaction.user
        if role_id is None or not isinstance(member, discord.Member):
            raise Refused(Problem.NO_RELEASE_ROLE)
        role = discord.Object(role_id)
        has = any(r.id == role_id for r in member.roles)
        if has:
            await member.remove_roles(role, reason="release notifications: opted out")
        else:
            await member.add_roles(role, reason="release notifications: opted in")
        await self.ensure_guild(interaction.guild_id)
        await reply(interaction, render.role_toggled(not has))

    async def on_start_volunteer(self, interaction: Interaction) -> None:
        # Caretakers offer with /ext volunteer, which puts them on the roster.
        labels = {"helper": render.volunteer_kind_label("helper")}
        await reply(
            interaction, render.volunteer_prompt(), view=VolunteerChoice(labels)
        )

    async def on_volunteer_form(
        self, interaction: Interaction, kind: str, extension: str, note: str
    ) -> None:
        assert interaction.guild_id is not None
        extension = check_text(extension, limit=100, required=kind == "caretaker")
        note = check_text(note, limit=NOTE_LIMIT, required=False)
        offer = await q.add_offer(
            self.db, interaction.guild_id, interaction.user.id, kind, extension, note
        )
        if offer is None:
            raise Refused(Problem.ALREADY_VOLUNTEERED)
        await reply(interaction, render.offer_received())
        settings = await self.bot.guild_config.get(interaction.guild_id)
        log_channel = settings.channel(Channel.LOG)
        if log_channel is None:
            return
        with guild_language():
            text = render.offer_notice(offer.user_id, kind, extension, note)
            view = view_of(OfferButton(offer.id, True), OfferButton(offer.id, False))
        await self.bot.outbox.send(
            offer_post_key(offer.id),
            log_channel,
            guild_id=interaction.guild_id,
            content=text,
            view=view,
        )

    async def on_offer(
        self, interaction: Interaction, offer_id: int, approve: bool
    ) -> None:
        """An organiser decides a volunteer's offer; the volunteer is told either way."""
        assert interaction.guild_id is not None
        await require_role(interaction, Role.ORGANISER)
        found = await q.offer(self.db, offer_id)
        if found is None or found.guild_id != interaction.guild_id:
            raise Refused(Problem.OFFER_DECIDED)
        if found.user_id == interaction.user.id:
            raise Refused(Problem.OWN_OFFER)
        decided = await q.decide_offer(self.db, offer_id, interaction.user.id, approve)
        if decided is None:
            raise Refused(Problem.OFFER_DECIDED)
        settings = await self.bot.guild_config.get(interaction.guild_id)
        helper_role = settings.role(Role.HELPER)
        if approve and decided.kind == "helper" and helper_role:
            try:
                await self.bot.http.add_role(
                    interaction.guild_id,
                    decided.user_id,
                    helper_role,
                    reason="volunteer accepted as a helper",
                )
            except discord.HTTPException as error:
                log.info("could not give the helper role: %s", error)
        with guild_language():
            text = render.offer_decided_notice(
                decided.user_id, approve, interaction.user.id
            )
        await interaction.response.edit_message(content=text, view=None)
        await self._dm(
            decided.user_id,
            interaction.guild_id,
            offer_dm_key(offer_id),
            lambda: render.offer_answer_dm(decided.kind, decided.extension, approve),
        )

    # -- members --------------------------------------------------------------------------------------
    async def require_maintainer(self, interaction: Interaction) -> None:
        """Maintainers pick sprint issues and post tasks: organisers and mentors."""
        await require_role(interaction, Role.ORGANISER, Role.MENTOR)
