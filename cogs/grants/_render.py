"""Wording of the grants job: replies, notices, the decision DM and every refusal.

Pure: no I/O. The caller chooses the language (the member's for replies and DMs,
the guild's for notices); these functions only word what they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

import discord

from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import format_currency
from bot.refusals import explains
from bot.safety import clip
from bot.safety import quote
from cogs.grants._logic import Field
from cogs.grants._logic import Problem
from cogs.grants._logic import reference
from cogs.grants._logic import State
from cogs.grants._queries import AuditEntry
from cogs.grants._queries import Grant


def state_label(state: State | str) -> str:
    labels = {
        State.PENDING: _("waiting for review"),
        State.NEEDS_INFO: _("needs more information"),
        State.APPROVED: _("approved"),
        State.REJECTED: _("rejected"),
    }
    return labels[State(state)]


def field_label(field: Field | str) -> str:
    labels = {
        Field.EVENT: _("event"),
        Field.DESCRIPTION: _("description"),
        Field.NOTE: _("note"),
        Field.ANSWER: _("answer"),
    }
    return labels[Field(field)]


#: The refusal details that are what the member typed, and how much of one is shown.
TYPED = ("given", "text", "id", "reference")
TYPED_SHOWN = 120


@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    """The sentence for a refused request, answer or review."""
    # What the member typed (a code, an amount, an id, a reference) is shown as
    # typed, never as Markdown (a link, cut short or not).
    d = {
        key: quote(value, limit=TYPED_SHOWN)
        if key in TYPED and isinstance(value, str)
        else value
        for key, value in details.items()
    }
    match code:
        case Problem.UNKNOWN_CURRENCY:
            return _(
                "Unknown currency {code}: use an ISO 4217 code such as EUR, USD or GBP.",
                code=d["given"],
            )
        case Problem.UNREADABLE_AMOUNT:
            return _(
                "I could not read the amount {text}: write a number like 1500.",
                text=d["text"],
            )
        case Problem.AMOUNT_NOT_POSITIVE:
            return _("The amount must be more than zero.")
        case Problem.AMOUNT_TOO_LARGE:
            return _("That amount is too large: at most {limit}.", limit=d["limit"])
        case Problem.TOO_MANY_DECIMALS:
            return _(
                "{currency} amounts have at most {digits} decimal places.",
                currency=d["currency"],
                digits=d["digits"],
            )
        case Problem.BAD_ATTENDANCE:
            return _(
                "Expected attendance must be a whole number from 1 to {limit}.",
                limit=d["limit"],
            )
        case Problem.TEXT_TOO_LONG:
            return _(
                "The {what} is too long: at most {limit} characters.",
                what=field_label(str(d["what"])),
                limit=d["limit"],
            )
        case Problem.MASS_MENTION:
            return _("Please remove @everyone, @here and role mentions from the text.")
        case Problem.NO_EVENT_NAMED:
            return _("Name the event, or give its number.")
        case Problem.NO_PURPOSE:
            return _("Say what the grant would pay for.")
        case Problem.NO_SUCH_EVENT:
            return _("There is no event {id}: give its name instead.", id=d["id"])
        case Problem.NO_SUCH_GRANT:
            return _("There is no grant request {reference}.", reference=d["reference"])
        case Problem.OWN_REQUEST:
            return _("You cannot review your own grant request.")
        case Problem.DECIDED_AS:
            return _(
                "This request was already decided ({state}).",
                state=state_label(str(d["state"])),
            )
        case Problem.ALREADY_DECIDED:
            return _("This request was already decided.")
        case Problem.NOTE_NEEDED:
            return _("Say what information you need in the note.")
        case Problem.NOT_ASKED:
            return _("The reviewers have not asked anything about this request.")
        case Problem.NO_ANSWER:
            return _("Write your answer.")
        case Problem.ONLY_REQUESTER:
            return _("Only the requester can answer about a request.")


# -- requesters ------------------------------------------------------------------------------
def request_received(grant: Grant) -> str:
    """The requester's receipt, with the reference number to follow it by."""
    return _(
        "Your request for {amount} for {event} is in. Your reference number is "
        "{reference}; follow it with /grant status.",
        amount=format_currency(grant.amount, grant.currency),
        event=quote(grant.event_text),
        reference=reference(grant.id),
    )


def request_notice(grant: Grant) -> str:
    """The organisers' notice of a new request (in the guild's language)."""
    return _(
        "New event grant request {reference} from <@{user}>: {amount} for {event}. "
        "Reviewers: /grant-review list.",
        reference=reference(grant.id),
        user=grant.requester_id,
        amount=format_currency(grant.amount, grant.currency),
        event=quote(grant.event_text),
    )


