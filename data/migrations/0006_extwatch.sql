-- Extension watch: each guild's watch list, and a shared cache of what PyPI, GitHub
-- and OSV said about each package. All times are UTC epoch seconds.

-- The guild's watch list. reported_status is the status the weekly post last
-- stated (or the first baseline): the weekly job posts only when it changes.
CREATE TABLE extwatch_watch (
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,               -- PEP 503 normalised name
    display_name TEXT NOT NULL,
    repo TEXT,                           -- 'owner/name' on GitHub
    notes TEXT NOT NULL DEFAULT '',
    reported_status TEXT
        CHECK (reported_status IN ('healthy', 'watch', 'at_risk')),
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, package)
) STRICT;

-- Guilds whose list was filled from data/extwatch/watchlist.toml once (a removal
-- of a seeded package then sticks).
CREATE TABLE extwatch_seeded (
    guild_id INTEGER PRIMARY KEY,
    seeded_at INTEGER NOT NULL
) STRICT;

-- Public data, shared by all guilds. data is the last GOOD extract (JSON); error is
-- set when the latest attempt failed, so the data is stale since fetched_at.
CREATE TABLE extwatch_snapshots (
    package TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('pypi', 'github', 'osv')),
    data TEXT,
    fetched_at INTEGER,
    attempted_at INTEGER NOT NULL,
    error TEXT,
    missing INTEGER NOT NULL DEFAULT 0,  -- the API said 404
    PRIMARY KEY (package, source)
) STRICT;

-- Open issues + pull requests at each good GitHub fetch, for "growing backlog".
CREATE TABLE extwatch_backlog (
    repo TEXT NOT NULL,
    sampled_at INTEGER NOT NULL,
    backlog INTEGER NOT NULL,
    PRIMARY KEY (repo, sampled_at)
) STRICT;

-- Conditional requests: the ETag and body of each GET, reused on 304.
CREATE TABLE extwatch_http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    stored_at INTEGER NOT NULL
) STRICT;
