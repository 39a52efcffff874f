-- Core tables: per-guild settings, the scheduler's jobs, and the send outbox.
-- All times are UTC epoch seconds.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    language TEXT,
    announcements_channel_id INTEGER,
    questions_forum_id INTEGER,
    events_channel_id INTEGER,
    mentorship_channel_id INTEGER,
    helpers_channel_id INTEGER,
    log_channel_id INTEGER,
    organiser_role_id INTEGER,
    helper_role_id INTEGER,
    mentor_role_id INTEGER,
    grants_reviewer_role_id INTEGER,
    calendar_enabled INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

-- One row per timed piece of work. The row is the truth; APScheduler only wakes us.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,           -- logical identity, e.g. 'chats:reminder:12:24h'
    kind TEXT NOT NULL,                 -- handler name registered with the scheduler
    guild_id INTEGER,
    due_at INTEGER NOT NULL,
    catch_up_seconds INTEGER NOT NULL,  -- how late the job may still run after downtime
    payload TEXT NOT NULL DEFAULT '{}', -- JSON
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'done', 'missed', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

CREATE INDEX jobs_pending_due ON jobs (due_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_guild ON jobs (guild_id, state);

-- Every send that must not repeat. The key names the logical send; the nonce is
-- derived from it, so a resend after a crash carries the same nonce.
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    guild_id INTEGER,
    channel_id INTEGER,
    user_id INTEGER,
    nonce TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'failed')),
    message_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
) STRICT;

CREATE INDEX outbox_guild ON outbox (guild_id, state);
