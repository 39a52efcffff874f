"""/grant: members ask the workgroup to fund an event; grants reviewers decide."""

from __future__ import annotations

from discord import app_commands

from bot.errors import NotAllowed
from bot.guilds import Role
from bot.job import JobCog
from bot.permissions import has_role
from bot.permissions import member_group
from bot.permissions import requires
from bot.permissions import role_group
from bot.replies import reply
from bot.ui import Interaction
from bot.ui import send_page
from bot.ui import show_page
from cogs.grants import _queries as q
from cogs.grants import _render as render
from cogs.grants._engine import GrantsEngine
from cogs.grants._engine import LIST_PAGES
from cogs.grants._engine import STATUS_PAGES
from cogs.grants._logic import Decision
from cogs.grants._logic import Problem
from cogs.grants._logic import reference
from cogs.grants._views import GrantForm

DECISION_CHOICES = [
    app_commands.Choice(name="approve", value="approve"),
    app_commands.Choice(name="reject", value="reject"),
    app_commands.Choice(name="needs-info", value="needs-info"),
]
LIST_CHOICES = [
    app_commands.Choice(name="open", value="open"),
    app_commands.Choice(name="approved", value="approved"),
    app_commands.Choice(name="rejected", value="rejected"),
]


class GrantsCog(JobCog[GrantsEngine]):
    """Event grants: members' /grant, the grants reviewers' /grant-review."""

    grant = member_group("grant", "Event grants: requests and the workgroup's review.")
    # Hidden from the other members until an admin shows it to the grants reviewer
    # role (bot.permissions.role_group); each command checks the role itself.
    reviewers = role_group(
        "grant-review",
        "Grants reviewers: list the requests and decide on them",
        Role.GRANTS_REVIEWER,
    )

    engine_type = GrantsEngine

    # -- requesters ---------------------------------------------------------------------------
    @grant.command(name="request")
    async def request(self, interaction: Interaction) -> None:
        """Ask the workgroup to fund a community event."""
        # The submitted form runs the engine's "grants.request" action.
        await interaction.response.send_modal(GrantForm())

    @grant.command(name="status")
    async def status(self, interaction: Interaction) -> None:
        """Show your own grant requests and their decisions."""
        assert interaction.guild_id is not None
        if not await q.count_of_requester(
            self.bot.db, interaction.guild_id, interaction.user.id
        ):
            await reply(interaction, render.no_requests_yet())
            return
        await show_page(interaction, STATUS_PAGES)

    @grant.command(name="answer")
    @app_commands.rename(grant="id")
    @app_commands.describe(
        grant="The reference number of your request",
        answer="The information the reviewers asked for",
    )
    async def answer(self, interaction: Interaction, grant: str, answer: str) -> None:
        """Answer the reviewers' question about your grant request."""
        assert interaction.guild_id is not None
        found = await self.engine.by_reference(interaction.guild_id, grant)
        updated, text = await self.engine.answer(found, interaction.user.id, answer)
        await reply(interaction, render.answer_received(updated))
        await self.engine.tell_organisers_of_answer(updated, text)

    @grant.command(name="history")
    @app_commands.rename(grant="id")
    @app_commands.describe(grant="The reference number of the request")
    async def history(self, interaction: Interaction, grant: str) -> None:
        """Show every state change of a grant request (requester or reviewers)."""
        assert interaction.guild_id is not None
        found = await self.engine.by_reference(interaction.guild_id, grant)
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if found.requester_id != interaction.user.id and not has_role(
            interaction.user, settings, Role.GRANTS_REVIEWER
        ):
            # Same answer as for a missing request: a stranger learns nothing.
            raise NotAllowed(
                render.refusal(Problem.NO_SUCH_GRANT, {"reference": grant[:20]})
            )
        trail = await q.audit_trail(self.bot.db, found.id)
        await reply(interaction, embed=render.history_embed(found, trail))

    async def _choices(
        self, interaction: Interaction, current: str, which: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=render.choice_label(g), value=reference(g.id))
            for g in await self.engine.choices(interaction, current, which=which)
        ]

    @answer.autocomplete("grant")
    async def _answer_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, "answer")

    @history.autocomplete("grant")
    async def _history_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, "history")

    # -- reviewers ---------------------------------------------------------------------------
    @reviewers.command(name="list")
    @app_commands.describe(show="Which requests to show (default: open ones)")
    @app_commands.choices(show=LIST_CHOICES)
    @requires(Role.GRANTS_REVIEWER)
    async def list_grants(
        self, interaction: Interaction, show: app_commands.Choice[str] | None = None
    ) -> None:
        """List event grant requests for review."""
        assert interaction.guild_id is not None
        which = show.value if show else "open"
        page = await self.engine.first_list_page(interaction.guild_id, which)
        if page is None:
            await reply(interaction, render.nothing_to_list())
            return
        await send_page(interaction, LIST_PAGES, page, which)

    @reviewers.command(name="decide")
    @app_commands.rename(grant="id")
    @app_commands.describe(
        grant="The reference number of the request",
        decision="Approve, reject, or ask the requester for more information",
        note="Why, or what you need to know (sent to the requester)",
    )
    @app_commands.choices(decision=DECISION_CHOICES)
    @requires(Role.GRANTS_REVIEWER)
    async def review(
        self,
        interaction: Interaction,
        grant: str,
        decision: app_commands.Choice[str],
        note: str = "",
    ) -> None:
        """Decide on an event grant request."""
        assert interaction.guild_id is not None
        found = await self.engine.by_reference(interaction.guild_id, grant)
        updated = await self.engine.decide(
            found, interaction.user.id, Decision(decision.value), note
        )
        await reply(interaction, render.decided(updated))

    @review.autocomplete("grant")
    async def _review_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, "review")
