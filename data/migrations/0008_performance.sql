-- Performance at the size of a big community (issue #10): indexes for the hot queries
-- whose plans scanned a big table or sorted in a temporary b-tree, and a search index
-- that holds only what search returns. tests/test_query_plans.py checks the plans.

-- Similar-question search only ever returns solved questions, so the full-text index
-- holds only those: a third of the rows, no filtering of matches after the fact, and
-- document frequencies that describe what is searched. The triggers keep it in step
-- with the state: a row enters when it becomes solved and leaves when it stops being
-- solved (reopened, closed, deleted), always with the text it was indexed with.
DROP TRIGGER triage_questions_fts_insert;
DROP TRIGGER triage_questions_fts_delete;
DROP TRIGGER triage_questions_fts_update;
DROP TABLE triage_fts;

CREATE VIRTUAL TABLE triage_fts USING fts5 (
    title, body, solution,
    content = 'triage_questions', content_rowid = 'thread_id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO triage_fts (rowid, title, body, solution)
SELECT thread_id, title, body, solution FROM triage_questions WHERE state = 'solved';

CREATE TRIGGER triage_fts_insert AFTER INSERT ON triage_questions
WHEN new.state = 'solved' BEGIN
    INSERT INTO triage_fts (rowid, title, body, solution)
    VALUES (new.thread_id, new.title, new.body, new.solution);
END;

CREATE TRIGGER triage_fts_delete AFTER DELETE ON triage_questions
WHEN old.state = 'solved' BEGIN
    INSERT INTO triage_fts (triage_fts, rowid, title, body, solution)
    VALUES ('delete', old.thread_id, old.title, old.body, old.solution);
END;

CREATE TRIGGER triage_fts_update
AFTER UPDATE OF title, body, solution, state ON triage_questions
WHEN old.state = 'solved' OR new.state = 'solved' BEGIN
    INSERT INTO triage_fts (triage_fts, rowid, title, body, solution)
    SELECT 'delete', old.thread_id, old.title, old.body, old.solution
    WHERE old.state = 'solved';
    INSERT INTO triage_fts (rowid, title, body, solution)
    SELECT new.thread_id, new.title, new.body, new.solution
    WHERE new.state = 'solved';
END;

-- Triage: the digest's "new today", /triage stats over a window (covering: counted
-- without reading the rows), the helpers' queue and the digest's unanswered list.
CREATE INDEX triage_questions_created
    ON triage_questions (guild_id, created_at, state, first_response_at, solved_at);
-- The partial indexes carry the columns of their WHERE so that counting the queue
-- reads the index alone; the queries name them (INDEXED BY), since without
-- statistics the planner prefers the wider (guild_id, state) index.
CREATE INDEX triage_questions_queue
    ON triage_questions (
        guild_id, created_at, thread_id, state, first_response_at, needs_help
    ) WHERE state = 'open' AND (first_response_at IS NULL OR needs_help = 1);
CREATE INDEX triage_questions_unanswered
    ON triage_questions (guild_id, created_at, state, first_response_at)
    WHERE state = 'open' AND first_response_at IS NULL;
-- Top helpers over a week: counted from the index alone.
DROP INDEX triage_questions_solved;
CREATE INDEX triage_questions_solved
    ON triage_questions (guild_id, solved_at, state, helper_id)
    WHERE solved_at IS NOT NULL;

-- Events: "upcoming" is "not ended yet"; ordering by the end finds them without
-- walking every past event of the guild.
CREATE INDEX events_ending ON events (guild_id, state, ends_at);
CREATE INDEX events_unannounced ON events (starts_at)
    WHERE state = 'published' AND message_id IS NULL;

-- Mentorship: the stats' waits, first claim per request, in request order.
CREATE INDEX mentor_pairings_request ON mentor_pairings (guild_id, request_id, claimed_at);
-- Mentorship stats: active and ended pairs counted by state, not by walking them all.
CREATE INDEX mentor_pairings_state ON mentor_pairings (guild_id, state);

-- Chats: history walks a guild's occurrences newest first.
CREATE INDEX chat_occurrences_started ON chat_occurrences (guild_id, starts_at);

-- Scheduler: start-up and the rolling window read pending jobs by due time; the
-- partial index of 0001 cannot serve "state = 'pending'" (SQLite does not prove it
-- implies "state IN ('pending', 'running')"), so each read scanned every job ever run.
CREATE INDEX jobs_state_due ON jobs (state, due_at);

-- Mentorship: every change to the open queue, so the in-memory queue index (see
-- cogs/mentorship/_queries.py) re-reads only the requests that changed. The triggers
-- run in the writing transaction, so a rolled-back change leaves no entry; the log
-- keeps the last 10,000 changes (an index that fell further behind reloads).
CREATE TABLE mentor_queue_changes (
    seq INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER mentor_queue_insert AFTER INSERT ON mentor_requests BEGIN
    INSERT INTO mentor_queue_changes (guild_id, request_id) VALUES (new.guild_id, new.id);
    DELETE FROM mentor_queue_changes
    WHERE seq <= (SELECT max(seq) FROM mentor_queue_changes) - 10000;
END;

CREATE TRIGGER mentor_queue_update
AFTER UPDATE OF state, topics, languages, timezone, mentee_id, created_at, guild_id
ON mentor_requests BEGIN
    INSERT INTO mentor_queue_changes (guild_id, request_id) VALUES (old.guild_id, old.id);
    INSERT INTO mentor_queue_changes (guild_id, request_id)
    SELECT new.guild_id, new.id WHERE new.guild_id != old.guild_id;
    DELETE FROM mentor_queue_changes
    WHERE seq <= (SELECT max(seq) FROM mentor_queue_changes) - 10000;
END;

CREATE TRIGGER mentor_queue_delete AFTER DELETE ON mentor_requests BEGIN
    INSERT INTO mentor_queue_changes (guild_id, request_id) VALUES (old.guild_id, old.id);
    DELETE FROM mentor_queue_changes
    WHERE seq <= (SELECT max(seq) FROM mentor_queue_changes) - 10000;
END;
