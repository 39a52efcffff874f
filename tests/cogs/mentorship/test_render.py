"""The mentorship job's words: every refusal code has its sentence."""

from __future__ import annotations

import pytest

from bot.refusals import explain
from bot.refusals import Refused
from cogs.mentorship import _render  # noqa: F401  # registers the refusal words
from cogs.mentorship._logic import Problem

DETAILS: dict[str, object] = {
    "unknown": "cobol",
    "known": "flask, testing",
    "count": 2,
    "length": 30,
    "limit": 500,
    "id": 7,
    "mentee": 42,
}


@pytest.mark.parametrize("code", list(Problem))
def test_every_refusal_code_is_worded(code: Problem) -> None:
    text = explain(Refused(code, **DETAILS))
    assert text.strip()
    assert "{" not in text


def test_a_claim_refusal_names_the_request_and_the_capacity() -> None:
    assert "request #7 was just claimed" in explain(Refused(Problem.TAKEN, id=7))
    assert "capacity of 1 mentee." in explain(Refused(Problem.AT_CAPACITY, count=1))
    assert "capacity of 3 mentees." in explain(Refused(Problem.AT_CAPACITY, count=3))
