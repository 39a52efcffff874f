"""/contribute: from "I want to contribute" to a merged pull request.

GitHub references in messages, newcomer issues and claims, tasks that are not code,
sprint boards. Commands parse, call the engine and reply; the engine does the rest.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import records
from bot.clock import now_ts
from bot.guilds import Role
from bot.job import JobCog
from bot.permissions import member_group
from bot.permissions import requires
from bot.permissions import role_group
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.ui import Interaction
from bot.ui import show_page
from cogs.contribute import _queries as q
from cogs.contribute import _render as render
from cogs.contribute._engine import ContributeEngine
from cogs.contribute._engine import ISSUES_PAGES
from cogs.contribute._engine import TASKS_PAGES
from cogs.contribute._logic import catalogue
from cogs.contribute._logic import check_days
from cogs.contribute._logic import Kind
from cogs.contribute._logic import parse_labels
from cogs.contribute._logic import parse_number
from cogs.contribute._logic import parse_owner
from cogs.contribute._logic import Problem
from cogs.contribute._logic import TaskKind
from cogs.contribute._logic import TaskState
from cogs.contribute._views import PERSISTENT_ITEMS

KindOption = Literal["good-first-issue", "help-wanted", "docs"]
KINDS: dict[str, Kind] = {
    "good-first-issue": Kind.FIRST,
    "help-wanted": Kind.HELP,
    "docs": Kind.DOCS,
}
TaskKindOption = Literal["docs", "translation", "triage", "review", "other"]
Choices = list[app_commands.Choice[str]]


class ContributeCog(JobCog[ContributeEngine], name="Contribute"):
    """Contributing to Pallets: issues, claims, tasks, sprints, releases, thanks."""

    contribute = member_group(
        "contribute",
        "Contribute to Pallets: issues for newcomers, claims, tasks, sprints",
    )
    # Hidden from the other members until an admin shows each group to its roles
    # (bot.permissions.role_group); each command checks the role itself.
    admin = role_group(
        "contribute-admin",
        "Organisers: newcomer labels, allowed GitHub owners, how long claims last",
        Role.ORGANISER,
    )
    mentoring = role_group(
        "contribute-mentor",
        "Mentors and organisers: post tasks, keep sprint boards",
        Role.MENTOR,
        Role.ORGANISER,
    )
    task = app_commands.Group(
        name="task",
        description="Tasks that are not code, each with a mentor",
        parent=contribute,
    )
    sprint = app_commands.Group(
        name="sprint",
        description="Sprint boards: picked issues, claims and mentors",
        parent=contribute,
    )
    mentor_task = app_commands.Group(
        name="task",
        description="Post tasks that are not code",
        parent=mentoring,
    )
    mentor_sprint = app_commands.Group(
        name="sprint",
        description="Keep a sprint's board: pick and unpick issues",
        parent=mentoring,
    )

    engine_type = ContributeEngine
    persistent_items = PERSISTENT_ITEMS

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        await self.engine.start()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.engine.answer_references(message)
        await self.engine.answer_wish(message)

    # -- autocomplete -------------------------------------------------------------------------
    async def _issues(self, interaction: Interaction, current: str) -> Choices:
        assert interaction.guild_id is not None
        wanted = current.lower().strip()
        rows = await self.engine.listed(interaction.guild_id, None, None)
        holders = await q.active_holders(
            self.bot.db, interaction.guild_id, (i.ref for i, _k in rows)
        )
        return [
            app_commands.Choice(name=f"{i.ref} {i.title}"[:100], value=str(i.ref))
            for i, _k in rows
            if i.ref not in holders
            and (wanted in str(i.ref) or wanted in i.title.lower())
        ][:25]

    async def _my_claims(self, interaction: Interaction, current: str) -> Choices:
        assert interaction.guild_id is not None
        claims = await q.claims_of(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        return [
            app_commands.Choice(name=f"{c.ref} {c.title}"[:100], value=str(c.ref))
            for c in claims
            if current.lower() in f"{c.ref} {c.title}".lower()
        ][:25]

    async def _projects(self, interaction: Interaction, current: str) -> Choices:
        return [
            app_commands.Choice(name=p.name, value=p.name)
            for p in catalogue().projects
            if current.lower() in p.name
        ][:25]

    async def _tasks(self, interaction: Interaction, current: str) -> Choices:
        assert interaction.guild_id is not None
        states = (TaskState.OPEN, TaskState.CLAIMED, TaskState.SUBMITTED)
        found = await q.open_tasks_matching(
            self.bot.db, interaction.guild_id, current, states
        )
        return [
            app_commands.Choice(name=f"#{t.id} {t.title}"[:100], value=str(t.id))
            for t in found
        ]

    async def _sprints(self, interaction: Interaction, current: str) -> Choices:
        assert interaction.guild_id is not None
        found = await records.sprints(
            self.bot.db, interaction.guild_id, ending_after=now_ts() - 86400
        )
        return [
            app_commands.Choice(
                name=f"{e.title} ({e.starts_at:%Y-%m-%d})"[:100], value=str(e.id)
            )
            for e in found
            if current.lower() in e.title.lower()
        ][:25]

    async def _board_issues(self, interaction: Interaction, current: str) -> Choices:
        event = interaction.namespace.event
        number = parse_number(event) if isinstance(event, str) else None
        if number is None:
            return []
        issues = await q.board_issues(self.bot.db, number)
        return [
            app_commands.Choice(name=f"{i.ref} {i.title}"[:100], value=str(i.ref))
            for i in issues
            if current.lower() in f"{i.ref} {i.title}".lower()
        ][:25]

    # -- newcomer issues and claims ----------------------------------------------------------
    @contribute.command(name="issues")
    @app_commands.describe(
        project="Only this project, e.g. flask or flask-wtf",
        kind="Only good first issues, help wanted, or docs",
    )
    @app_commands.autocomplete(project=_projects)
    async def issues(
        self,
        interaction: Interaction,
        project: str | None = None,
        kind: KindOption | None = None,
    ) -> None:
        """Show open issues for newcomers across pallets and pallets-eco."""
        assert interaction.guild_id is not None
        if project and catalogue().by_name(project) is None:
            raise Refused(Problem.UNKNOWN_PROJECT, name=project[:40])
        await self.engine.ensure_guild(interaction.guild_id)
        wanted = KINDS[kind] if kind else None
        if not await self.engine.listed(interaction.guild_id, project, wanted):
            await reply(interaction, render.no_issues(project))
            return
        arg = f"{(project or '').lower()}|{wanted.value if wanted else ''}"
        await show_page(interaction, ISSUES_PAGES, 0, arg)

    @contribute.command(name="claim")
    @app_commands.describe(issue="The issue to work on (pick from the list)")
    @app_commands.autocomplete(issue=_issues)
    async def claim(self, interaction: Interaction, issue: str) -> None:
        """Claim an issue so others see you are on it."""
        assert interaction.guild_id is not None
        # GitHub is asked first: acknowledge now, so a slow answer never times out.
        await defer(interaction)
        made = await self.engine.claim(interaction.guild_id, interaction.user.id, issue)
        await self.engine.ensure_guild(interaction.guild_id)
        await reply(interaction, render.claimed(made))

    @contribute.command(name="release")
    @app_commands.describe(issue="The issue you stop working on")
    @app_commands.autocomplete(issue=_my_claims)
    async def release(self, interaction: Interaction, issue: str) -> None:
        """Release an issue you claimed, so someone else can take it."""
        assert interaction.guild_id is not None
        ended = await self.engine.release(
            interaction.guild_id, interaction.user.id, issue
        )
        await reply(interaction, render.released(ended))

    @contribute.command(name="mine")
    async def mine(self, interaction: Interaction) -> None:
        """Show the issues you claimed and their pull requests."""
        assert interaction.guild_id is not None
        claims = await q.claims_of(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        await reply(interaction, render.my_claims(claims))

    @contribute.command(name="thanks")
    @app_commands.describe(
        public="Be named in merge shout-outs and the monthly thanks (default: yes)"
    )
    async def thanks(self, interaction: Interaction, public: bool) -> None:
        """Choose whether you are thanked in public."""
        assert interaction.guild_id is not None
        await q.set_quiet(
            self.bot.db, interaction.guild_id, interaction.user.id, not public
        )
        await reply(interaction, render.thanks_setting(public))

    # -- organisers ---------------------------------------------------------------------------
    @admin.command(name="labels")
    @app_commands.describe(
        project="The project, e.g. flask-admin",
        kind="Which kind of newcomer issue these labels mark",
        labels="The project's labels, comma-separated (empty: the defaults)",
    )
    @app_commands.autocomplete(project=_projects)
    @requires(Role.ORGANISER)
    async def labels(
        self,
        interaction: Interaction,
        project: str,
        kind: KindOption,
        labels: str = "",
    ) -> None:
        """Choose which labels mark newcomer issues in one project."""
        assert interaction.guild_id is not None
        chosen = parse_labels(labels)
        repo = await self.engine.set_labels(
            interaction.guild_id, project, KINDS[kind], chosen
        )
        await reply(interaction, render.labels_saved(repo, KINDS[kind], chosen))

    @admin.command(name="allow")
    @app_commands.describe(
        owner="A GitHub user or organisation outside pallets and pallets-eco",
        allowed="Answer references to its repositories (true) or stop (false)",
    )
    @requires(Role.ORGANISER)
    async def allow(self, interaction: Interaction, owner: str, allowed: bool) -> None:
        """Answer GitHub references to repositories of another owner."""
        assert interaction.guild_id is not None
        name = parse_owner(owner)
        current = await q.settings(self.bot.db, interaction.guild_id)
        owners = set(current.extra_owners)
        owners = owners | {name} if allowed else owners - {name}
        await q.save_settings(
            self.bot.db,
            interaction.guild_id,
            claim_days=current.claim_days,
            extra_owners=owners,
        )
        await reply(interaction, render.owners_saved(sorted(owners)))

    @admin.command(name="claim-days")
    @app_commands.describe(days="Days a claim lasts without a pull request (1 to 90)")
    @requires(Role.ORGANISER)
    async def claim_days(self, interaction: Interaction, days: int) -> None:
        """Choose how long a claim lasts without a pull request."""
        assert interaction.guild_id is not None
        current = await q.settings(self.bot.db, interaction.guild_id)
        await q.save_settings(
            self.bot.db,
            interaction.guild_id,
            claim_days=check_days(days),
            extra_owners=current.extra_owners,
        )
        await reply(interaction, render.claim_days_saved(days))

    # -- tasks ----------------------------------------------------------------------------------
    @mentor_task.command(name="post")
    @app_commands.describe(
        title="A short title, e.g. Translate the Flask tutorial page into German",
        description="What to do, and what done looks like",
        kind="What kind of task it is",
        mentor="Who guides and reviews it (default: you)",
    )
    @requires(Role.ORGANISER, Role.MENTOR)
    async def task_post(
        self,
        interaction: Interaction,
        title: str,
        description: str,
        kind: TaskKindOption,
        mentor: discord.Member | None = None,
    ) -> None:
        """Post a task that is not code (docs, translation, triage, review)."""
        assert interaction.guild_id is not None
        posted = await self.engine.post_task(
            interaction.guild_id,
            interaction.user.id,
            title,
            description,
            TaskKind(kind),
            mentor or interaction.user,
        )
        await self.engine.ensure_guild(interaction.guild_id, github=False)
        await reply(interaction, render.task_posted(posted))

    @task.command(name="list")
    @app_commands.describe(show="Open tasks (default), or all of them")
    async def task_list(
        self, interaction: Interaction, show: Literal["open", "all"] = "open"
    ) -> None:
        """List tasks you can pick up."""
        assert interaction.guild_id is not None
        states = (TaskState.OPEN,) if show == "open" else tuple(TaskState)
        if not await q.count_tasks(self.bot.db, interaction.guild_id, states):
            await reply(interaction, render.no_tasks())
            return
        await show_page(interaction, TASKS_PAGES, 0, show)

    @task.command(name="show")
    @app_commands.describe(task="The task")
    @app_commands.autocomplete(task=_tasks)
    async def task_show(self, interaction: Interaction, task: str) -> None:
        """Show a task: what to do, its mentor, who is on it."""
        assert interaction.guild_id is not None
        found = await self.engine.find_task(interaction.guild_id, task)
        await reply(interaction, embed=render.task_embed(found))

    @task.command(name="claim")
    @app_commands.describe(task="The task to take (pick from the list)")
    @app_commands.autocomplete(task=_tasks)
    async def task_claim(self, interaction: Interaction, task: str) -> None:
        """Take a task; its mentor is told."""
        assert interaction.guild_id is not None
        taken = await self.engine.claim_task(
            interaction.guild_id, interaction.user.id, task
        )
        await reply(interaction, render.task_claimed(taken))

    @task.command(name="submit")
    @app_commands.describe(task="Your task", link="Where the work is: a link")
    @app_commands.autocomplete(task=_tasks)
    async def task_submit(self, interaction: Interaction, task: str, link: str) -> None:
        """Hand in your task with a link; the mentor reviews it."""
        assert interaction.guild_id is not None
        sent = await self.engine.submit_task(interaction, task, link)
        await reply(interaction, render.task_submitted(sent))

    @task.command(name="review")
    @app_commands.describe(
        task="The task you mentor",
        decision="Accept it, or ask for changes",
        note="What is good, or what should change (sent to the member)",
    )
    @app_commands.autocomplete(task=_tasks)
    async def task_review(
        self,
        interaction: Interaction,
        task: str,
        decision: Literal["accept", "changes"],
        note: str = "",
    ) -> None:
        """Accept a submitted task, or ask for changes."""
        assert interaction.guild_id is not None
        accept = decision == "accept"
        done = await self.engine.review_task(interaction, task, accept, note)
        await reply(interaction, render.task_reviewed(done, accept))

    @task.command(name="drop")
    @app_commands.describe(task="The task to leave (or, as its mentor, to withdraw)")
    @app_commands.autocomplete(task=_tasks)
    async def task_drop(self, interaction: Interaction, task: str) -> None:
        """Leave a task you took, or withdraw one you mentor."""
        moved, withdrawn = await self.engine.drop_task(interaction, task)
        text = render.task_withdrawn(moved) if withdrawn else render.task_dropped(moved)
        await reply(interaction, text)

    # -- sprints ----------------------------------------------------------------------------------
    @mentor_sprint.command(name="board")
    @app_commands.describe(event="The sprint event")
    @app_commands.autocomplete(event=_sprints)
    @requires(Role.ORGANISER, Role.MENTOR)
    async def sprint_board(self, interaction: Interaction, event: str) -> None:
        """Post the sprint's board in this channel; it stays up to date."""
        await self.engine.post_board(interaction, event)

    @mentor_sprint.command(name="pick")
    @app_commands.describe(event="The sprint event", issue="The issue to put on it")
    @app_commands.autocomplete(event=_sprints, issue=_issues)
    @requires(Role.ORGANISER, Role.MENTOR)
    async def sprint_pick(
        self, interaction: Interaction, event: str, issue: str
    ) -> None:
        """Put an issue on a sprint's board."""
        assert interaction.guild_id is not None
        await defer(interaction)
        ref = await self.engine.pick(
            interaction.guild_id, interaction.user.id, event, issue
        )
        await self.engine.ensure_guild(interaction.guild_id)
        await reply(interaction, render.picked(ref))

    @mentor_sprint.command(name="unpick")
    @app_commands.describe(event="The sprint event", issue="The issue to take off")
    @app_commands.autocomplete(event=_sprints, issue=_board_issues)
    @requires(Role.ORGANISER, Role.MENTOR)
    async def sprint_unpick(
        self, interaction: Interaction, event: str, issue: str
    ) -> None:
        """Take an issue off a sprint's board."""
        assert interaction.guild_id is not None
        ref = await self.engine.unpick(interaction.guild_id, event, issue)
        await reply(interaction, render.unpicked(ref))

    @sprint.command(name="claim")
    @app_commands.describe(event="The sprint event", issue="An issue on its board")
    @app_commands.autocomplete(event=_sprints, issue=_board_issues)
    async def sprint_claim(
        self, interaction: Interaction, event: str, issue: str
    ) -> None:
        """Claim an issue on a sprint's board (one person per issue)."""
        assert interaction.guild_id is not None
        await defer(interaction)
        made = await self.engine.sprint_claim(
            interaction.guild_id, interaction.user.id, event, issue
        )
        await self.engine.ensure_guild(interaction.guild_id)
        await reply(interaction, render.claimed(made))

    @sprint.command(name="help")
    @app_commands.describe(event="The sprint event", note="What you are stuck on")
    @app_commands.autocomplete(event=_sprints)
    async def sprint_help(
        self, interaction: Interaction, event: str, note: str = ""
    ) -> None:
        """Ask the mentor on duty for help, here in this channel."""
        await self.engine.call_for_help(interaction, event, note)
