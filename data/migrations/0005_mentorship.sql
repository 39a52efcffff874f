-- Mentorship: mentor profiles, mentee requests, pairings, check-ins, feedback.
-- Topics and languages are stored as JSON arrays of lowercase slugs.

CREATE TABLE mentor_profiles (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    languages TEXT NOT NULL DEFAULT '[]',
    timezone TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 0 AND 10),
    available INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE mentor_requests (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    mentee_id INTEGER NOT NULL,
    topics TEXT NOT NULL,
    goal TEXT NOT NULL,
    timezone TEXT NOT NULL,
    languages TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'claimed', 'cancelled', 'ended')),
    created_at INTEGER NOT NULL,
    release_note TEXT,
    closed_at INTEGER
) STRICT;

-- One live request (open or being mentored) per member.
CREATE UNIQUE INDEX mentor_requests_one_live
    ON mentor_requests (guild_id, mentee_id) WHERE state IN ('open', 'claimed');
CREATE INDEX mentor_requests_open ON mentor_requests (guild_id, state, created_at);

CREATE TABLE mentor_pairings (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL REFERENCES mentor_requests (id),
    mentor_id INTEGER NOT NULL,
    mentee_id INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'released', 'ended')),
    thread_id INTEGER,
    claimed_at INTEGER NOT NULL,
    closed_at INTEGER,
    note TEXT
) STRICT;

-- A request has at most one active pairing; capacity counts active pairings.
CREATE UNIQUE INDEX mentor_pairings_one_active
    ON mentor_pairings (request_id) WHERE state = 'active';
CREATE INDEX mentor_pairings_mentor ON mentor_pairings (guild_id, mentor_id, state);
CREATE INDEX mentor_pairings_mentee ON mentor_pairings (guild_id, mentee_id, state);

-- One row per check-in prompt sent, one per member's answer to it.
CREATE TABLE mentor_checkins (
    pairing_id INTEGER NOT NULL REFERENCES mentor_pairings (id),
    seq INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (pairing_id, seq)
) STRICT;

CREATE TABLE mentor_checkin_answers (
    pairing_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('going_well', 'need_help')),
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (pairing_id, seq, user_id),
    FOREIGN KEY (pairing_id, seq) REFERENCES mentor_checkins (pairing_id, seq)
) STRICT;

CREATE TABLE mentor_feedback (
    pairing_id INTEGER NOT NULL REFERENCES mentor_pairings (id),
    user_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (pairing_id, user_id)
) STRICT;

CREATE TABLE mentor_settings (
    guild_id INTEGER PRIMARY KEY,
    checkin_days INTEGER NOT NULL DEFAULT 14 CHECK (checkin_days BETWEEN 1 AND 90)
) STRICT;

-- A proposed cohort assignment, kept until an organiser confirms it.
CREATE TABLE mentor_match_proposals (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    pairs TEXT NOT NULL,  -- JSON [[request_id, mentor_id], ...]
    state TEXT NOT NULL DEFAULT 'proposed'
        CHECK (state IN ('proposed', 'confirmed'))
) STRICT;
