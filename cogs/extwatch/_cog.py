"""/ext: keep an eye on Flask extensions whose maintainers may have gone quiet."""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.errors import UserError
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import ngettext
from bot.permissions import requires
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import clip
from bot.scheduler import Job
from bot.ui import Interaction
from cogs.extwatch import _queries as q
from cogs.extwatch._client import ApiClient
from cogs.extwatch._logic import assess
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Change
from cogs.extwatch._logic import next_weekly
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import paginate
from cogs.extwatch._logic import parse_repo
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import status_change
from cogs.extwatch._logic import STATUS_ORDER
from cogs.extwatch._logic import Thresholds
from cogs.extwatch._logic import valid_package_name
from cogs.extwatch._refresh import refresh_packages
from cogs.extwatch._refresh import RefreshResult
from cogs.extwatch._render import changes_post
from cogs.extwatch._render import report_line
from cogs.extwatch._render import status_embed
from cogs.extwatch._render import status_label
from cogs.extwatch._views import ReportPages
from cogs.extwatch._watchlist import load_watchlist

log = logging.getLogger(__name__)


WEEKLY_KIND = "extwatch.weekly"
REPORT_PAGE_SIZE = 10


@app_commands.guild_only()
class ExtWatchCog(commands.GroupCog, group_name="ext"):
    """Watch the health of Flask extensions."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        token = bot.settings.github_token
        self.client = ApiClient(
            q.SqliteEtags(bot.db),
            github_api_url=bot.settings.github_api_url,
            github_token=token.get_secret_value() if token else None,
        )

    async def cog_load(self) -> None:
        self.bot.scheduler.register(
            WEEKLY_KIND, self._weekly, catch_up=timedelta(days=2)
        )

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(WEEKLY_KIND)
        await self.client.close()

    # -- set-up per guild ---------------------------------------------------------------
    def thresholds(self) -> Thresholds:
        s = self.bot.settings
        return Thresholds(
            watch_months=s.ext_watch_months,
            risk_months=s.ext_risk_months,
            flask_major=s.flask_major_version,
        )

    async def ensure_guild(self, guild_id: int) -> None:
        """On a server's first use: seed its watch list and start the weekly check."""
        if await q.seed(self.bot.db, guild_id, load_watchlist()):
            await self._schedule_weekly(guild_id, utcnow())

    async def _schedule_weekly(self, guild_id: int, after: datetime) -> None:
        due = next_weekly(after)
        await self.bot.schedule(
            WEEKLY_KIND,
            f"extwatch:weekly:{guild_id}:{to_ts(due)}",
            due,
            guild_id=guild_id,
        )

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        # Only servers that use the watch: the first /ext command there seeds the
        # list and starts the weekly check. So a server (or another job's test)
        # that never uses /ext never causes a request to PyPI, GitHub or OSV.
        for guild_id in await q.seeded_guilds(self.bot.db):
            await self._schedule_weekly(guild_id, utcnow())

    # -- reading the cache ----------------------------------------------------------------
    async def assessments(
        self, guild_id: int
    ) -> list[tuple[q.Watched, Assessment, q.Cached]]:
        now = now_ts()
        limits = self.thresholds()
        out = []
        for item in await q.watched(self.bot.db, guild_id):
            cache = await q.cached(self.bot.db, item.package, item.repo)
            out.append((item, assess(cache.evidence(), limits, now), cache))
        return out

    async def refresh(self, packages: dict[str, str | None]) -> RefreshResult:
        return await refresh_packages(
            self.bot.db, self.client, self.bot.settings, packages
        )

    async def _watched_or_fail(self, guild_id: int, name: str) -> q.Watched:
        item = await q.get_watched(self.bot.db, guild_id, normalise_name(name.strip()))
        if item is None:
            raise UserError(
                _(
                    "{name} is not on the watch list. /ext report shows the list.",
                    name=clip(clean_text(name), 100),
                )
            )
        return item

    # -- weekly --------------------------------------------------------------------------
    async def _weekly(self, job: Job) -> None:
        guild_id = job.guild_id
        if guild_id is None:
            return
        # Next week first, so a failure this week never stops the checks.
        await self._schedule_weekly(guild_id, job.due_at)
        items = await q.watched(self.bot.db, guild_id)
        await self.refresh({item.package: item.repo for item in items})
        changes: list[Change] = []
        current: dict[str, Status] = {}
        for item, assessment, _cache in await self.assessments(guild_id):
            current[item.package] = assessment.status
            change = status_change(item.display_name, item.reported_status, assessment)
            if change is not None:
                changes.append(change)
        if changes:
            settings = await self.bot.guild_config.get(guild_id)
            channel_id = settings.channel(Channel.LOG)
            if channel_id is not None:
                await self.bot.outbox.send(
                    f"extwatch:changes:{guild_id}:{to_ts(job.due_at)}",
                    channel_id,
                    guild_id=guild_id,
                    content=changes_post(changes),
                )
        await q.set_reported(self.bot.db, guild_id, current)

    # -- commands --------------------------------------------------------------------------
    @app_commands.command(name="status")
    @app_commands.describe(name="The extension's package name, e.g. Flask-Login")
    async def status(self, interaction: Interaction, name: str) -> None:
        """Show an extension's health, reasons, latest release and links."""
        assert interaction.guild_id is not None
        await self.ensure_guild(interaction.guild_id)
        item = await self._watched_or_fail(interaction.guild_id, name)
        cache = await q.cached(self.bot.db, item.package, item.repo)
        now = now_ts()
        assessment = assess(cache.evidence(), self.thresholds(), now)
        await reply(interaction, embed=status_embed(item, assessment, cache, now))

    @status.autocomplete("name")
    async def _status_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)

    async def _name_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        await self.ensure_guild(interaction.guild_id)
        wanted = current.lower()
        return [
            app_commands.Choice(name=item.display_name, value=item.display_name)
            for item in await q.watched(self.bot.db, interaction.guild_id)
            if wanted in item.display_name.lower()
        ][:25]

    @app_commands.command(name="report")
    async def report(self, interaction: Interaction) -> None:
        """List every watched extension, grouped by status."""
        assert interaction.guild_id is not None
        await self.ensure_guild(interaction.guild_id)
        rows = await self.assessments(interaction.guild_id)
        order = {status: i for i, status in enumerate(STATUS_ORDER)}
        rows.sort(key=lambda r: (order[r[1].status], r[0].display_name.lower()))
        if not rows:
            raise UserError(
                _("The watch list is empty. Organisers add to it with /ext watch-add.")
            )
        pages = []
        for chunk in paginate(rows, REPORT_PAGE_SIZE):
            lines: list[str] = []
            heading: Status | None = None
            for item, assessment, cache in chunk:
                if assessment.status is not heading:
                    heading = assessment.status
                    count = sum(1 for r in rows if r[1].status is heading)
                    if lines:
                        lines.append("")
                    lines.append(f"__{status_label(heading)} ({count})__")
                lines.append(report_line(item, assessment, bool(cache.stale)))
            pages.append("\n".join(lines))
        view = ReportPages(interaction.user.id, _("Extension watch"), pages)
        await reply(
            interaction, embed=view.embed(), view=view if len(pages) > 1 else None
        )

    @app_commands.command(name="watch-add")
    @app_commands.describe(
        name="The package name on PyPI, e.g. Flask-Login",
        repo="Its source repository on GitHub: owner/name or the URL",
        notes="Anything organisers should remember about it",
    )
    @requires(Role.ORGANISER)
    async def watch_add(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 100],
        repo: str | None = None,
        notes: app_commands.Range[str, 0, 300] | None = None,
    ) -> None:
        """Add an extension to the watch list and check it now."""
        assert interaction.guild_id is not None
        name = name.strip()
        if not valid_package_name(name):
            raise UserError(
                _(
                    "{name} is not a valid package name.",
                    name=clip(clean_text(name), 100),
                )
            )
        parsed_repo = parse_repo(repo) if repo else None
        if repo and parsed_repo is None:
            raise UserError(
                _(
                    "{repo} is not a GitHub repository: write owner/name or its URL.",
                    repo=clip(clean_text(repo), 100),
                )
            )
        await self.ensure_guild(interaction.guild_id)
        package = normalise_name(name)
        added = await q.add_watched(
            self.bot.db,
            interaction.guild_id,
            package,
            name,
            parsed_repo,
            clean_text(notes or ""),
            interaction.user.id,
        )
        if not added:
            raise UserError(_("{name} is already on the watch list.", name=name))
        await defer(interaction)
        await self.refresh({package: parsed_repo})
        item = await self._watched_or_fail(interaction.guild_id, name)
        cache = await q.cached(self.bot.db, item.package, item.repo)
        now = now_ts()
        assessment = assess(cache.evidence(), self.thresholds(), now)
        await reply(
            interaction,
            _("{name} is now on the watch list.", name=name),
            embed=status_embed(item, assessment, cache, now),
        )

    @app_commands.command(name="watch-remove")
    @app_commands.describe(name="The extension to stop watching")
    @requires(Role.ORGANISER)
    async def watch_remove(self, interaction: Interaction, name: str) -> None:
        """Remove an extension from the watch list."""
        assert interaction.guild_id is not None
        await self.ensure_guild(interaction.guild_id)
        item = await self._watched_or_fail(interaction.guild_id, name)
        await q.remove_watched(self.bot.db, interaction.guild_id, item.package)
        await reply(
            interaction,
            _("{name} is no longer on the watch list.", name=item.display_name),
        )

    @watch_remove.autocomplete("name")
    async def _remove_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)

    @app_commands.command(name="refresh")
    @app_commands.describe(name="Only this extension (default: the whole list)")
    @requires(Role.ORGANISER)
    async def refresh_command(
        self, interaction: Interaction, name: str | None = None
    ) -> None:
        """Fetch fresh data for the watch list now."""
        assert interaction.guild_id is not None
        await self.ensure_guild(interaction.guild_id)
        if name:
            item = await self._watched_or_fail(interaction.guild_id, name)
            items = [item]
        else:
            items = await q.watched(self.bot.db, interaction.guild_id)
        await defer(interaction)
        before = {
            i.package: a.status
            for i, a, _c in await self.assessments(interaction.guild_id)
        }
        result = await self.refresh({i.package: i.repo for i in items})
        lines = [
            ngettext(
                "Checked {count} extension.",
                "Checked {count} extensions.",
                result.checked,
                count=result.checked,
            )
        ]
        if result.failures:
            lines.append(
                ngettext(
                    "{count} could not be fetched completely; its last good data is kept and marked stale.",
                    "{count} could not be fetched completely; their last good data is kept and marked stale.",
                    result.failed_packages,
                    count=result.failed_packages,
                )
            )
        wanted = {i.package for i in items}
        for item, assessment, _cache in await self.assessments(interaction.guild_id):
            change = status_change(
                item.display_name, before.get(item.package), assessment
            )
            if item.package in wanted and change is not None:
                lines.append(
                    _(
                        "• {package}: {before} → {after}",
                        package=change.package,
                        before=status_label(change.before),
                        after=status_label(change.after),
                    )
                )
        await reply(interaction, "\n".join(lines))

    @refresh_command.autocomplete("name")
    async def _refresh_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(interaction, current)
