"""Event grants: checking requests and decisions. Pure: no Discord, no database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from enum import StrEnum
from functools import cache

from babel.numbers import get_currency_precision
from babel.numbers import list_currencies

from bot.errors import UserError
from bot.i18n import _
from bot.safety import clean_text

#: The largest grant anyone may ask for; above it is a typo or a joke.
MAX_AMOUNT = Decimal("100000")
MAX_ATTENDANCE = 100_000
PURPOSE_LIMIT = 1000
EVENT_TEXT_LIMIT = 100
NOTE_LIMIT = 1000
_MASS_MENTION = re.compile(r"@(everyone|here)\b|<@&\d+>", re.IGNORECASE)


class State(StrEnum):
    PENDING = "pending"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def decided(self) -> bool:
        return self in {State.APPROVED, State.REJECTED}


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    NEEDS_INFO = "needs-info"

    @property
    def state(self) -> State:
        return {
            Decision.APPROVE: State.APPROVED,
            Decision.REJECT: State.REJECTED,
            Decision.NEEDS_INFO: State.NEEDS_INFO,
        }[self]


def state_label(state: State | str) -> str:
    labels = {
        State.PENDING: _("waiting for review"),
        State.NEEDS_INFO: _("needs more information"),
        State.APPROVED: _("approved"),
        State.REJECTED: _("rejected"),
    }
    return labels[State(state)]


def reference(grant_id: int) -> str:
    """The reference number a requester quotes: stable and short."""
    return f"G-{grant_id}"


def parse_reference(text: str) -> int | None:
    match = re.fullmatch(r"\s*#?(?:G-?)?(\d{1,9})\s*", text, re.IGNORECASE)
    return int(match.group(1)) if match else None


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if code not in currencies():
        raise UserError(
            _(
                "Unknown currency {code}: use an ISO 4217 code such as EUR, USD or GBP.",
                code=code[:10],
            )
        )
    return code


def parse_amount(text: str, currency: str) -> Decimal:
    """Read an amount like ``1500``, ``1,500.50`` or ``1500,50``; positive, sane."""
    cleaned = text.strip().replace(" ", "").replace("_", "").replace("\u00a0", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _sep, tail = cleaned.rpartition(",")
        cleaned = (
            f"{head.replace(',', '')}.{tail}"
            if len(tail) <= 2
            else cleaned.replace(",", "")
        )
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise UserError(
            _(
                "I could not read the amount {text}: write a number like 1500.",
                text=text[:20],
            )
        ) from error
    if not amount.is_finite() or amount <= 0:
        raise UserError(_("The amount must be more than zero."))
    if amount > MAX_AMOUNT:
        raise UserError(
            _("That amount is too large: at most {limit}.", limit=f"{MAX_AMOUNT:,}")
        )
    digits = get_currency_precision(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise UserError(
            _(
                "{currency} amounts have at most {digits} decimal places.",
                currency=currency,
                digits=digits,
            )
        )
    return amount


def parse_attendance(text: str) -> int:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not cleaned.isdecimal() or not 0 < int(cleaned) <= MAX_ATTENDANCE:
        raise UserError(
            _(
                "Expected attendance must be a whole number from 1 to {limit}.",
                limit=MAX_ATTENDANCE,
            )
        )
    return int(cleaned)


def check_text(text: str, *, limit: int, what: str) -> str:
    cleaned = clean_text(text)
    if len(cleaned) > limit:
        raise UserError(
            _(
                "The {what} is too long: at most {limit} characters.",
                what=what,
                limit=limit,
            )
        )
    if _MASS_MENTION.search(cleaned):
        raise UserError(
            _("Please remove @everyone, @here and role mentions from the text.")
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class GrantDraft:
    event_text: str
    event_id: int | None
    amount: Decimal
    currency: str
    purpose: str
    attendance: int


def validate_request(values: Mapping[str, str]) -> GrantDraft:
    """Check a grant request form; the event id (if any) is resolved by the caller."""
    event_text = check_text(
        values.get("event", ""), limit=EVENT_TEXT_LIMIT, what=_("event")
    )
    if not event_text:
        raise UserError(_("Name the event, or give its number."))
    currency = parse_currency(values.get("currency", ""))
    amount = parse_amount(values.get("amount", ""), currency)
    purpose = check_text(
        values.get("purpose", ""), limit=PURPOSE_LIMIT, what=_("description")
    )
    if not purpose:
        raise UserError(_("Say what the grant would pay for."))
    attendance = parse_attendance(values.get("attendance", ""))
    event_id = (
        int(event_text.lstrip("#")) if event_text.lstrip("#").isdecimal() else None
    )
    return GrantDraft(event_text, event_id, amount, currency, purpose, attendance)


def check_review(
    *, state: State, requester_id: int, reviewer_id: int, decision: Decision, note: str
) -> None:
    """Refuse a review that must not happen; nothing is changed when this raises."""
    if requester_id == reviewer_id:
        raise UserError(_("You cannot review your own grant request."))
    if state.decided:
        raise UserError(
            _("This request was already decided ({state}).", state=state_label(state))
        )
    if decision is Decision.NEEDS_INFO and not note.strip():
        raise UserError(_("Say what information you need in the note."))
