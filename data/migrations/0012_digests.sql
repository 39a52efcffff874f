-- Digests that post only when something changed since the last one.

-- The helpers' questions digest of each guild: when it is due (local time, days of
-- the week, '0' = Monday, in an IANA timezone; NULL: the server's, else UTC), and
-- what the last one saw.
CREATE TABLE triage_digest (
    guild_id INTEGER PRIMARY KEY,
    local_time TEXT NOT NULL DEFAULT '09:00',
    days TEXT NOT NULL DEFAULT '0123456',
    timezone TEXT,
    last_at INTEGER,            -- when the last digest was posted (its due time)
    last_unanswered INTEGER     -- open questions nobody had answered then
) STRICT;

-- The mentoring digest: a fingerprint of the waiting requests the last one listed
-- (their ids and how long each had waited), so an identical week posts nothing.
ALTER TABLE mentor_settings ADD COLUMN digest_fingerprint TEXT;
ALTER TABLE mentor_settings ADD COLUMN digest_at INTEGER;
