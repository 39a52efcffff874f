-- Extension stewardship (issue 17). All times are UTC epoch seconds.

-- One source of truth per extension (and per Pallets library that has a forum tag):
-- what the extension watch watches and what question triage tags and escalates to.
-- Seeded per server from data/extwatch/watchlist.toml and data/triage/tags.toml
-- (bot/extensions.py), completed from GitHub's listing of the pallets-eco
-- organisation, and edited by organisers at run time.
CREATE TABLE extensions (
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,                 -- PEP 503 normalised PyPI name: the key
    display_name TEXT NOT NULL,
    repo TEXT,                             -- 'owner/name' on GitHub
    docs_url TEXT,
    tag TEXT,                              -- the forum tag (<= 20 characters); NULL: none
    keywords TEXT NOT NULL DEFAULT '[]',   -- JSON list of words that mean it
    patterns TEXT NOT NULL DEFAULT '[]',   -- JSON list of regular expressions
    kind TEXT NOT NULL DEFAULT 'extension' CHECK (kind IN ('extension', 'library')),
    pypi INTEGER NOT NULL DEFAULT 1,       -- published on PyPI (0: a repository only)
    watched INTEGER NOT NULL DEFAULT 1,    -- on the extension watch's list
    notes TEXT NOT NULL DEFAULT '',
    alternative TEXT,                      -- what to use instead when it is at risk
    min_caretakers INTEGER,                -- NULL: the default policy
    risks TEXT NOT NULL DEFAULT '[]',      -- JSON: what the watch last found wrong
    position INTEGER NOT NULL DEFAULT 0,   -- rule order for forum tags
    source TEXT NOT NULL DEFAULT 'seed' CHECK (source IN ('seed', 'org', 'organiser')),
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, package)
) STRICT;

CREATE INDEX extensions_repo ON extensions (guild_id, lower(repo));

-- Servers whose registry was filled from the shipped files.
CREATE TABLE extensions_seeded (
    guild_id INTEGER PRIMARY KEY,
    seeded_at INTEGER NOT NULL
) STRICT;

INSERT INTO extensions (guild_id, package, display_name, repo, notes, watched,
                        added_by, added_at, position, source)
SELECT guild_id, package, display_name, repo, notes, 1, added_by, added_at, 500,
       CASE WHEN added_by IS NULL THEN 'seed' ELSE 'organiser' END
FROM extwatch_watch;

-- A server that removed a shipped extension from its watch list keeps it removed:
-- the entries of the watch list shipped until now, missing from such a server's
-- list, come back unwatched (their forum tags still work).
WITH shipped (package, display_name, repo) AS (VALUES
    ('flask-sqlalchemy', 'Flask-SQLAlchemy', 'pallets-eco/flask-sqlalchemy'),
    ('flask-login', 'Flask-Login', 'maxcountryman/flask-login'),
    ('flask-wtf', 'Flask-WTF', 'pallets-eco/flask-wtf'),
    ('flask-migrate', 'Flask-Migrate', 'miguelgrinberg/Flask-Migrate'),
    ('flask-admin', 'Flask-Admin', 'pallets-eco/flask-admin'),
    ('flask-security-too', 'Flask-Security-Too', 'pallets-eco/flask-security'),
    ('flask-security', 'Flask-Security', 'mattupstate/flask-security'),
    ('flask-mail', 'Flask-Mail', 'pallets-eco/flask-mail'),
    ('flask-caching', 'Flask-Caching', 'pallets-eco/flask-caching'),
    ('flask-debugtoolbar', 'Flask-DebugToolbar', 'pallets-eco/flask-debugtoolbar'),
    ('flask-cors', 'Flask-Cors', 'corydolphin/flask-cors'),
    ('flask-restful', 'Flask-RESTful', 'flask-restful/flask-restful'),
    ('flask-babel', 'Flask-Babel', 'python-babel/flask-babel'),
    ('flask-limiter', 'Flask-Limiter', 'alisaifee/flask-limiter'),
    ('flask-socketio', 'Flask-SocketIO', 'miguelgrinberg/Flask-SocketIO'),
    ('flask-session', 'Flask-Session', 'pallets-eco/flask-session'),
    ('flask-principal', 'Flask-Principal', 'pallets-eco/flask-principal'),
    ('flask-marshmallow', 'Flask-Marshmallow', 'marshmallow-code/flask-marshmallow'),
    ('flask-jwt-extended', 'Flask-JWT-Extended', 'vimalloc/flask-jwt-extended'),
    ('flask-httpauth', 'Flask-HTTPAuth', 'miguelgrinberg/Flask-HTTPAuth'),
    ('flask-bcrypt', 'Flask-Bcrypt', 'maxcountryman/flask-bcrypt'),
    ('flask-talisman', 'Flask-Talisman', 'wntrblm/flask-talisman'),
    ('flask-restx', 'Flask-RESTX', 'python-restx/flask-restx'),
    ('flask-smorest', 'flask-smorest', 'marshmallow-code/flask-smorest')
)
INSERT INTO extensions (guild_id, package, display_name, repo, watched, added_at,
                        position, source)
