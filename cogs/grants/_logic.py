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

from bot.refusals import Refused
from bot.safety import clean_text
from bot.safety import mass_mention

#: The largest grant anyone may ask for; above it is a typo or a joke.
MAX_AMOUNT = Decimal("100000")
MAX_ATTENDANCE = 100_000
PURPOSE_LIMIT = 1000
EVENT_TEXT_LIMIT = 100
NOTE_LIMIT = 1000


class Problem(StrEnum):
    """Why a grant request, answer or review is refused (worded by ``_render``)."""

    UNKNOWN_CURRENCY = "unknown_currency"
    UNREADABLE_AMOUNT = "unreadable_amount"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_TOO_LARGE = "amount_too_large"
    TOO_MANY_DECIMALS = "too_many_decimals"
    BAD_ATTENDANCE = "bad_attendance"
    TEXT_TOO_LONG = "text_too_long"
    MASS_MENTION = "mass_mention"
    NO_EVENT_NAMED = "no_event_named"
    NO_PURPOSE = "no_purpose"
    NO_SUCH_EVENT = "no_such_event"
    NO_SUCH_GRANT = "no_such_grant"
    OWN_REQUEST = "own_request"
    DECIDED_AS = "decided_as"
    ALREADY_DECIDED = "already_decided"
    NOTE_NEEDED = "note_needed"
    NOT_ASKED = "not_asked"
    NO_ANSWER = "no_answer"
    ONLY_REQUESTER = "only_requester"


class Field(StrEnum):
    """A text a member writes, named in the "too long" refusal."""

    EVENT = "event"
    DESCRIPTION = "description"
    NOTE = "note"
    ANSWER = "answer"


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
        raise Refused(Problem.UNKNOWN_CURRENCY, given=code[:10])
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
        raise Refused(Problem.UNREADABLE_AMOUNT, text=text[:20]) from error
    if not amount.is_finite() or amount <= 0:
        raise Refused(Problem.AMOUNT_NOT_POSITIVE)
    if amount > MAX_AMOUNT:
        raise Refused(Problem.AMOUNT_TOO_LARGE, limit=f"{MAX_AMOUNT:,}")
    digits = get_currency_precision(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise Refused(Problem.TOO_MANY_DECIMALS, currency=currency, digits=digits)
    return amount


def parse_attendance(text: str) -> int:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not cleaned.isdecimal() or not 0 < int(cleaned) <= MAX_ATTENDANCE:
        raise Refused(Problem.BAD_ATTENDANCE, limit=MAX_ATTENDANCE)
    return int(cleaned)


def check_text(text: str, *, limit: int, what: Field) -> str:
    cleaned = clean_text(text)
    if len(cleaned) > limit:
        raise Refused(Problem.TEXT_TOO_LONG, what=what, limit=limit)
    if mass_mention(cleaned):
        raise Refused(Problem.MASS_MENTION)
    return cleaned


#: The largest id SQLite stores (signed 64 bits); an "event id" above it is refused.
MAX_EVENT_ID = 2**63 - 1


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
        values.get("event", ""), limit=EVENT_TEXT_LIMIT, what=Field.EVENT
    )
    if not event_text:
        raise Refused(Problem.NO_EVENT_NAMED)
    currency = parse_currency(values.get("currency", ""))
    amount = parse_amount(values.get("amount", ""), currency)
    purpose = check_text(
        values.get("purpose", ""), limit=PURPOSE_LIMIT, what=Field.DESCRIPTION
    )
    if not purpose:
        raise Refused(Problem.NO_PURPOSE)
    attendance = parse_attendance(values.get("attendance", ""))
    event_id = (
        int(event_text.lstrip("#")) if event_text.lstrip("#").isdecimal() else None
    )
    if event_id is not None and event_id > MAX_EVENT_ID:
        # No event has such an id, and SQLite could not even be asked (64 bits).
        raise Refused(Problem.NO_SUCH_EVENT, id=event_text.lstrip("#"))
    return GrantDraft(event_text, event_id, amount, currency, purpose, attendance)


def check_review(
    *, state: State, requester_id: int, reviewer_id: int, decision: Decision, note: str
) -> None:
    """Refuse a review that must not happen; nothing is changed when this raises."""
    if requester_id == reviewer_id:
        raise Refused(Problem.OWN_REQUEST)
    if state.decided:
        raise Refused(Problem.DECIDED_AS, state=state)
    if decision is Decision.NEEDS_INFO and not note.strip():
        raise Refused(Problem.NOTE_NEEDED)
