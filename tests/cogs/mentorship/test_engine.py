"""The mentorship engine's keys: one function each, and prefixes that cover them."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC

from cogs.mentorship._engine import checkin_key
from cogs.mentorship._engine import checkins_prefix
from cogs.mentorship._engine import digest_key
from cogs.mentorship._engine import digests_prefix


def test_a_pairings_prefix_covers_its_checkins_and_no_other_pairings() -> None:
    assert checkin_key(1, 2).startswith(checkins_prefix(1))
    assert checkins_prefix(1).startswith(checkins_prefix())
    # Cancelling pairing 1's check-ins must leave pairing 12's alone.
    assert not checkin_key(12, 1).startswith(checkins_prefix(1))


def test_a_digest_key_is_one_per_guild_and_due_time() -> None:
    due = datetime(2026, 1, 12, 9, tzinfo=UTC)
    assert digest_key(5, due).startswith(digests_prefix(5))
    assert digests_prefix(5).startswith(digests_prefix())
    assert digest_key(5, due) != digest_key(6, due)
