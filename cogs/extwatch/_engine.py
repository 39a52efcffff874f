"""What the extension watch does: keep the list, fetch, assess, tell, and steward.

- **The list** of a server is its extension registry (``bot.flask_extensions``), seeded
  from the shipped files on first use; the first /ext command also starts the
  weekly check, so a server that never uses /ext never causes a request upstream.
  The weekly check reads the pallets-eco organisation's repositories from GitHub and
  adds the new ones (announced to organisers once).
- **Fetching** (``_fetch.py``) keeps what PyPI, OSV and GitHub said in SQLite;
  **assessing** reads only that cache (``_logic.assess``), so /ext status answers
  at once. When GitHub's rate limit runs out, the rest is fetched again after the
  reset (timed work ``extwatch.resume``).
- **The weekly check** (Monday 06:00 UTC, ``extwatch.weekly``) posts status changes
  to the log channel, once (outbox).
- **Stewardship**: caretakers (a roster per extension; offers of help decided by
  organisers with buttons; quiet caretakers asked by DM whether they are still in),
  a policy (at least N active caretakers) whose breach is a risk, adoption cases,
  and followers. Each new risk is an alert: one fan-out job (``extwatch.alert``)
  tells the followers by DM and posts it in the public extensions channel, once.
- **Flask, Werkzeug and Jinja releases** are checked every few hours
  (``extwatch.releases``): a new major or minor release lists the watched extensions
  whose declared requirement excludes it, the same day.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TYPE_CHECKING

import discord

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.extensions import Extension
from bot.extensions import FOLLOWED
from bot.extensions import Kind as ExtensionKind
from bot.extensions import Risk
from bot.github import GitHubError
from bot.guilds import Channel
from bot.guilds import Role
from bot.http_cache import HttpCache
from bot.i18n import guild_language
from bot.i18n import use_language
from bot.permissions import require_role
from bot.reach import Fallback
from bot.refusals import Refused
from bot.scheduler import Job
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.extwatch import _history as history
from cogs.extwatch import _pages as pages
from cogs.extwatch import _queries as q
from cogs.extwatch import _render as render
from cogs.extwatch._client import ApiClient
from cogs.extwatch._client import FetchError
from cogs.extwatch._fetch import pypi_project
from cogs.extwatch._fetch import refresh_packages
from cogs.extwatch._fetch import RefreshResult
from cogs.extwatch._logic import Activity
from cogs.extwatch._logic import assess
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Caretaker
from cogs.extwatch._logic import caretaker_risk
from cogs.extwatch._logic import CaretakerRole
from cogs.extwatch._logic import Change
from cogs.extwatch._logic import check_step
from cogs.extwatch._logic import CORE_PACKAGES
from cogs.extwatch._logic import excludes
from cogs.extwatch._logic import health_risks
from cogs.extwatch._logic import Help
from cogs.extwatch._logic import Hours
from cogs.extwatch._logic import is_feature_release
from cogs.extwatch._logic import next_weekly
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import Policy
from cogs.extwatch._logic import Problem
from cogs.extwatch._logic import role_for
from cogs.extwatch._logic import Roster
from cogs.extwatch._logic import roster
from cogs.extwatch._logic import shown_name
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import status_change
from cogs.extwatch._logic import STATUS_ORDER
from cogs.extwatch._logic import Step
from cogs.extwatch._logic import STEPS
from cogs.extwatch._logic import Thresholds
from cogs.extwatch._queries import Cached
from cogs.extwatch._queries import Watched
from cogs.extwatch._render import Stewardship
from cogs.extwatch._views import OFFER
from cogs.extwatch._views import offer_view
from cogs.extwatch._views import STILL_IN
from cogs.extwatch._views import still_in_view

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

WEEKLY_KIND = "extwatch.weekly"
ALERT_KIND = "extwatch.alert"
RESUME_KIND = "extwatch.resume"
RELEASES_KIND = "extwatch.releases"
TELL_KIND = "extwatch.tell"
#: The report, paged with ``bot.ui.show_page``.
REPORT_PAGES = "extwatch.report"
REPORT_PAGE_SIZE = 10
#: How often Flask, Werkzeug and Jinja are checked for a new release.
RELEASES_EVERY = timedelta(hours=3)

#: A watched extension, assessed from the cache, with the cached data.
Assessed = tuple[Watched, Assessment, Cached]


# -- keys: one function each ------------------------------------------------------------
def weekly_prefix(guild_id: int) -> str:
    """The start of every weekly check's key of a server."""
    return f"extwatch:weekly:{guild_id}:"


