-- Question triage: the questions forum's posts, their tags, helper credit, closes,
-- escalations and helpers' extra tag rules. All times are UTC epoch seconds.

-- One row per forum post; thread_id is the rowid so the FTS index can point at it.
CREATE TABLE triage_questions (
    thread_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    forum_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',          -- truncated for storage and search
    solution TEXT NOT NULL DEFAULT '',      -- the answer's text once solved
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'solved', 'closed', 'deleted')),
    created_at INTEGER NOT NULL,
    starter_message_id INTEGER,             -- set once the starter was handled
    bot_tags TEXT NOT NULL DEFAULT '[]',    -- JSON: forum tag ids the bot applied
    first_response_at INTEGER,
    first_responder_id INTEGER,
    last_helper_id INTEGER,                 -- last person other than the asker to reply
    last_asker_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    thanks_offered INTEGER NOT NULL DEFAULT 0,
    needs_help INTEGER NOT NULL DEFAULT 0,  -- "Still need help" after a nudge
    solved_at INTEGER,
    solved_by_id INTEGER,                   -- who decided it was solved
    helper_id INTEGER,                      -- who is credited for the answer
    answer_message_id INTEGER,
    closed_at INTEGER,
    closed_by_id INTEGER,
    close_reason TEXT,
    close_link TEXT,
    close_note TEXT
) STRICT;

CREATE INDEX triage_questions_guild_state ON triage_questions (guild_id, state, created_at);
CREATE INDEX triage_questions_solved ON triage_questions (guild_id, solved_at)
    WHERE solved_at IS NOT NULL;

-- Library tags per question (names, as in the rules file), for the queue filter and stats.
CREATE TABLE triage_question_tags (
    thread_id INTEGER NOT NULL REFERENCES triage_questions (thread_id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (thread_id, tag)
) STRICT;

CREATE INDEX triage_question_tags_tag ON triage_question_tags (tag, thread_id);

-- Search over titles, bodies and solutions, reading the text from triage_questions.
CREATE VIRTUAL TABLE triage_fts USING fts5 (
    title, body, solution,
    content = 'triage_questions', content_rowid = 'thread_id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER triage_questions_fts_insert AFTER INSERT ON triage_questions BEGIN
    INSERT INTO triage_fts (rowid, title, body, solution)
    VALUES (new.thread_id, new.title, new.body, new.solution);
END;

CREATE TRIGGER triage_questions_fts_delete AFTER DELETE ON triage_questions BEGIN
    INSERT INTO triage_fts (triage_fts, rowid, title, body, solution)
    VALUES ('delete', old.thread_id, old.title, old.body, old.solution);
END;

CREATE TRIGGER triage_questions_fts_update
AFTER UPDATE OF title, body, solution ON triage_questions BEGIN
    INSERT INTO triage_fts (triage_fts, rowid, title, body, solution)
    VALUES ('delete', old.thread_id, old.title, old.body, old.solution);
    INSERT INTO triage_fts (rowid, title, body, solution)
    VALUES (new.thread_id, new.title, new.body, new.solution);
END;

-- "New issue" links helpers built for a question (/triage escalate).
CREATE TABLE triage_escalations (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    thread_id INTEGER NOT NULL REFERENCES triage_questions (thread_id) ON DELETE CASCADE,
    repo TEXT NOT NULL,
    url TEXT NOT NULL,
    created_by_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX triage_escalations_thread ON triage_escalations (thread_id);

-- Keyword rules helpers add on top of the shipped data/triage/tags.toml.
CREATE TABLE triage_tag_rules (
    guild_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    keyword TEXT NOT NULL,
    created_by_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, tag, keyword)
) STRICT;