SELECT seeded.guild_id, shipped.package, shipped.display_name, shipped.repo, 0,
       seeded.seeded_at, 500, 'seed'
FROM extwatch_seeded AS seeded CROSS JOIN shipped
WHERE NOT EXISTS (
    SELECT 1 FROM extwatch_watch AS w
    WHERE w.guild_id = seeded.guild_id AND w.package = shipped.package
);

-- The status the weekly post last stated (or the first baseline), per server.
CREATE TABLE extwatch_reported (
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('healthy', 'watch', 'at_risk')),
    PRIMARY KEY (guild_id, package)
) STRICT;

INSERT INTO extwatch_reported (guild_id, package, status)
SELECT guild_id, package, reported_status FROM extwatch_watch
WHERE reported_status IS NOT NULL;

DROP TABLE extwatch_watch;

-- The cache gains a source: who committed and released lately (for caretakers).
CREATE TABLE extwatch_snapshots_new (
    package TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('pypi', 'github', 'osv', 'activity')),
    data TEXT,
    fetched_at INTEGER,
    attempted_at INTEGER NOT NULL,
    error TEXT,
    missing INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (package, source)
) STRICT;
INSERT INTO extwatch_snapshots_new SELECT * FROM extwatch_snapshots;
DROP TABLE extwatch_snapshots;
ALTER TABLE extwatch_snapshots_new RENAME TO extwatch_snapshots;

-- Caretakers: who looks after an extension, in which role, since when.
-- confirmed_at: when they last said (asked by DM) that they are still in.
-- asked_at: when the bot last asked; left_at: when they stepped down.
CREATE TABLE ext_caretakers (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    github TEXT,
    role TEXT NOT NULL CHECK (role IN ('lead', 'maintainer', 'triager')),
    since INTEGER NOT NULL,
    added_by INTEGER,
    confirmed_at INTEGER,
    asked_at INTEGER,
    left_at INTEGER
) STRICT;

CREATE UNIQUE INDEX ext_caretakers_current
    ON ext_caretakers (guild_id, package, user_id) WHERE left_at IS NULL;

-- Offers of help (/ext volunteer), decided by organisers.
CREATE TABLE ext_offers (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    github TEXT,
    help TEXT NOT NULL CHECK (help IN ('maintain', 'triage', 'review', 'docs', 'release')),
    hours TEXT NOT NULL,                   -- how much time: a choice, worded on display
    channel_id INTEGER,                    -- where they asked (the fallback when DMs are closed)
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'accepted', 'declined')),
    decided_by INTEGER,
    decided_at INTEGER,
    created_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX ext_offers_pending
    ON ext_offers (guild_id, package, user_id) WHERE state = 'pending';

-- Members who follow an extension (/ext follow).
CREATE TABLE ext_followers (
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (guild_id, package, user_id)
) STRICT;

CREATE INDEX ext_followers_user ON ext_followers (guild_id, user_id);

-- Each risk the watch raised about an extension, from when it appeared until it
-- cleared: one row per change, so followers and the public channel hear once.
CREATE TABLE ext_alerts (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    flag TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',     -- JSON: what the wording needs
    raised_at INTEGER NOT NULL,
    cleared_at INTEGER,
    announced INTEGER NOT NULL DEFAULT 1   -- 0: part of a baseline, not told
) STRICT;

CREATE UNIQUE INDEX ext_alerts_open
    ON ext_alerts (guild_id, package, flag) WHERE cleared_at IS NULL;

-- Extensions whose risks were assessed once: the first assessment is a baseline,
-- recorded silently, as the weekly post's first statuses are.
CREATE TABLE ext_alert_baseline (
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (guild_id, package)
) STRICT;

-- Adoption of an extension from outside pallets-eco: the case and its steps.
CREATE TABLE ext_adoptions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    opened_by INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'dropped')),
    closed_at INTEGER
) STRICT;

CREATE UNIQUE INDEX ext_adoptions_open
    ON ext_adoptions (guild_id, package) WHERE state = 'open';

CREATE TABLE ext_adoption_steps (
    adoption_id INTEGER NOT NULL REFERENCES ext_adoptions (id),
    step TEXT NOT NULL,
    done_by INTEGER NOT NULL,
    done_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (adoption_id, step)
) STRICT;

-- The newest version seen of Flask, Werkzeug and Jinja (for "new release" posts).
CREATE TABLE ext_core_releases (
    package TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    seen_at INTEGER NOT NULL
) STRICT;

-- Where members read about extensions at risk (set with /setup channels).
ALTER TABLE guild_settings ADD COLUMN extensions_channel_id INTEGER;
