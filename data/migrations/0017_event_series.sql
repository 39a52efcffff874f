-- Events: repeat rules, what comes after an event, and events members submit.

-- A repeating event: each date is an event of its own (its own RSVPs, reminders and
-- Discord event), made when the one before it ends. The rule is bot.recurrence's
-- RRULE text, read in the series' own zone from its first local date.
CREATE TABLE event_series (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    rule TEXT NOT NULL,
    at TEXT NOT NULL,                   -- local start time, HH:MM
    timezone TEXT NOT NULL,
    anchor TEXT NOT NULL,               -- the first local date, YYYY-MM-DD
    stopped INTEGER NOT NULL DEFAULT 0, -- no more dates after the current one
    created_at INTEGER NOT NULL
) STRICT;

ALTER TABLE events ADD COLUMN series_id INTEGER REFERENCES event_series (id);
CREATE UNIQUE INDEX events_series_start ON events (series_id, starts_at)
    WHERE series_id IS NOT NULL;

-- After the event: what the organiser shares.
ALTER TABLE events ADD COLUMN recording_url TEXT;
ALTER TABLE events ADD COLUMN slides_url TEXT;

-- A member's submission (NULL for an organiser's own event): waiting for an
-- organiser, approved (then published) or declined with a reason.
ALTER TABLE events ADD COLUMN review TEXT
    CHECK (review IS NULL OR review IN ('pending', 'approved', 'declined'));
ALTER TABLE events ADD COLUMN review_reason TEXT;
ALTER TABLE events ADD COLUMN reviewer_id INTEGER;

-- What members who went thought of it (one answer each, the last kept).
CREATE TABLE event_feedback (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
) STRICT;
