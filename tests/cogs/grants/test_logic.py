from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.refusals import Refused
from cogs.grants import _render  # noqa: F401 - words the refusals
from cogs.grants._logic import check_review
from cogs.grants._logic import Decision
from cogs.grants._logic import parse_amount
from cogs.grants._logic import parse_currency
from cogs.grants._logic import parse_reference
from cogs.grants._logic import reference
from cogs.grants._logic import State
from cogs.grants._logic import validate_request
from tests.refusals import refused

FORM = {
    "event": "FlaskCon",
    "amount": "1500",
    "currency": "eur",
    "purpose": "Venue",
    "attendance": "40",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500", Decimal("1500")),
        ("1,500.50", Decimal("1500.50")),
        ("1500,5", Decimal("1500.5")),
        ("1 500", Decimal("1500")),
        ("1,500", Decimal("1500")),
    ],
)
def test_amounts_are_read(text: str, expected: Decimal) -> None:
    assert parse_amount(text, "EUR") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "more than zero"),
        ("-10", "more than zero"),
        ("NaN", "more than zero"),
        ("1e9", "too large"),
        ("100000.01", "too large"),
        ("ten", "could not read"),
        ("10.001", "at most 2 decimal"),
    ],
)
def test_bad_amounts_are_refused(text: str, message: str) -> None:
    with refused(message):
        parse_amount(text, "EUR")


def test_currency_precision_is_respected() -> None:
    with refused("at most 0 decimal"):
        parse_amount("100.5", "JPY")


def test_currencies_come_from_babel() -> None:
    assert parse_currency(" usd ") == "USD"
    with refused("Unknown currency"):
        parse_currency("XYZ")


@given(st.integers(1, 10**9 - 1))
def test_references_round_trip(grant_id: int) -> None:
    assert parse_reference(reference(grant_id)) == grant_id
    assert parse_reference(str(grant_id)) == grant_id
    assert parse_reference(f"#{grant_id}") == grant_id


@given(st.text())
def test_amount_parsing_never_crashes(text: str) -> None:
    try:
        amount = parse_amount(text, "EUR")
    except Refused:
        return
    assert Decimal(0) < amount <= Decimal(100000)


def test_request_with_event_number_keeps_the_id() -> None:
    draft = validate_request({**FORM, "event": "#12"})
    assert draft.event_id == 12
    assert validate_request(FORM).event_id is None


@pytest.mark.parametrize(
    ("state", "reviewer_id", "decision", "note", "refusal"),
    [
        (State.PENDING, 1, Decision.APPROVE, "", "your own"),
        (State.APPROVED, 2, Decision.REJECT, "", "already decided"),
        (State.NEEDS_INFO, 2, Decision.NEEDS_INFO, " ", "information you need"),
        (State.NEEDS_INFO, 2, Decision.APPROVE, "", None),
    ],
    ids=["own-request", "decided", "needs-info-without-note", "answered-then-approved"],
)
def test_review_rules(
    state: State, reviewer_id: int, decision: Decision, note: str, refusal: str | None
) -> None:
    """Requested by member 1; ``refusal`` is what the reviewer reads (None: allowed)."""
    expect = refused(refusal) if refusal else contextlib.nullcontext()
    with expect:
        check_review(
            state=state,
            requester_id=1,
            reviewer_id=reviewer_id,
            decision=decision,
            note=note,
        )
