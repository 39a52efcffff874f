"""What the grants job does: file requests, take answers, record decisions, tell.

A decision is told to the requester by DM as timed work (``grants.tell``), so
Discord trouble retries it with backoff instead of losing it once the reviewer has
been answered; the DM goes through ``bot.reach``, keyed by the decision's audit row,
so a retry never sends it twice, and a requester whose DMs are closed is mentioned in
the events channel instead (without the grant's details: ``/grant status`` shows
them). Organisers hear of new requests and answers in the
log channel (private text: only where @everyone cannot read).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.db import Database
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import guild_language
from bot.i18n import resolve
from bot.i18n import use_language
from bot.permissions import has_role
from bot.permissions import require_role
from bot.reach import Fallback
from bot.refusals import Refused
from bot.replies import reply
from bot.scheduler import Job
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.grants import _queries as q
from cogs.grants import _render as render
from cogs.grants._logic import check_review
from cogs.grants._logic import check_text
from cogs.grants._logic import Decision
from cogs.grants._logic import Field
from cogs.grants._logic import NOTE_LIMIT
from cogs.grants._logic import parse_reference
from cogs.grants._logic import Problem
from cogs.grants._logic import reference
from cogs.grants._logic import State
from cogs.grants._logic import validate_request
from cogs.grants._queries import Grant
from cogs.grants._views import FormValues
from cogs.grants._views import GrantForm

if TYPE_CHECKING:
    from bot.app import PalletsBot

TELL_KIND = "grants.tell"
#: The reviewers' list, paged with ``bot.ui.show_page``; its arg is the filter.
LIST_PAGES = "grants.list"
#: A requester's own requests (/grant status), paged.
STATUS_PAGES = "grants.status"
#: Requests a page of the reviewers' list shows (each line is up to ~350 characters,
#: and an embed's description holds 4,096).
LIST_PAGE_SIZE = 10
#: Requests read to suggest ids from (the option shows 25 of them).
CHOICES_READ = 200
#: Which requests each filter of /grant-review list shows.
LISTS: dict[str, tuple[State, ...]] = {
    "open": (State.PENDING, State.NEEDS_INFO),
    "approved": (State.APPROVED,),
    "rejected": (State.REJECTED,),
}


def tell_key(grant_id: int, audit_id: int) -> str:
    """The timed job that tells the requester the decision recorded as ``audit_id``."""
    return f"grants:tell:{grant_id}:{audit_id}"


def decision_dm_key(grant_id: int, audit_id: int) -> str:
    """The outbox key of the DM telling that decision."""
    return f"grants:decision:{grant_id}:{audit_id}"


class GrantsEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(TELL_KIND, self.on_tell, catch_up=timedelta(days=2))
        self.bot.actions.register(GrantForm.action, self.on_request_form)
        self.bot.actions.register_pages(LIST_PAGES, self.list_page)
        self.bot.actions.register_pages(STATUS_PAGES, self.status_page)

    def unregister(self) -> None:
        self.bot.scheduler.unregister(TELL_KIND)
        self.bot.actions.unregister(GrantForm.action, LIST_PAGES, STATUS_PAGES)

    # -- finding ------------------------------------------------------------------------
    async def by_reference(self, guild_id: int, text: str) -> Grant:
        """The request a member named by its reference number, or a refusal."""
        grant_id = parse_reference(text)
        found = (
            await q.get(self.db, guild_id, grant_id) if grant_id is not None else None
        )
        if found is None:
            raise Refused(Problem.NO_SUCH_GRANT, reference=text[:20])
        return found

    async def choices(
        self, interaction: Interaction, current: str, *, which: str
    ) -> list[Grant]:
        """The requests an id option suggests (at most 25), matching ``current``.

        ``which``: ``"answer"`` (the member's own requests waiting for an answer),
        ``"history"`` (the member's own, or every request for a reviewer) or
        ``"review"`` (open requests, for reviewers only). Nobody is offered a
        request they may not act on.
        """
        guild_id = interaction.guild_id
        if guild_id is None:
            return []
        settings = await self.bot.guild_config.get(guild_id)
        reviewer = has_role(interaction.user, settings, Role.GRANTS_REVIEWER)
        if which == "review" and not reviewer:
            return []
        if which == "review" or (which == "history" and reviewer):
            states = LISTS["open"] if which == "review" else tuple(State)
            found = await q.by_states(self.db, guild_id, states, limit=CHOICES_READ)
        else:
            found = await q.of_requester(
                self.db, guild_id, interaction.user.id, limit=CHOICES_READ
            )
            if which == "answer":
                found = [g for g in found if g.state is State.NEEDS_INFO]
        typed = current.strip().lower()
        return [
            grant
            for grant in found
            if not typed
            or typed in reference(grant.id).lower()
            or typed in grant.event_text.lower()
        ][:25]

    # -- requesters -----------------------------------------------------------------------
    async def on_request_form(
        self, interaction: Interaction, values: FormValues
    ) -> None:
        """The request form was submitted: file it, answer, tell the organisers."""
        assert interaction.guild_id is not None
        grant = await self.file_request(
            interaction.guild_id,
            interaction.user.id,
            interaction.locale.value,
            values,
        )
        await reply(interaction, render.request_received(grant))
        with guild_language():
            text = render.request_notice(grant)
        await self.bot.notices.post(grant.guild_id, text, private=True)

    async def file_request(
        self, guild_id: int, requester_id: int, locale: str | None, values: FormValues
    ) -> Grant:
        """Check a request and store it; nothing is stored when it is refused."""
        draft = validate_request(values)
        event_text = draft.event_text
        if draft.event_id is not None:
            title = await q.event_title(self.db, guild_id, draft.event_id)
            if title is None:
                raise Refused(Problem.NO_SUCH_EVENT, id=draft.event_id)
            event_text = title
        return await q.create(
            self.db,
            guild_id,
            requester_id,
            locale,
            draft,
            event_id=draft.event_id,
            event_text=event_text,
        )

    async def answer(
        self, grant: Grant, requester_id: int, answer: str
    ) -> tuple[Grant, str]:
        """The requester answers the reviewers' question; the request goes back to them.

        Return the updated request and the answer as stored.
        """
        if grant.requester_id != requester_id:
            raise NotAllowed(render.refusal(Problem.ONLY_REQUESTER, {}))
        if grant.state is not State.NEEDS_INFO:
            raise Refused(Problem.NOT_ASKED)
        text = check_text(answer, limit=NOTE_LIMIT, what=Field.ANSWER)
        if not text:
            raise Refused(Problem.NO_ANSWER)
        updated = await q.answer(self.db, grant, requester_id, text)
        if updated is None:
            raise Refused(Problem.NOT_ASKED)
        return updated, text

    async def tell_organisers_of_answer(self, grant: Grant, text: str) -> None:
        """Post the requester's answer in the log channel, in the guild's language."""
        with guild_language():
            notice = render.answer_notice(grant, grant.requester_id, text)
        await self.bot.notices.post(grant.guild_id, notice, private=True)

    # -- reviewers ------------------------------------------------------------------------
    async def decide(
        self, grant: Grant, reviewer_id: int, decision: Decision, note: str
    ) -> Grant:
        """Record a decision and schedule the DM that tells the requester."""
        cleaned = check_text(note, limit=NOTE_LIMIT, what=Field.NOTE)
        check_review(
            state=grant.state,
            requester_id=grant.requester_id,
            reviewer_id=reviewer_id,
            decision=decision,
            note=cleaned,
        )
        result = await q.decide(
            self.db, grant, reviewer_id, decision.state, cleaned or None
        )
        if result is None:
            raise Refused(Problem.ALREADY_DECIDED)
        updated, audit_id = result
        # Scheduled before the reviewer is answered, so a failed answer cannot lose
        # the DM.
        await self.bot.schedule(
            TELL_KIND,
            tell_key(updated.id, audit_id),
            utcnow(),
            guild_id=updated.guild_id,
            payload={"grant": updated.id, "audit": audit_id},
        )
        return updated

    async def list_page(self, interaction: Interaction, number: int, arg: str) -> Page:
        """Page ``number`` of the reviewers' list; ``arg`` names the filter.

        Its Previous/Next buttons outlive a restart: a click is checked like the
        command.
        """
        await require_role(interaction, Role.GRANTS_REVIEWER)
        assert interaction.guild_id is not None
        states = LISTS.get(arg, LISTS["open"])
        return (await self._list_page(interaction.guild_id, states, number))[0]

    async def first_list_page(self, guild_id: int, which: str) -> Page | None:
        """The first page of the reviewers' list ``which``, or None when it is empty
        (the command has checked the role)."""
        page, total = await self._list_page(guild_id, LISTS[which], 0)
        return page if total else None

    async def _list_page(
        self, guild_id: int, states: tuple[State, ...], number: int
    ) -> tuple[Page, int]:
        size = LIST_PAGE_SIZE
        grants, total = await q.page_by_states(
            self.db, guild_id, states, limit=size, offset=number * size
        )
        page, count, offset = page_bounds(number, total, size)
        if page != number:  # fewer requests than when the buttons were drawn
            grants, total = await q.page_by_states(
                self.db, guild_id, states, limit=size, offset=offset
            )
            page, count, offset = page_bounds(page, total, size)
        return Page(render.list_embed(grants), page, count), total

    async def status_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the member's own requests, newest first (only ever the
        clicker's own: the list holds no one else's id)."""
        assert interaction.guild_id is not None
        user_id = interaction.user.id
        total = await q.count_of_requester(self.db, interaction.guild_id, user_id)
        number, count, offset = page_bounds(number, total, LIST_PAGE_SIZE)
        grants = await q.of_requester(
            self.db, interaction.guild_id, user_id, limit=LIST_PAGE_SIZE, offset=offset
        )
        return Page(render.status_embed(grants), number, count)

    # -- telling the requester ------------------------------------------------------------
    async def on_tell(self, job: Job) -> None:
        assert job.guild_id is not None
        audit_id = int(job.payload["audit"])
        grant = await q.get(self.db, job.guild_id, int(job.payload["grant"]))
        if grant is None:
            return
        trail = await q.audit_trail(self.db, grant.id)
        entry = next((e for e in trail if e.id == audit_id), None)
        if entry is None:
            return
        # The DM tells this decision, even if another one followed meanwhile.
        decided = replace(grant, state=entry.to_state, note=entry.note)
        await self.tell_requester(decided, audit_id)

    async def tell_requester(self, grant: Grant, audit_id: int) -> None:
        """DM the requester the decision, in their language (once, however retried)."""
        settings = await self.bot.guild_config.get(grant.guild_id)
        language = resolve(
            grant.requester_locale, settings.language, self.bot.settings.default_locale
        )[0]
        with use_language(language):
            text = render.decision_dm(grant)
        with guild_language():
            public = render.decision_mention(grant)
        await self.bot.reach.dm(
            decision_dm_key(grant.id, audit_id),
            grant.requester_id,
            guild_id=grant.guild_id,
            content=text,
            fallback=Fallback(settings.channel(Channel.EVENTS), public),
        )
