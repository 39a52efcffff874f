"""The one refusal convention: a code from the rules, a sentence from the renderer."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import pytest

from bot.errors import is_expected
from bot.errors import message_for
from bot.refusals import explain
from bot.refusals import explains
from bot.refusals import Refused


class Why(StrEnum):
    TOO_LONG = "too_long"


class Unworded(StrEnum):
    NOPE = "nope"


@explains(Why)
def _words(code: Why, details: Mapping[str, object]) -> str:
    return f"That is {details['length']} characters; the limit is 10."


def test_a_refusal_is_worded_by_its_job_and_is_an_expected_error() -> None:
    refused = Refused(Why.TOO_LONG, length=12)
    assert explain(refused) == "That is 12 characters; the limit is 10."
    assert message_for(refused) == ("That is 12 characters; the limit is 10.", True)
    assert is_expected(refused)


def test_a_code_nobody_words_is_a_bug_not_a_silent_refusal() -> None:
    with pytest.raises(LookupError):
        explain(Refused(Unworded.NOPE))


def test_a_refusal_counts_as_refused_in_the_metrics_not_as_an_error() -> None:
    from discord import app_commands

    from bot.metrics import outcome_of

    wrapped = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    wrapped.original = Refused(Why.TOO_LONG, length=12)
    assert outcome_of(wrapped) == "refused"
    assert outcome_of(Refused(Why.TOO_LONG, length=12)) == "refused"
