-- Community chats: recurring series, their occurrences, interest, topics and votes.
-- All times are UTC epoch seconds; local rules (time of day, timezone) live on the series.

CREATE TABLE chat_series (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    cadence TEXT NOT NULL CHECK (cadence IN ('monthly', 'quarterly')),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- Monday = 0
    week INTEGER NOT NULL CHECK (week IN (-1, 1, 2, 3, 4)),    -- -1 = last
    local_time TEXT NOT NULL,                                   -- 'HH:MM'
    timezone TEXT NOT NULL,                                     -- IANA name
    month_phase INTEGER NOT NULL DEFAULT 0 CHECK (month_phase BETWEEN 0 AND 2),
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 720),
    location_kind TEXT NOT NULL CHECK (location_kind IN ('voice', 'stage', 'external')),
    channel_id INTEGER,
    location_url TEXT,
    lead_days INTEGER NOT NULL,
    reminder_hours TEXT NOT NULL DEFAULT '24,1',                -- hours before the start
    paused INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (guild_id, name)
) STRICT;

-- One row per dated chat of a series. slot_at is the regular start the recurrence
-- gave (the identity); starts_at moves when an organiser reschedules, and revision
-- goes up so timed work for the old time is never confused with the new.
CREATE TABLE chat_occurrences (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES chat_series (id) ON DELETE CASCADE,
    slot_at INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'open', 'skipped', 'paused', 'done')),
    revision INTEGER NOT NULL DEFAULT 0,
    event_id INTEGER,
    announcement_channel_id INTEGER,
    announcement_message_id INTEGER,
    voting_closed INTEGER NOT NULL DEFAULT 0,
    notes TEXT,
    notes_by INTEGER,
    notes_at INTEGER,
    notes_revision INTEGER NOT NULL DEFAULT 0,
    notes_thread_id INTEGER,
    UNIQUE (series_id, slot_at)
) STRICT;

CREATE INDEX chat_occurrences_upcoming ON chat_occurrences (guild_id, status, starts_at);

CREATE TABLE chat_interest (
    occurrence_id INTEGER NOT NULL REFERENCES chat_occurrences (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE chat_proposals (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    occurrence_id INTEGER NOT NULL REFERENCES chat_occurrences (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    pinned INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    channel_id INTEGER,
    message_id INTEGER,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX chat_proposals_occurrence ON chat_proposals (occurrence_id, removed);

CREATE TABLE chat_votes (
    proposal_id INTEGER NOT NULL REFERENCES chat_proposals (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
) STRICT, WITHOUT ROWID;
