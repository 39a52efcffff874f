"""/ext: the health of Flask extensions, who looks after them, and who hears about it."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.guilds import Role
from bot.job import JobCog
from bot.permissions import member_group
from bot.permissions import requires
from bot.permissions import role_group
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import NO_MENTIONS
from bot.ui import Interaction
from bot.ui import show_page
from cogs.extwatch import _queries as q
from cogs.extwatch import _render as render
from cogs.extwatch._engine import ExtWatchEngine
from cogs.extwatch._engine import REPORT_PAGES
from cogs.extwatch._logic import CaretakerRole
from cogs.extwatch._logic import check_new_watch
from cogs.extwatch._logic import check_tag
from cogs.extwatch._logic import check_url
from cogs.extwatch._logic import github_user
from cogs.extwatch._logic import Help
from cogs.extwatch._logic import Hours
from cogs.extwatch._logic import parse_keywords
from cogs.extwatch._logic import parse_repo
from cogs.extwatch._logic import Problem
from cogs.extwatch._logic import shown_name
from cogs.extwatch._logic import Step
from cogs.extwatch._views import PERSISTENT_ITEMS

Choice = app_commands.Choice
HELP_CHOICES = [
    Choice(name="Maintaining: reviews, merges, releases", value="maintain"),
    Choice(name="Triaging issues", value="triage"),
    Choice(name="Reviewing pull requests", value="review"),
    Choice(name="Documentation", value="docs"),
    Choice(name="Releases and CI", value="release"),
]
HOURS_CHOICES = [
    Choice(name="A few hours a month", value="few"),
    Choice(name="A few hours a week", value="weekly"),
    Choice(name="More than that", value="more"),
]
ROLE_CHOICES = [
    Choice(name="Lead", value="lead"),
    Choice(name="Maintainer", value="maintainer"),
    Choice(name="Triager", value="triager"),
]
STEP_CHOICES = [
    Choice(name="Contacted the maintainer", value="contact"),
    Choice(name="The maintainer answered", value="answer"),
    Choice(name="Repository transferred", value="repository"),
    Choice(name="PyPI ownership transferred", value="pypi"),
    Choice(name="CI and locked dependencies set up", value="ci"),
    Choice(name="First release by the new caretakers", value="release"),
]


async def watched_names(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The watched extensions whose name contains what the member typed."""
    if interaction.guild_id is None:
        return []
    await interaction.client.flask_extensions.ensure(interaction.guild_id)
    wanted = current.lower()
    return [
        app_commands.Choice(name=item.display_name, value=item.display_name)
        for item in await q.watched(interaction.client.db, interaction.guild_id)
        if wanted in item.display_name.lower()
    ][:25]


def _repo(text: str | None) -> str | None:
    """A repository option: ``owner/name`` on GitHub, or a refusal."""
    if text is None:
        return None
    parsed = parse_repo(text)
    if parsed is None:
        raise Refused(Problem.NOT_GITHUB, repo=shown_name(text))
    return parsed


