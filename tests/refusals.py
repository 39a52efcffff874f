"""Expecting a refusal in a test, by the sentence the member reads."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest

from bot.refusals import explain
from bot.refusals import Refused


@contextlib.contextmanager
def refused(match: str) -> Iterator[None]:
    """Expect a refusal whose sentence (as the member reads it) matches ``match``."""
    with pytest.raises(Refused) as caught:
        yield
    assert re.search(match, explain(caught.value)), explain(caught.value)
