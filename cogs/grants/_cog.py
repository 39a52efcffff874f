"""/grant: members ask the workgroup to fund an event; grants reviewers decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.clock import discord_timestamp
from bot.clock import utcnow
from bot.errors import NotAllowed
from bot.errors import UserError
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import format_currency
from bot.i18n import guild_language
from bot.i18n import resolve
from bot.i18n import use_language
from bot.permissions import has_role
from bot.permissions import requires
from bot.replies import reply
from bot.safety import clip
from bot.safety import quote
from bot.scheduler import Job
from bot.ui import Interaction
from cogs.grants import _queries as q
from cogs.grants._logic import check_review
from cogs.grants._logic import check_text
from cogs.grants._logic import Decision
from cogs.grants._logic import NOTE_LIMIT
from cogs.grants._logic import parse_reference
from cogs.grants._logic import reference
from cogs.grants._logic import State
from cogs.grants._logic import state_label
from cogs.grants._logic import validate_request
from cogs.grants._views import FormValues
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
#: The decision DM is timed work, so Discord trouble retries it with backoff
#: instead of losing it once the reviewer has been answered.
TELL_KIND = "grants.tell"


@app_commands.guild_only()
class GrantsCog(commands.GroupCog, group_name="grant"):
    """Event grants: requests and the workgroup's review."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.scheduler.register(
            TELL_KIND, self._tell_job, catch_up=timedelta(days=2)
        )

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(TELL_KIND)

    # -- requesters ---------------------------------------------------------------------------
    @app_commands.command(name="request")
    async def request(self, interaction: Interaction) -> None:
        """Ask the workgroup to fund a community event."""
        await interaction.response.send_modal(GrantForm(self._request_submitted))

    async def _request_submitted(
        self, interaction: Interaction, values: FormValues
    ) -> None:
        assert interaction.guild_id is not None
        draft = validate_request(values)
        event_text = draft.event_text
        if draft.event_id is not None:
            title = await q.event_title(
                self.bot.db, interaction.guild_id, draft.event_id
            )
            if title is None:
                raise UserError(
                    _(
                        "There is no event {id}: give its name instead.",
                        id=draft.event_id,
                    )
                )
            event_text = title
        grant = await q.create(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            interaction.locale.value,
            draft,
            event_id=draft.event_id,
            event_text=event_text,
        )
        amount = format_currency(grant.amount, grant.currency)
        await reply(
            interaction,
            _(
                "Your request for {amount} for {event} is in. Your reference number is "
                "{reference}; follow it with /grant status.",
                amount=amount,
                event=quote(event_text),
                reference=reference(grant.id),
            ),
        )
        with guild_language():
            text = _(
                "New event grant request {reference} from <@{user}>: {amount} for {event}. "
                "Reviewers: /grant list.",
                reference=reference(grant.id),
                user=grant.requester_id,
                amount=format_currency(grant.amount, grant.currency),
                event=quote(event_text),
            )
        await self.bot.notices.post(interaction.guild_id, text, private=True)

    @app_commands.command(name="status")
    async def status(self, interaction: Interaction) -> None:
        """Show your own grant requests and their decisions."""
        assert interaction.guild_id is not None
        grants = await q.of_requester(
            self.bot.db, interaction.guild_id, interaction.user.id
        )
        if not grants:
            await reply(interaction, _("You have not asked for an event grant yet."))
            return
        lines = [self._line(grant, with_note=True) for grant in grants]
        await reply(
            interaction,
            embed=discord.Embed(
                title=_("Your grant requests"), description="\n".join(lines)
            ),
        )

    @app_commands.command(name="answer")
    @app_commands.rename(grant="id")
    @app_commands.describe(
        grant="The reference number of your request",
        answer="The information the reviewers asked for",
    )
    async def answer(self, interaction: Interaction, grant: str, answer: str) -> None:
        """Answer the reviewers' question about your grant request."""
        found = await self._grant(interaction, grant)
        if found.requester_id != interaction.user.id:
            raise NotAllowed(_("Only the requester can answer about a request."))
        if found.state is not State.NEEDS_INFO:
            raise UserError(
                _("The reviewers have not asked anything about this request.")
            )
        text = check_text(answer, limit=NOTE_LIMIT, what=_("answer"))
        if not text:
            raise UserError(_("Write your answer."))
        updated = await q.answer(self.bot.db, found, interaction.user.id, text)
        if updated is None:
            raise UserError(
                _("The reviewers have not asked anything about this request.")
            )
        await reply(
            interaction,
            _(
                "Thanks: {reference} is back with the reviewers.",
                reference=reference(found.id),
            ),
        )
        with guild_language():
            log_text = _(
                "<@{user}> answered about grant request {reference}: {answer}",
                user=interaction.user.id,
                reference=reference(found.id),
                answer=clip(quote(text), 1500),
            )
        assert interaction.guild_id is not None
        await self.bot.notices.post(interaction.guild_id, log_text, private=True)

    @app_commands.command(name="history")
    @app_commands.rename(grant="id")
    @app_commands.describe(grant="The reference number of the request")
    async def history(self, interaction: Interaction, grant: str) -> None:
        """Show every state change of a grant request (requester or reviewers)."""
        found = await self._grant(interaction, grant)
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        if found.requester_id != interaction.user.id and not has_role(
            interaction.user, settings, Role.GRANTS_REVIEWER
        ):
            # Same answer as for a missing request: a stranger learns nothing.
            raise NotAllowed(
                _("There is no grant request {reference}.", reference=grant[:20])
            )
        lines = []
        for entry in await q.audit_trail(self.bot.db, found.id):
            line = _(
                "{when} · <@{actor}> · {state}",
                when=discord_timestamp(entry.at, "f"),
                actor=entry.actor_id,
                state=state_label(entry.to_state),
            )
            if entry.note:
                line += "\n" + _("  Note: {note}", note=clip(quote(entry.note), 300))
            lines.append(line)
        await reply(
            interaction,
            embed=discord.Embed(
                title=_("History of {reference}", reference=reference(found.id)),
                description="\n".join(lines),
            ),
        )

    # -- reviewers ---------------------------------------------------------------------------
    @app_commands.command(name="list")
    @app_commands.describe(show="Which requests to show (default: open ones)")
    @app_commands.choices(show=LIST_CHOICES)
    @requires(Role.GRANTS_REVIEWER)
    async def list_grants(
        self, interaction: Interaction, show: app_commands.Choice[str] | None = None
    ) -> None:
        """List event grant requests for review."""
        assert interaction.guild_id is not None
        which = show.value if show else "open"
        states = {
            "open": (State.PENDING, State.NEEDS_INFO),
            "approved": (State.APPROVED,),
            "rejected": (State.REJECTED,),
        }[which]
        grants = await q.by_states(self.bot.db, interaction.guild_id, states)
        if not grants:
            await reply(interaction, _("No grant requests to show."))
            return
        lines = [self._line(grant, with_requester=True) for grant in grants]
        await reply(
            interaction,
            embed=discord.Embed(
                title=_("Event grant requests"), description="\n".join(lines)
            ),
        )

    @app_commands.command(name="review")
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
        found = await self._grant(interaction, grant)
        chosen = Decision(decision.value)
        cleaned = check_text(note, limit=NOTE_LIMIT, what=_("note"))
        check_review(
            state=found.state,
            requester_id=found.requester_id,
            reviewer_id=interaction.user.id,
            decision=chosen,
            note=cleaned,
        )
        result = await q.decide(
            self.bot.db, found, interaction.user.id, chosen.state, cleaned or None
        )
        if result is None:
            raise UserError(_("This request was already decided."))
        updated, audit_id = result
        # Scheduled before the answer, so a failed answer cannot lose the DM.
        await self.bot.schedule(
            TELL_KIND,
            f"grants:tell:{updated.id}:{audit_id}",
            utcnow(),
            guild_id=updated.guild_id,
            payload={"grant": updated.id, "audit": audit_id},
        )
        await reply(
            interaction,
            _(
                "{reference} is now {state}. The requester is told by DM.",
                reference=reference(updated.id),
                state=state_label(updated.state),
            ),
        )

    async def _tell_job(self, job: Job) -> None:
        assert job.guild_id is not None
        audit_id = int(job.payload["audit"])
        grant = await q.get(self.bot.db, job.guild_id, int(job.payload["grant"]))
        if grant is None:
            return
        trail = await q.audit_trail(self.bot.db, grant.id)
        entry = next((e for e in trail if e.id == audit_id), None)
        if entry is None:
            return
        # The DM tells this decision, even if another one followed meanwhile.
        decided = replace(grant, state=entry.to_state, note=entry.note)
        await self._tell_requester(decided, audit_id)

    async def _tell_requester(self, grant: q.Grant, audit_id: int) -> None:
        settings = await self.bot.guild_config.get(grant.guild_id)
        language = resolve(
            grant.requester_locale, settings.language, self.bot.settings.default_locale
        )[0]
        with use_language(language):
            amount = format_currency(grant.amount, grant.currency)
            texts = {
                State.APPROVED: _(
                    "Good news: your event grant request {reference} ({amount} for "
                    "{event}) is approved.",
                    reference=reference(grant.id),
                    amount=amount,
                    event=grant.event_text,
                ),
                State.REJECTED: _(
                    "Your event grant request {reference} ({amount} for {event}) was "
                    "not approved.",
                    reference=reference(grant.id),
                    amount=amount,
                    event=grant.event_text,
                ),
                State.NEEDS_INFO: _(
                    "The reviewers need more information about your event grant "
                    "request {reference} ({amount} for {event}). Answer with "
                    "/grant answer.",
                    reference=reference(grant.id),
                    amount=amount,
                    event=grant.event_text,
                ),
            }
            text = texts[grant.state]
            if grant.note:
                text += "\n" + _("Note from the reviewers: {note}", note=grant.note)
        await self.bot.outbox.send_dm(
            f"grants:decision:{grant.id}:{audit_id}",
            grant.requester_id,
            guild_id=grant.guild_id,
            content=text,
        )

    # -- helpers -----------------------------------------------------------------------------
    async def _grant(self, interaction: Interaction, text: str) -> q.Grant:
        assert interaction.guild_id is not None
        grant_id = parse_reference(text)
        found = (
            await q.get(self.bot.db, interaction.guild_id, grant_id)
            if grant_id is not None
            else None
        )
        if found is None:
            raise UserError(
                _("There is no grant request {reference}.", reference=text[:20])
            )
        return found

    def _line(
        self, grant: q.Grant, *, with_requester: bool = False, with_note: bool = False
    ) -> str:
        line = _(
            "**{reference}** · {amount} · {event} · {state} · {when}",
            reference=reference(grant.id),
            amount=format_currency(grant.amount, grant.currency),
            event=quote(grant.event_text),
            state=state_label(grant.state),
            when=discord_timestamp(grant.created_at, "d"),
        )
        if with_requester:
            line += "\n" + _(
                "  by <@{user}>, {count} expected: {purpose}",
                user=grant.requester_id,
                count=grant.attendance,
                purpose=clip(quote(grant.purpose), 200),
            )
        if with_note and grant.note:
            line += "\n" + _("  Note: {note}", note=clip(quote(grant.note), 300))
        return line