def weekly_key(guild_id: int, due: datetime) -> str:
    """The weekly check of a server due at ``due``."""
    return f"{weekly_prefix(guild_id)}{to_ts(due)}"


def changes_key(guild_id: int, due: datetime) -> str:
    """The outbox key of the post telling the changes the check due at ``due`` found."""
    return f"extwatch:changes:{guild_id}:{to_ts(due)}"


def resume_key(guild_id: int, due: int) -> str:
    """The fetch of what the rate limit left out, after it resets."""
    return f"extwatch:resume:{guild_id}:{due}"


def org_new_key(guild_id: int, repo: str) -> str:
    """The outbox key of the notice that a new organisation repository is watched."""
    return f"extwatch:org-new:{guild_id}:{repo.lower()}"


def alert_job_key(alert_id: int) -> str:
    """The fan-out of one alert (followers' DMs and the public post)."""
    return f"extwatch:alert:{alert_id}"


def alert_post_key(alert_id: int) -> str:
    return f"extwatch:alert-post:{alert_id}"


def alert_dm_key(alert_id: int, user_id: int) -> str:
    return f"extwatch:alert-dm:{alert_id}:{user_id}"


def offer_post_key(offer_id: int) -> str:
    """The outbox key of an offer of help shown to organisers."""
    return f"extwatch:offer:{offer_id}"


def tell_key(offer_id: int) -> str:
    """The job that tells a volunteer the organisers' answer."""
    return f"extwatch:tell:{offer_id}"


def answer_dm_key(offer_id: int) -> str:
    return f"extwatch:answer-dm:{offer_id}"


def still_in_key(caretaker_id: int, asked_at: int) -> str:
    """The DM asking a quiet caretaker whether they are still in."""
    return f"extwatch:still-in:{caretaker_id}:{asked_at}"


def releases_key(due: int) -> str:
    """The check of Flask, Werkzeug and Jinja due at ``due`` (all servers at once)."""
    return f"extwatch:releases:{due}"


def release_post_key(guild_id: int, package: str, version: str) -> str:
    return f"extwatch:release:{guild_id}:{package}:{version}"


class ExtWatchEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.client = ApiClient(HttpCache(bot.db))
        #: Servers whose watch list is known to be seeded (it stays so).
        self._seeded: set[int] = set()

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        scheduler = self.bot.scheduler
        scheduler.register(WEEKLY_KIND, self.on_weekly, catch_up=timedelta(days=2))
        scheduler.register(ALERT_KIND, self.on_alert, catch_up=timedelta(days=7))
        scheduler.register(RESUME_KIND, self.on_resume, catch_up=timedelta(days=1))
        scheduler.register(RELEASES_KIND, self.on_releases, catch_up=timedelta(hours=6))
        scheduler.register(TELL_KIND, self.on_tell, catch_up=timedelta(days=7))
        self.bot.actions.register_pages(REPORT_PAGES, self.report_page)
        self.bot.actions.register(OFFER, self.on_offer)
        self.bot.actions.register(STILL_IN, self.on_still_in)
        self.bot.pages.register(pages.section(self))

    def unregister(self) -> None:
        for kind in (WEEKLY_KIND, ALERT_KIND, RESUME_KIND, RELEASES_KIND, TELL_KIND):
            self.bot.scheduler.unregister(kind)
        self.bot.actions.unregister(REPORT_PAGES, OFFER, STILL_IN)
        self.bot.pages.unregister(pages.NAME)

    async def close(self) -> None:
        await self.client.close()

    def thresholds(self) -> Thresholds:
        s = self.bot.settings
        return Thresholds(
            watch_months=s.ext_watch_months,
            risk_months=s.ext_risk_months,
            flask_major=s.flask_major_version,
        )

    def policy(self, item: Watched | Extension) -> Policy:
        """How many active caretakers ``item`` should have."""
        s = self.bot.settings
        minimum = item.min_caretakers
        if minimum is None:
            in_org = bool(s.ext_org) and (item.repo or "").lower().startswith(
                s.ext_org.lower() + "/"
            )
            minimum = s.ext_min_caretakers if in_org else 0
        return Policy(minimum=minimum, inactive_months=s.ext_inactive_months)

    # -- the list ---------------------------------------------------------------------------
    async def ensure_guild(self, guild_id: int) -> None:
        """On a server's first use: its registry, the weekly and the release checks.

        Every /ext command and autocomplete keystroke passes here, so once a server
        is known to be set up this is a set lookup, and after a restart one read: no
        write, no file read.
        """
        if guild_id in self._seeded:
            return
        if not await q.is_seeded(self.db, guild_id):
            await self.bot.flask_extensions.ensure(guild_id)
            if await q.mark_seeded(self.db, guild_id):
                await self.schedule_weekly(guild_id, utcnow())
                await self.schedule_releases(now_ts())
        self._seeded.add(guild_id)

    async def watched(self, guild_id: int, name: str) -> Watched:
        """The watched extension a member named, or a refusal."""
        entry = await self.bot.flask_extensions.find(guild_id, name)
        package = entry.package if entry else normalise_name(name.strip())
        item = await q.get_watched(self.db, guild_id, package)
        if item is None:
            raise Refused(Problem.NOT_WATCHED, name=shown_name(name))
        return item

    async def extension(self, guild_id: int, name: str) -> Extension:
        """An extension the server knows (watched or not), or a refusal."""
        entry = await self.bot.flask_extensions.find(guild_id, name)
        if entry is None or entry.kind is not ExtensionKind.EXTENSION:
            raise Refused(Problem.UNKNOWN_EXTENSION, name=shown_name(name))
        return entry

    async def add(
        self,
        guild_id: int,
        package: str,
        display_name: str,
        repo: str | None,
        notes: str,
        added_by: int,
    ) -> None:
        """Watch an extension (checked by the caller: ``_logic.check_new_watch``)."""
        registry = self.bot.flask_extensions
        known = await registry.find(guild_id, package)
        if known is not None:
            if known.watched or known.kind is not ExtensionKind.EXTENSION:
                raise Refused(Problem.ALREADY_WATCHED, name=display_name)
            changes: dict[str, Any] = {"watched": True}
            if repo:
                changes["repo"] = repo
            if notes:
                changes["notes"] = notes
            await registry.update(guild_id, known.package, **changes)
            return
        await registry.add(
            guild_id,
            package=package,
            display_name=display_name,
            repo=repo,
            notes=notes,
            source="organiser",
            added_by=added_by,
        )

    async def remove(self, guild_id: int, name: str) -> Watched:
        """Stop watching the extension a member named (its forum tag stays)."""
        item = await self.watched(guild_id, name)
        await self.bot.flask_extensions.update(guild_id, item.package, watched=False)
        return item

    async def edit(self, guild_id: int, name: str, **changes: Any) -> Extension:
        """Change what the registry says about an extension; applies at once."""
        entry = await self.extension(guild_id, name)
        if not changes:
            raise Refused(Problem.NOTHING_TO_CHANGE)
        return await self.bot.flask_extensions.update(
            guild_id, entry.package, **changes
        )

    # -- assessing from the cache -----------------------------------------------------------
    async def assessments(self, guild_id: int) -> list[Assessed]:
        """Every watched extension of a server with its assessment and cached data."""
        now = now_ts()
        limits = self.thresholds()
        out = []
        for item in await q.watched(self.db, guild_id):
            cache = await q.cached(self.db, item.package, item.repo)
            out.append((item, assess(cache.evidence(), limits, now), cache))
        return out

    async def stewardship(self, item: Watched, cache: Cached) -> Stewardship:
        people = await q.caretakers(self.db, item.guild_id, item.package)
        activity = cache.activity()
        state, risk = self.caretaker_state(item, people, activity, now_ts())
        return Stewardship(
            caretakers=tuple(people),
            roster=state,
            activity=activity,
            policy=self.policy(item),
            followers=len(await q.followers(self.db, item.guild_id, item.package)),
            adoption=await q.latest_adoption(self.db, item.guild_id, item.package),
            risk=risk,
        )

    def caretaker_state(
        self,
        item: Watched,
        people: Sequence[Caretaker],
        activity: Activity | None,
        now: int,
    ) -> tuple[Roster, Risk | None]:
        """Who of ``item``'s caretakers is active, and whether it needs more."""
        policy = self.policy(item)
        state = roster(people, activity, policy, now)
        return state, caretaker_risk(state, activity, policy, now)

    async def record_history(self, guild_id: int, assessed: list[Assessed]) -> None:
        """Note each status that changed since the last check (the public pages'
        history and feed)."""
        await history.record(
            self.db,
            guild_id,
            [(item.package, assessment) for item, assessment, _cache in assessed],
            now_ts(),
        )

    async def status_embed(self, guild_id: int, name: str) -> discord.Embed:
        """An extension's health, caretakers and activity, from the cache."""
        item = await self.watched(guild_id, name)
        cache = await q.cached(self.db, item.package, item.repo)
        now = now_ts()
        assessment = assess(cache.evidence(), self.thresholds(), now)
        steward = await self.stewardship(item, cache)
        return render.status_embed(item, assessment, cache, now, steward)

    async def report_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the report: every watched extension, worst first."""
        assert interaction.guild_id is not None
        rows = await self.assessments(interaction.guild_id)
        if not rows:
            raise Refused(Problem.EMPTY_LIST)
        order = {status: i for i, status in enumerate(STATUS_ORDER)}
        rows.sort(key=lambda r: (order[r[1].status], r[0].display_name.lower()))
        counts = Counter(assessment.status for _item, assessment, _cache in rows)
        number, count, offset = page_bounds(number, len(rows), REPORT_PAGE_SIZE)
        keepers = await q.caretaker_counts(self.db, interaction.guild_id)
        shown = [
            (item, assessment, bool(cache.stale))
            for item, assessment, cache in rows[offset : offset + REPORT_PAGE_SIZE]
        ]
        wanted = {item.package: self.policy(item).minimum for item, _a, _s in shown}
        return Page(render.report_embed(shown, counts, keepers, wanted), number, count)

    # -- fetching -------------------------------------------------------------------------
    async def refresh(self, packages: dict[str, str | None]) -> RefreshResult:
        """Fetch ``packages`` (name -> GitHub repo) into the cache."""
        activity, no_pypi = set(), set()
        for guild_id in await q.seeded_guilds(self.db):
            for item in await q.watched(self.db, guild_id):
                if item.package not in packages:
                    continue
                if self.policy(item).minimum > 0:
                    activity.add(item.package)
                if not item.pypi:
                    no_pypi.add(item.package)
        async with self.client.batch():
            return await refresh_packages(
                self.db,
                self.client,
                self.bot.github,
                self.bot.settings,
                packages,
                activity=activity,
                no_pypi=no_pypi,
            )

    async def refresh_watched(
        self, guild_id: int, items: list[Watched]
    ) -> tuple[RefreshResult, list[Change]]:
        """Fetch ``items`` now; return what happened and how their statuses changed."""
        before = {i.package: a.status for i, a, _c in await self.assessments(guild_id)}
        result = await self.refresh({i.package: i.repo for i in items})
        wanted = {i.package for i in items}
        changes = []
        assessed = await self.assessments(guild_id)
        await self.record_history(guild_id, assessed)
        for item, assessment, _cache in assessed:
            change = status_change(
                item.display_name, before.get(item.package), assessment
            )
            if item.package in wanted and change is not None:
                changes.append(change)
        await self.update_alerts(guild_id, wanted)
        return result, changes

    async def sync_org(self, guild_id: int) -> list[str]:
        """Add the organisation's repositories the list lacks; return their names."""
        org = self.bot.settings.ext_org
        if not org:
            return []
        try:
            repos = await self.bot.github.org_repositories(org)
        except GitHubError as error:
            log.warning("extension watch: could not list %s: %s", org, error)
            return []
        registry = self.bot.flask_extensions
        added = []
        for repo in repos:
            if repo.fork or repo.name.startswith("."):
                continue
            if await registry.by_repo(guild_id, repo.full_name) is not None:
                continue
            try:
                async with self.client.batch():
                    found = await pypi_project(
                        self.client, self.bot.settings, repo.name
                    )
            except FetchError:
                found = (repo.name, "")  # unknown: assume a package of that name
            display = found[0] if found else repo.name
            entry = await registry.add(
                guild_id,
                package=normalise_name(display),
                display_name=display,
                repo=repo.full_name,
                source="org",
                pypi=found is not None,
            )
            if entry is None:
                continue
            added.append(entry.display_name)
            with guild_language():
                text = render.org_new_notice(entry.display_name, repo.full_name, org)
            await self._tell_organisers(
                guild_id, org_new_key(guild_id, repo.full_name), text
            )
        return added

    async def _tell_organisers(
        self, guild_id: int, key: str, text: str, view: discord.ui.View | None = None
    ) -> int | None:
        """Post in the log channel once (outbox); the message id, or None."""
        settings = await self.bot.guild_config.get(guild_id)
        channel_id = settings.channel(Channel.LOG)
        if channel_id is None:
            return None
        delivery = await self.bot.outbox.send(
            key, channel_id, guild_id=guild_id, content=text, view=view
        )
        return delivery.message_id

    async def public_channel(self, guild_id: int) -> int | None:
        """Where members read about extensions: its channel, else announcements."""
        settings = await self.bot.guild_config.get(guild_id)
        return settings.channel(Channel.EXTENSIONS) or settings.channel(
            Channel.ANNOUNCEMENTS
        )

    # -- the weekly check -----------------------------------------------------------------
    async def schedule_weekly(self, guild_id: int, after: datetime) -> None:
        due = next_weekly(after)
        await self.bot.schedule(
            WEEKLY_KIND, weekly_key(guild_id, due), due, guild_id=guild_id
        )

    async def start_weekly_checks(self) -> None:
        """At start-up: make sure every server that uses the watch has its checks."""
        guilds = await q.seeded_guilds(self.db)
        for guild_id in guilds:
            await self.schedule_weekly(guild_id, utcnow())
        if guilds:
            await self.schedule_releases(now_ts())

    async def on_weekly(self, job: Job) -> None:
        guild_id = job.guild_id
        if guild_id is None:
            return
        # Next week first, so a failure this week never stops the checks.
        await self.schedule_weekly(guild_id, job.due_at)
        await self.bot.flask_extensions.ensure(guild_id)
        await self.sync_org(guild_id)
        items = await q.watched(self.db, guild_id)
        result = await self.refresh({item.package: item.repo for item in items})
        changes: list[Change] = []
        current: dict[str, Status] = {}
        assessed = await self.assessments(guild_id)
        await self.record_history(guild_id, assessed)
        for item, assessment, _cache in assessed:
            current[item.package] = assessment.status
            change = status_change(item.display_name, item.reported_status, assessment)
            if change is not None:
                changes.append(change)
        if changes:
            await self._tell_organisers(
                guild_id,
                changes_key(guild_id, job.due_at),
                render.changes_post(changes),
            )
        await q.set_reported(self.db, guild_id, current)
        await self.update_alerts(guild_id)
        # (refresh() may be stubbed to fetch nothing, and then returns nothing.)
        if isinstance(result, RefreshResult) and result.retry_at:
            left = [
                package
                for package, failed in result.failures.items()
                if "rate_limited" in failed.values()
            ]
            due = result.retry_at + 60
            await self.bot.schedule(
                RESUME_KIND,
                resume_key(guild_id, due),
                from_ts(due),
                guild_id=guild_id,
                payload={"packages": sorted(left)},
            )

    async def on_resume(self, job: Job) -> None:
        """Fetch what the rate limit left out, after it reset."""
        guild_id = job.guild_id
        if guild_id is None:
            return
        wanted = set(job.payload.get("packages", []))
        items = [i for i in await q.watched(self.db, guild_id) if i.package in wanted]
        await self.refresh({item.package: item.repo for item in items})
        await self.update_alerts(guild_id, wanted)

    # -- risks and alerts -----------------------------------------------------------------
    async def update_alerts(
        self, guild_id: int, packages: Iterable[str] | None = None
    ) -> None:
        """Publish each extension's risks; raise an alert for each new one, once.

        The first assessment of an extension is a baseline, recorded silently (as
        the weekly post's first statuses are); later, each risk that appears is one
        alert, told to followers and the public channel by an ``extwatch.alert`` job.
        """
        only = set(packages) if packages is not None else None
        now = now_ts()
        published: dict[str, list[Risk]] = {}
        for item, assessment, cache in await self.assessments(guild_id):
            if only is not None and item.package not in only:
                continue
            if assessment.status is Status.UNKNOWN and not cache.activity():
                continue  # nothing fetched yet: nothing to judge
            risks = health_risks(assessment)
            people = await q.caretakers(self.db, guild_id, item.package)
            state, risk = self.caretaker_state(item, people, cache.activity(), now)
            if risk is not None:
                risks.append(risk)
            published[item.package] = risks
            first = await q.take_baseline(self.db, guild_id, item.package)
            await self._raise_and_clear(
                guild_id, item.package, risks, announce=not first
            )
            await self._ask_quiet_caretakers(guild_id, item, state)
        await self.bot.flask_extensions.set_risks(guild_id, published)

    async def _raise_and_clear(
        self, guild_id: int, package: str, risks: list[Risk], *, announce: bool
    ) -> None:
        current = {risk.flag.value: risk for risk in risks}
        for alert in await q.open_alerts(self.db, guild_id, package):
            if alert.flag not in current:
                await q.clear_alert(self.db, alert.id)
        for flag, risk in current.items():
            alert_id = await q.raise_alert(
                self.db,
                guild_id,
                package,
                flag,
                dict(risk.detail),
                announced=announce and risk.flag in FOLLOWED,
            )
            if alert_id is not None and announce and risk.flag in FOLLOWED:
                await self.bot.schedule(
                    ALERT_KIND,
                    alert_job_key(alert_id),
                    utcnow(),
                    guild_id=guild_id,
                    payload={"alert": alert_id},
                )

    async def reassess(self, guild_id: int, package: str) -> None:
        """A roster changed: judge that extension's caretakers again now."""
        await self.update_alerts(guild_id, {package})

    async def on_alert(self, job: Job) -> None:
        """Tell an alert to the public channel and to each follower, once each."""
        alert = await q.get_alert(self.db, int(job.payload["alert"]))
        if alert is None or job.guild_id is None:
            return
        entry = await self.bot.flask_extensions.find(alert.guild_id, alert.package)
        if entry is None:
            return
        risk = Risk.from_json({"flag": alert.flag, **alert.detail})
        channel_id = await self.public_channel(alert.guild_id)
        if channel_id is not None:
            await self.bot.outbox.send(
                alert_post_key(alert.id),
                channel_id,
                guild_id=alert.guild_id,
                content=render.alert_post(entry, risk),
            )
        followers = await q.followers(self.db, alert.guild_id, alert.package)
        await self.bot.reach.dm_each(
            alert_job_key(alert.id),
            [(alert_dm_key(alert.id, user_id), user_id) for user_id in followers],
            guild_id=alert.guild_id,
            content=render.alert_dm(entry, risk),
            # Followers whose DMs are closed are mentioned under the public post.
            fallback=Fallback(channel_id, render.alert_mention(entry.display_name)),
        )

    # -- caretakers ---------------------------------------------------------------------------
    async def _ask_quiet_caretakers(
        self, guild_id: int, item: Watched, state: Roster
    ) -> None:
        """Ask each caretaker with no activity for months whether they are still in."""
        for person in state.to_ask:
            asked_at = now_ts()
            if not await q.mark_asked(self.db, person.id, asked_at):
                continue
            with guild_language():
                text = render.still_in_question(item.display_name, person)
            # No public place to mention them: organisers are asked to ask instead.
            delivery = await self.bot.reach.dm(
                still_in_key(person.id, asked_at),
                person.user_id,
                guild_id=guild_id,
                content=text,
                view=still_in_view(person.id),
            )
            if delivery.failed:
                await self.bot.notices.post(
                    guild_id, render.still_in_unreachable(item.display_name, person)
                )

    async def on_still_in(
        self, interaction: Interaction, caretaker_id: int, still_in: bool
    ) -> None:
        """A caretaker's answer to "are you still in?"."""
        person = await q.get_caretaker(self.db, caretaker_id)
        if person is None:
            raise Refused(Problem.NOT_CARETAKER)
        if interaction.user.id != person.user_id:
            raise Refused(Problem.NOT_YOURS)
        if still_in:
            await q.confirm_caretaker(self.db, person.id)
        else:
            await q.step_down(self.db, person.id)
        entry = await self.bot.flask_extensions.find(person.guild_id, person.package)
        name = entry.display_name if entry else person.package
        await interaction.response.edit_message(
            content=render.still_in_answered(name, still_in), view=None
        )
        await self.reassess(person.guild_id, person.package)

    async def caretaker_add(
        self,
        guild_id: int,
        name: str,
        member: discord.abc.User,
        role: CaretakerRole,
        github: str | None,
        by_id: int,
    ) -> Extension:
        entry = await self.extension(guild_id, name)
        if not await q.add_caretaker(
            self.db, guild_id, entry.package, member.id, github, role, by_id
        ):
            raise Refused(Problem.ALREADY_CARETAKER, name=entry.display_name)
        await self.reassess(guild_id, entry.package)
        return entry

    async def caretaker_remove(
        self, guild_id: int, name: str, member: discord.abc.User
    ) -> Extension:
        entry = await self.extension(guild_id, name)
        if not await q.remove_caretaker(self.db, guild_id, entry.package, member.id):
            raise Refused(Problem.NOT_CARETAKER)
        await self.reassess(guild_id, entry.package)
        return entry

    async def volunteer(
        self,
        interaction: Interaction,
        name: str,
        help: Help,
        hours: Hours,
        github: str | None,
    ) -> str:
        """Record an offer of help and show it to organisers; the volunteer's reply."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        entry = await self.extension(guild_id, name)
        user = interaction.user
        if any(
            p.user_id == user.id
            for p in await q.caretakers(self.db, guild_id, entry.package)
        ):
            raise Refused(Problem.ALREADY_CARETAKER, name=entry.display_name)
        offer_id = await q.add_offer(
            self.db,
            guild_id,
            entry.package,
            user.id,
            github,
            help,
            hours,
            interaction.channel_id,
        )
        if offer_id is None:
            raise Refused(Problem.ALREADY_OFFERED, name=entry.display_name)
        with guild_language():
            text = render.offer_post(entry, user.id, help, hours, github)
            view = offer_view(offer_id)
        await self._tell_organisers(guild_id, offer_post_key(offer_id), text, view)
        return render.offer_recorded(entry.display_name)

    async def on_offer(
        self, interaction: Interaction, offer_id: int, accept: bool
    ) -> None:
        """An organiser accepts or declines an offer of help."""
        await require_role(interaction, Role.ORGANISER)
        offer = await q.get_offer(self.db, offer_id)
        if offer is None or offer.guild_id != interaction.guild_id:
            raise Refused(Problem.OFFER_DECIDED)
        if offer.user_id == interaction.user.id:
            raise Refused(Problem.OWN_OFFER)
        if offer.state != "pending":
            raise Refused(Problem.OFFER_DECIDED)
        if accept and not await q.add_caretaker(
            self.db,
            offer.guild_id,
            offer.package,
            offer.user_id,
            offer.github,
            role_for(offer.help),
            interaction.user.id,
        ):
            await q.decide_offer(self.db, offer.id, False, interaction.user.id)
            raise Refused(Problem.ALREADY_CARETAKER, name=offer.package)
        if not await q.decide_offer(self.db, offer.id, accept, interaction.user.id):
            raise Refused(Problem.OFFER_DECIDED)
        entry = await self.bot.flask_extensions.find(offer.guild_id, offer.package)
        name = entry.display_name if entry else offer.package
        with guild_language():
            decided = render.offer_decided(
                name, offer.user_id, accept, interaction.user.id
            )
        await interaction.response.edit_message(content=decided, view=None)
        await self.bot.schedule(
            TELL_KIND,
            tell_key(offer.id),
            utcnow(),
            guild_id=offer.guild_id,
            payload={"offer": offer.id},
        )
        if accept:
            await self.reassess(offer.guild_id, offer.package)

    async def on_tell(self, job: Job) -> None:
        """Tell a volunteer the answer by DM, or where they asked when DMs are closed."""
        offer = await q.get_offer(self.db, int(job.payload["offer"]))
        if offer is None or offer.state == "pending":
            return
        entry = await self.bot.flask_extensions.find(offer.guild_id, offer.package)
        name = entry.display_name if entry else offer.package
        text = render.offer_answer(name, offer.state == "accepted")
        await self.bot.reach.dm(
            answer_dm_key(offer.id),
            offer.user_id,
            guild_id=offer.guild_id,
            content=text,
            fallback=Fallback(offer.channel_id, text),
        )

    # -- followers ------------------------------------------------------------------------------
    async def follow(self, guild_id: int, name: str, user_id: int) -> Extension:
        entry = await self.extension(guild_id, name)
        if not await q.follow(self.db, guild_id, entry.package, user_id):
            raise Refused(Problem.ALREADY_FOLLOWING, name=entry.display_name)
        return entry

    async def unfollow(self, guild_id: int, name: str, user_id: int) -> Extension:
        entry = await self.extension(guild_id, name)
        if not await q.unfollow(self.db, guild_id, entry.package, user_id):
            raise Refused(Problem.NOT_FOLLOWING, name=entry.display_name)
        return entry

    # -- adoption -------------------------------------------------------------------------------
    async def adoption(self, guild_id: int, name: str) -> discord.Embed:
        entry = await self.extension(guild_id, name)
        case = await q.latest_adoption(self.db, guild_id, entry.package)
        if case is None:
            raise Refused(Problem.NO_CASE, name=entry.display_name)
        return render.adoption_embed(entry, case)

    async def adoption_open(self, guild_id: int, name: str, by_id: int) -> Extension:
        entry = await self.extension(guild_id, name)
        org = self.bot.settings.ext_org
        if org and entry.in_org(org):
            raise Refused(Problem.IN_ORG, name=entry.display_name, org=org)
        if await q.open_adoption(self.db, guild_id, entry.package, by_id) is None:
            raise Refused(Problem.CASE_OPEN, name=entry.display_name)
        return entry

    async def adoption_step(
        self,
        guild_id: int,
        name: str,
        step: Step,
        note: str,
        repo: str | None,
        by_id: int,
    ) -> discord.Embed:
        entry = await self.extension(guild_id, name)
        case = await q.latest_adoption(self.db, guild_id, entry.package)
        if case is None or case.state != "open":
            raise Refused(Problem.NO_CASE, name=entry.display_name)
        check_step((s.step for s in case.steps), step)
        if step is Step.REPOSITORY and repo:
            entry = await self.bot.flask_extensions.update(
                guild_id, entry.package, repo=repo
            )
        await q.record_step(self.db, case.id, step, by_id, note, last=step is STEPS[-1])
        updated = await q.latest_adoption(self.db, guild_id, entry.package)
        assert updated is not None
        return render.adoption_embed(entry, updated)

    # -- Flask, Werkzeug and Jinja releases ----------------------------------------------------
    async def schedule_releases(self, after: int) -> None:
        step = int(RELEASES_EVERY.total_seconds())
        due = (after // step + 1) * step
        await self.bot.schedule(
            RELEASES_KIND, releases_key(due), from_ts(due), guild_id=None
        )

    async def on_releases(self, job: Job) -> None:
        """A new major or minor release: list the extensions that exclude it."""
        await self.schedule_releases(to_ts(job.due_at))
        for package in CORE_PACKAGES:
            try:
                async with self.client.batch():
                    found = await pypi_project(self.client, self.bot.settings, package)
            except FetchError as error:
                log.warning("extension watch: %s release check: %s", package, error)
                continue
            if found is None:
                continue
            display, version = found
            before = await q.core_release(self.db, package)
            if before is not None and is_feature_release(before, version):
                for guild_id in await q.seeded_guilds(self.db):
                    await self._tell_release(guild_id, package, display, version)
            if before != version:
                await q.set_core_release(self.db, package, version)

    async def _tell_release(
        self, guild_id: int, package: str, display: str, version: str
    ) -> None:
        excluded = []
        for item in await q.watched(self.db, guild_id):
            cache = await q.cached(self.db, item.package, None)
            pypi = cache.evidence().pypi
            spec = pypi.spec_for(package) if pypi is not None else None
            if excludes(spec, version):
                excluded.append((item.display_name, spec or ""))
        if not excluded:
            return
        channel_id = await self.public_channel(guild_id)
        if channel_id is None:
            settings = await self.bot.guild_config.get(guild_id)
            channel_id = settings.channel(Channel.LOG)
        if channel_id is None:
            return
        language = await self.bot.guild_language(guild_id)
        with use_language(language):
            text = render.release_post(display, version, excluded)
        await self.bot.outbox.send(
            release_post_key(guild_id, package, version),
            channel_id,
            guild_id=guild_id,
            content=text,
        )