class ExtWatchCog(JobCog[ExtWatchEngine]):
    """Members' /ext (health, following, volunteering), organisers' /ext-admin."""

    ext = member_group(
        "ext", "Watch the health of Flask extensions and look after them."
    )
    # Hidden from the other members until an admin shows it to the organiser role
    # (bot.permissions.role_group); each command checks the role itself.
    admin = role_group(
        "ext-admin",
        "Organisers: the watch list, caretaker rosters and adoption cases",
        Role.ORGANISER,
    )

    engine_type = ExtWatchEngine
    persistent_items = PERSISTENT_ITEMS

    async def cog_unload(self) -> None:
        await super().cog_unload()
        await self.engine.close()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Every /ext command reads the server's list: fill it on first use.
        if interaction.guild_id is not None:
            await self.engine.ensure_guild(interaction.guild_id)
        return True

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        # Only servers that use the watch: the first /ext command there seeds the
        # list and starts the weekly check. So a server (or another job's test)
        # that never uses /ext never causes a request to PyPI, GitHub or OSV.
        await self.engine.start_weekly_checks()

    # -- health ------------------------------------------------------------------------------
    @ext.command(name="status")
    @app_commands.describe(name="The extension's package name, e.g. Flask-Login")
    @app_commands.autocomplete(name=watched_names)
    async def status(self, interaction: Interaction, name: str) -> None:
        """Show an extension's health, caretakers, latest release and links."""
        assert interaction.guild_id is not None
        embed = await self.engine.status_embed(interaction.guild_id, name)
        await reply(interaction, embed=embed, allowed_mentions=NO_MENTIONS)

    @ext.command(name="report")
    async def report(self, interaction: Interaction) -> None:
        """List every watched extension, grouped by status."""
        await show_page(interaction, REPORT_PAGES)

    @admin.command(name="refresh")
    @app_commands.describe(name="Only this extension (default: the whole list)")
    @app_commands.autocomplete(name=watched_names)
    @requires(Role.ORGANISER)
    async def refresh_command(
        self, interaction: Interaction, name: str | None = None
    ) -> None:
        """Fetch fresh data for the watch list now."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        if name:
            items = [await self.engine.watched(guild_id, name)]
        await defer(interaction)
        if not name:
            await self.engine.sync_org(guild_id)
            items = await q.watched(self.bot.db, guild_id)
        result, changes = await self.engine.refresh_watched(guild_id, items)
        summary = render.refresh_summary(
            result.checked, result.failed_packages, changes
        )
        await reply(interaction, summary)

    # -- the list -----------------------------------------------------------------------------
    @admin.command(name="watch-add")
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
        package, parsed_repo = check_new_watch(name, repo)
        await self.engine.add(
            interaction.guild_id,
            package,
            name,
            parsed_repo,
            clean_text(notes or ""),
            interaction.user.id,
        )
        await defer(interaction)
        item = await self.engine.watched(interaction.guild_id, package)
        await self.engine.refresh_watched(interaction.guild_id, [item])
        embed = await self.engine.status_embed(interaction.guild_id, name)
        await reply(interaction, render.added(name), embed=embed)

    @admin.command(name="watch-remove")
    @app_commands.describe(name="The extension to stop watching")
    @app_commands.autocomplete(name=watched_names)
    @requires(Role.ORGANISER)
    async def watch_remove(self, interaction: Interaction, name: str) -> None:
        """Remove an extension from the watch list."""
        assert interaction.guild_id is not None
        item = await self.engine.remove(interaction.guild_id, name)
        await reply(interaction, render.removed(item.display_name))

    @admin.command(name="edit")
    @app_commands.describe(
        name="The extension to change",
        repo="Its repository on GitHub: owner/name or the URL",
        docs="Its documentation (https://...)",
        tag="Its forum tag in the questions forum (up to 20 characters)",
        keywords="Words that mean it in a question, separated by commas",
        alternative="What to use instead when it is at risk",
        caretakers="How many active caretakers it should have (0: no minimum)",
    )
    @app_commands.autocomplete(name=watched_names)
    @requires(Role.ORGANISER)
    async def edit(
        self,
        interaction: Interaction,
        name: str,
        repo: str | None = None,
        docs: str | None = None,
        tag: str | None = None,
        keywords: app_commands.Range[str, 1, 400] | None = None,
        alternative: app_commands.Range[str, 1, 100] | None = None,
        caretakers: app_commands.Range[int, 0, 10] | None = None,
    ) -> None:
        """Change what the bot knows about an extension; it applies at once."""
        assert interaction.guild_id is not None
        changes: dict[str, Any] = {}
        if repo is not None:
            changes["repo"] = _repo(repo)
        if docs is not None:
            changes["docs_url"] = check_url(docs)
        if tag is not None:
            changes["tag"] = check_tag(tag)
        if keywords is not None:
            changes["keywords"] = parse_keywords(keywords)
        if alternative is not None:
            changes["alternative"] = clean_text(alternative)
        if caretakers is not None:
            changes["min_caretakers"] = caretakers
        entry = await self.engine.edit(interaction.guild_id, name, **changes)
        await reply(interaction, render.edited(entry))

    # -- caretakers ---------------------------------------------------------------------------
    @ext.command(name="volunteer")
    @app_commands.describe(
        name="The extension you would like to help look after",
        help="What you would like to do",
        hours="How much time you can give",
        github="Your GitHub user name",
    )
    @app_commands.autocomplete(name=watched_names)
    @app_commands.choices(help=HELP_CHOICES, hours=HOURS_CHOICES)
    async def volunteer(
        self,
        interaction: Interaction,
        name: str,
        help: str,
        hours: str,
        github: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Offer to help look after an extension; organisers answer."""
        handle = github_user(github)
        text = await self.engine.volunteer(
            interaction, name, Help(help), Hours(hours), handle
        )
        await reply(interaction, text)

    @admin.command(name="caretaker-add")
    @app_commands.describe(
        name="The extension",
        member="Who looks after it",
        role="Their role",
        github="Their GitHub user name (their activity is checked there)",
    )
    @app_commands.autocomplete(name=watched_names)
    @app_commands.choices(role=ROLE_CHOICES)
    @requires(Role.ORGANISER)
    async def caretaker_add(
        self,
        interaction: Interaction,
        name: str,
        member: discord.Member,
        role: str,
        github: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Put a member on an extension's roster of caretakers."""
        assert interaction.guild_id is not None
        kind = CaretakerRole(role)
        entry = await self.engine.caretaker_add(
            interaction.guild_id,
            name,
            member,
            kind,
            github_user(github),
            interaction.user.id,
        )
        await reply(
            interaction, render.caretaker_added(entry.display_name, member.id, kind)
        )

    @admin.command(name="caretaker-remove")
    @app_commands.describe(name="The extension", member="Who no longer looks after it")
    @app_commands.autocomplete(name=watched_names)
    @requires(Role.ORGANISER)
    async def caretaker_remove(
        self, interaction: Interaction, name: str, member: discord.Member
    ) -> None:
        """Take a member off an extension's roster."""
        assert interaction.guild_id is not None
        entry = await self.engine.caretaker_remove(interaction.guild_id, name, member)
        await reply(
            interaction, render.caretaker_removed(entry.display_name, member.id)
        )

    # -- following ----------------------------------------------------------------------------
    @ext.command(name="follow")
    @app_commands.describe(name="An extension you use")
    @app_commands.autocomplete(name=watched_names)
    async def follow(self, interaction: Interaction, name: str) -> None:
        """Hear by direct message when an extension you use is at risk."""
        assert interaction.guild_id is not None
        entry = await self.engine.follow(
            interaction.guild_id, name, interaction.user.id
        )
        await reply(interaction, render.followed(entry.display_name))

    @ext.command(name="unfollow")
    @app_commands.describe(name="The extension to stop hearing about")
    @app_commands.autocomplete(name=watched_names)
    async def unfollow(self, interaction: Interaction, name: str) -> None:
        """Stop hearing about an extension."""
        assert interaction.guild_id is not None
        entry = await self.engine.unfollow(
            interaction.guild_id, name, interaction.user.id
        )
        await reply(interaction, render.unfollowed(entry.display_name))

    # -- adoption -----------------------------------------------------------------------------
    @ext.command(name="adoption")
    @app_commands.describe(name="The extension")
    @app_commands.autocomplete(name=watched_names)
    async def adoption(self, interaction: Interaction, name: str) -> None:
        """Show where an extension's adoption into pallets-eco stands."""
        assert interaction.guild_id is not None
        embed = await self.engine.adoption(interaction.guild_id, name)
        await reply(interaction, embed=embed)

    @admin.command(name="adoption-open")
    @app_commands.describe(name="An extension outside pallets-eco, at risk")
    @app_commands.autocomplete(name=watched_names)
    @requires(Role.ORGANISER)
    async def adoption_open(self, interaction: Interaction, name: str) -> None:
        """Open an adoption case for an extension outside pallets-eco."""
        assert interaction.guild_id is not None
        entry = await self.engine.adoption_open(
            interaction.guild_id, name, interaction.user.id
        )
        await reply(interaction, render.adoption_opened(entry.display_name))

    @admin.command(name="adoption-step")
    @app_commands.describe(
        name="The extension",
        step="The step that was done",
        note="What happened (their answer, a link...)",
        repo="For the repository transfer: where it lives now",
    )
    @app_commands.autocomplete(name=watched_names)
    @app_commands.choices(step=STEP_CHOICES)
    @requires(Role.ORGANISER)
    async def adoption_step(
        self,
        interaction: Interaction,
        name: str,
        step: str,
        note: app_commands.Range[str, 1, 300] | None = None,
        repo: str | None = None,
    ) -> None:
        """Record a step of an adoption case, with who did it and when."""
        assert interaction.guild_id is not None
        embed = await self.engine.adoption_step(
            interaction.guild_id,
            name,
            Step(step),
            clean_text(note or ""),
            _repo(repo),
            interaction.user.id,
        )
        await reply(interaction, embed=embed)
