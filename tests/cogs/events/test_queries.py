from __future__ import annotations

from datetime import datetime
from datetime import UTC

from bot.db import Database
from cogs.events import _queries as q
from cogs.events._logic import Kind
from cogs.events._logic import Rsvp
from cogs.events._logic import validate_event
from cogs.grants import _queries as gq
from cogs.grants._logic import State
from cogs.grants._logic import validate_request

GUILD = 10
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def make_event(db: Database) -> q.Event:
    draft = validate_event(
        {
            "title": "Sprint",
            "description": "",
            "start": "2026-02-01 10:00",
            "end": "2026-02-01 12:00",
            "location": "Lyon",
        },
        kind=Kind.SPRINT,
        timezone="UTC",
        now=NOW,
    )
    return await q.create_draft(db, GUILD, 1, draft)


async def test_publish_happens_once(db: Database) -> None:
    event = await make_event(db)
    assert (await q.mark_published(db, event.id, "v1")) is not None
    assert await q.mark_published(db, event.id, "v1") is None


async def test_one_rsvp_per_member_and_opt_out_skips_reminders(db: Database) -> None:
    event = await make_event(db)
    await q.set_rsvp(db, event.id, 2, Rsvp.GOING)
    await q.set_rsvp(db, event.id, 3, Rsvp.GOING)
    await q.set_rsvp(db, event.id, 3, Rsvp.MAYBE)
    await q.set_rsvp(db, event.id, 4, Rsvp.GOING)
    assert await q.rsvp_counts(db, event.id) == q.RsvpCounts(going=2, maybe=1)
    assert await q.toggle_reminder_optout(db, GUILD, 4) is True
    assert await q.going_members(db, event.id, skip_opted_out=True) == [2]
    assert await q.going_members(db, event.id, skip_opted_out=False) == [2, 4]
    assert await q.toggle_reminder_optout(db, GUILD, 4) is False
    assert await q.going_members(db, event.id, skip_opted_out=True) == [2, 4]


async def test_cancel_bumps_revision_once(db: Database) -> None:
    event = await make_event(db)
    cancelled = await q.cancel_event(db, event.id)
    assert cancelled is not None and cancelled.revision == event.revision + 1
    assert await q.cancel_event(db, event.id) is None


async def test_grant_decision_is_audited_and_only_once(db: Database) -> None:
    draft = validate_request(
        {
            "event": "FlaskCon",
            "amount": "10.50",
            "currency": "EUR",
            "purpose": "Snacks",
            "attendance": "12",
        }
    )
    grant = await gq.create(
        db, GUILD, 5, "en-US", draft, event_id=None, event_text="FlaskCon"
    )
    assert str(grant.amount) == "10.50"
    decided = await gq.decide(db, grant, 6, State.APPROVED, "ok")
    assert decided is not None
    assert await gq.decide(db, grant, 7, State.REJECTED, None) is None
    trail = await gq.audit_trail(db, grant.id)
    assert [(e.from_state, e.to_state, e.actor_id) for e in trail] == [
        (None, State.PENDING, 5),
        (State.PENDING, State.APPROVED, 6),
    ]
