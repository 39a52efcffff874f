-- Exactly once past Discord's nonce window, and poison jobs (issue 16).

-- A job claimed as many times as the scheduler allows without ever finishing (it
-- stopped the bot each time: a crash, an out-of-memory kill) becomes 'dead': it is
-- never claimed again, and organisers are told. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt with the same columns and indexes,
-- and one more: planned_at, when the job was due as scheduled. A retry moves due_at
-- (when to wake next) but not planned_at, so what a handler derives from its due
-- time (a send's key, the next date in a series) is the same on every try.
CREATE TABLE jobs_new (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    guild_id INTEGER,
    due_at INTEGER NOT NULL,
    catch_up_seconds INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN (
            'pending', 'running', 'done', 'missed', 'failed', 'cancelled', 'dead'
        )),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    planned_at INTEGER  -- NULL: due_at is still when it was due as scheduled
) STRICT;

INSERT INTO jobs_new (
    id, key, kind, guild_id, due_at, catch_up_seconds, payload, state, attempts,
    last_error, created_at, finished_at, planned_at
)
SELECT
    id, key, kind, guild_id, due_at, catch_up_seconds, payload, state, attempts,
    last_error, created_at, finished_at, due_at
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

CREATE INDEX jobs_pending_due ON jobs (due_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_guild ON jobs (guild_id, state);
CREATE INDEX jobs_state_due ON jobs (state, due_at);

-- The outbox learns what it needs to reconcile. Discord deduplicates a nonce for a
-- few minutes only; a resend later than that is checked against the channel first
-- (see bot/outbox.py):
--   kind              what the send makes: a channel message, a DM, a Discord
--                     scheduled event or a thread (message_id then holds the
--                     event's or thread's id)
--   job_key           the job that will finish this send if it is interrupted (NULL:
--                     a member's action; the outbox retries those itself)
--   first_attempt_at  when the earliest try that may have reached Discord was made
--   after_id          where in the channel to look: a snowflake from just before that
--                     try; the bot's messages after it are candidates
--   request           what was sent (JSON), so a send can be finished without the
--                     code that started it
--   fingerprints      what each try looked like (JSON list), to recognise it
--   adopted           1 when the message was found in the channel, not posted again
--   retry             1 on a failed send that may be tried again by a later call with
--                     its key (Discord trouble, or its work stopped); 0 when Discord
--                     refused it (no permission, gone)
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'dm', 'event', 'thread'));
ALTER TABLE outbox ADD COLUMN job_key TEXT;
ALTER TABLE outbox ADD COLUMN first_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN after_id INTEGER;
ALTER TABLE outbox ADD COLUMN request TEXT;
ALTER TABLE outbox ADD COLUMN fingerprints TEXT NOT NULL DEFAULT '[]';
ALTER TABLE outbox ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;

UPDATE outbox SET first_attempt_at = created_at WHERE state = 'pending';

-- "Is this message already some other send's?" while reconciling, and the sends
-- still open at start-up and when a job finishes.
CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbox_pending ON outbox (job_key) WHERE state = 'pending';
