-- Community events (announcements, RSVPs, code of conduct) and event grant requests.
-- All times are UTC epoch seconds.

-- An organiser's acceptance of one version of the code of conduct.
CREATE TABLE event_coc_acceptances (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, version)
) STRICT;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    organiser_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('conference', 'sprint', 'meetup', 'online_talk', 'other')),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    timezone TEXT NOT NULL,             -- IANA name the organiser typed the times in
    location TEXT NOT NULL,             -- a place or a URL
    state TEXT NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'published', 'cancelled')),
    channel_id INTEGER,                 -- the announcement, once posted
    message_id INTEGER,
    scheduled_event_id INTEGER,         -- the Discord scheduled event, once created
    revision INTEGER NOT NULL DEFAULT 0, -- bumped on each edit: iCalendar SEQUENCE
    coc_version TEXT,                   -- the code of conduct it was published under
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;

CREATE INDEX events_upcoming ON events (guild_id, state, starts_at);

CREATE TABLE event_rsvps (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('going', 'maybe', 'not_going')),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
) STRICT;

CREATE INDEX event_rsvps_state ON event_rsvps (event_id, state);

-- Members who do not want the 24-hour reminder DM.
CREATE TABLE event_reminder_optouts (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE event_grants (
    id INTEGER PRIMARY KEY,             -- the reference number the requester sees
    guild_id INTEGER NOT NULL,
    requester_id INTEGER NOT NULL,
    requester_locale TEXT,              -- for the decision DM
    event_id INTEGER REFERENCES events (id) ON DELETE SET NULL,
    event_text TEXT NOT NULL,           -- the event as typed (title when it matched an id)
    amount TEXT NOT NULL,               -- a decimal string, exact
    currency TEXT NOT NULL,             -- ISO 4217
    purpose TEXT NOT NULL,
    attendance INTEGER NOT NULL CHECK (attendance > 0),
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'needs_info', 'approved', 'rejected')),
    reviewer_id INTEGER,
    note TEXT,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX event_grants_state ON event_grants (guild_id, state, id);
CREATE INDEX event_grants_requester ON event_grants (guild_id, requester_id, id);

-- Every state change of a grant request, who made it, and when.
CREATE TABLE event_grant_audit (
    id INTEGER PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES event_grants (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT,
    at INTEGER NOT NULL
) STRICT;

CREATE INDEX event_grant_audit_grant ON event_grant_audit (grant_id, id);