def answer_received(grant: Grant) -> str:
    return _(
        "Thanks: {reference} is back with the reviewers.",
        reference=reference(grant.id),
    )


def answer_notice(grant: Grant, user_id: int, text: str) -> str:
    """The organisers' notice of a requester's answer (in the guild's language)."""
    return _(
        "<@{user}> answered about grant request {reference}: {answer}",
        user=user_id,
        reference=reference(grant.id),
        answer=quote(text, limit=1500),
    )


def no_requests_yet() -> str:
    return _("You have not asked for an event grant yet.")


def status_embed(grants: Sequence[Grant]) -> discord.Embed:
    """A requester's own requests, with the reviewers' notes."""
    lines = [grant_line(grant, with_note=True) for grant in grants]
    return discord.Embed(title=_("Your grant requests"), description="\n".join(lines))


def history_embed(grant: Grant, trail: Sequence[AuditEntry]) -> discord.Embed:
    """Every state change of a request, who made it and why."""
    lines = []
    for entry in trail:
        line = _(
            "{when} · <@{actor}> · {state}",
            when=discord_timestamp(entry.at, "f"),
            actor=entry.actor_id,
            state=state_label(entry.to_state),
        )
        if entry.note:
            line += "\n" + _("  Note: {note}", note=quote(entry.note, limit=300))
        lines.append(line)
    return discord.Embed(
        title=_("History of {reference}", reference=reference(grant.id)),
        description="\n".join(lines),
    )


# -- reviewers -------------------------------------------------------------------------------
def nothing_to_list() -> str:
    return _("No grant requests to show.")


def list_embed(grants: Sequence[Grant]) -> discord.Embed:
    """One page of the reviewers' list."""
    lines = [grant_line(grant, with_requester=True) for grant in grants]
    return discord.Embed(
        title=_("Event grant requests"),
        description="\n".join(lines) if lines else nothing_to_list(),
    )


def decided(grant: Grant) -> str:
    """The reviewer's confirmation of a decision."""
    ref = reference(grant.id)
    news = {
        State.APPROVED: _("{reference} is approved.", reference=ref),
        State.REJECTED: _("{reference} is rejected.", reference=ref),
        State.NEEDS_INFO: _(
            "{reference} now waits for more information from the requester.",
            reference=ref,
        ),
        State.PENDING: _("{reference} is waiting for review again.", reference=ref),
    }[State(grant.state)]
    return " ".join(
        (
            news,
            _(
                "The requester is told by DM (mentioned in the events channel if "
                "their DMs are closed) and sees it with /grant status."
            ),
        )
    )


def decision_mention(grant: Grant) -> str:
    """Where the requester's DMs are closed: the news, without the details."""
    return _(
        "The workgroup has news about your event grant request {reference}: "
        "/grant status shows it (only to you).",
        reference=reference(grant.id),
    )


def decision_dm(grant: Grant) -> str:
    """The requester's DM telling a decision (in the requester's language)."""
    amount = format_currency(grant.amount, grant.currency)
    texts = {
        State.APPROVED: _(
            "Good news: your event grant request {reference} ({amount} for "
            "{event}) is approved.",
            reference=reference(grant.id),
            amount=amount,
            event=quote(grant.event_text),
        ),
        State.REJECTED: _(
            "Your event grant request {reference} ({amount} for {event}) was "
            "not approved.",
            reference=reference(grant.id),
            amount=amount,
            event=quote(grant.event_text),
        ),
        State.NEEDS_INFO: _(
            "The reviewers need more information about your event grant "
            "request {reference} ({amount} for {event}). Answer with "
            "/grant answer.",
            reference=reference(grant.id),
            amount=amount,
            event=quote(grant.event_text),
        ),
    }
    text = texts[grant.state]
    if grant.note:
        text += "\n" + _("Note from the reviewers: {note}", note=quote(grant.note))
    return text


def grant_line(
    grant: Grant, *, with_requester: bool = False, with_note: bool = False
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
            purpose=quote(grant.purpose, limit=200),
        )
    if with_note and grant.note:
        line += "\n" + _("  Note: {note}", note=quote(grant.note, limit=300))
    return line


def choice_label(grant: Grant) -> str:
    """A request as an id option suggests it (Discord shows 100 characters)."""
    return clip(
        _(
            "{reference} · {amount} · {event} · {state}",
            reference=reference(grant.id),
            amount=format_currency(grant.amount, grant.currency),
            event=grant.event_text,
            state=state_label(grant.state),
        ),
        100,
    )
