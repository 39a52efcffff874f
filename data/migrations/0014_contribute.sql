-- Contributing (issue 18): GitHub references, newcomer issues and claims, sprint
-- boards, Code-In style tasks, release announcements, the start-here message,
-- volunteers and recognition. All times are UTC epoch seconds.

-- The role members opt in to for release announcements, and the start-here message.
ALTER TABLE guild_settings ADD COLUMN release_role_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN start_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN start_message_id INTEGER;

-- What organisers chose for contributing in their server.
CREATE TABLE contribute_settings (
    guild_id INTEGER PRIMARY KEY,
    claim_days INTEGER NOT NULL DEFAULT 14 CHECK (claim_days BETWEEN 1 AND 90),
    -- GitHub owners besides pallets and pallets-eco whose references get an answer,
    -- space-separated, lower case.
    extra_owners TEXT NOT NULL DEFAULT '',
    -- 1 once the server used what GitHub says (issues, claims, boards, releases):
    -- from then on the bot polls GitHub; tasks alone never do.
    uses_github INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

-- Newcomer labels of one kind for one repository, when organisers changed them.
CREATE TABLE contribute_labels (
    guild_id INTEGER NOT NULL,
    repo TEXT NOT NULL,                 -- owner/name, lower case
    kind TEXT NOT NULL CHECK (kind IN ('first', 'help', 'docs')),
    labels TEXT NOT NULL,               -- JSON list, lower case
    PRIMARY KEY (guild_id, repo, kind)
) STRICT;

-- Open newcomer issues as GitHub's search last listed them (the same for every
-- server: GitHub's data), refreshed by the poll.
CREATE TABLE contribute_issues (
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    labels TEXT NOT NULL,               -- JSON list, lower case
    author TEXT NOT NULL,
    assignees TEXT NOT NULL,            -- JSON list of logins
    url TEXT NOT NULL,
    updated_at INTEGER NOT NULL,        -- GitHub's last activity
    seen_at INTEGER NOT NULL,           -- the poll that last listed it
    PRIMARY KEY (repo, number)
) STRICT;

CREATE INDEX contribute_issues_updated ON contribute_issues (updated_at DESC);

-- A member on an issue. One active claim per issue and server.
CREATE TABLE contribute_claims (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    sprint_id INTEGER,                  -- the sprint board it was claimed on
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'released', 'expired', 'merged', 'closed')),
    pr_repo TEXT,                       -- the pull request that refers to the issue
    pr_number INTEGER,
    pr_url TEXT,
    pr_state TEXT CHECK (pr_state IN ('open', 'closed', 'merged')),
    claimed_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,        -- without a pull request by then, it lapses
    ended_at INTEGER
) STRICT;

CREATE UNIQUE INDEX contribute_claims_one_active
    ON contribute_claims (guild_id, repo, number) WHERE state = 'active';
CREATE INDEX contribute_claims_user ON contribute_claims (guild_id, user_id, state);
CREATE INDEX contribute_claims_state ON contribute_claims (state, repo, number);
CREATE INDEX contribute_claims_sprint ON contribute_claims (sprint_id, state);
CREATE INDEX contribute_claims_ended ON contribute_claims (guild_id, state, ended_at);

-- Members who want no public thanks (merge shout-outs, the monthly post).
CREATE TABLE contribute_quiet (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- A sprint event's board: the issues maintainers picked, and its message.
CREATE TABLE contribute_boards (
    event_id INTEGER PRIMARY KEY,       -- the sprint (events.id)
    guild_id INTEGER NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,
    wrapped_at INTEGER                  -- the closing post went out
) STRICT;

CREATE TABLE contribute_board_issues (
    event_id INTEGER NOT NULL REFERENCES contribute_boards (event_id) ON DELETE CASCADE,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    picked_by INTEGER NOT NULL,
    picked_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, repo, number)
) STRICT;

-- Attendees asking for a mentor on duty, and who answered.
CREATE TABLE contribute_help_calls (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    note TEXT NOT NULL,
    asked_at INTEGER NOT NULL,
    answered_by INTEGER,
    answered_at INTEGER
) STRICT;

CREATE INDEX contribute_help_calls_answered
    ON contribute_help_calls (guild_id, answered_by, answered_at);

-- Tasks that are not GitHub issues, each with a mentor (Code-In style).
CREATE TABLE contribute_tasks (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('docs', 'translation', 'triage', 'review', 'other')),
    mentor_id INTEGER NOT NULL,
    posted_by INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'claimed', 'submitted', 'done', 'withdrawn')),
    claimant_id INTEGER,
    link TEXT,
    feedback TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER
) STRICT;

CREATE INDEX contribute_tasks_state ON contribute_tasks (guild_id, state, id);
CREATE INDEX contribute_tasks_done ON contribute_tasks (guild_id, completed_at)
    WHERE state = 'done';

-- Releases the bot has seen; the first poll records without announcing.
CREATE TABLE contribute_releases (
    repo TEXT NOT NULL,
    version TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('github', 'pypi')),
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (repo, version)
) STRICT;

-- Offers to help (question helper) or care for an extension, decided by organisers.
CREATE TABLE contribute_volunteers (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('helper', 'caretaker')),
    extension TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'declined')),
    decided_by INTEGER,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
) STRICT;

CREATE UNIQUE INDEX contribute_volunteers_one_pending
    ON contribute_volunteers (guild_id, user_id, kind, extension)
    WHERE state = 'pending';
