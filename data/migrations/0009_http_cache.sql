-- Conditional requests belong to the core now: the GitHub client (bot/github.py) and
-- the extension watch's PyPI/OSV client share one cache of validators and bodies,
-- keyed by URL, that survives restarts. The extension watch's table becomes it, with
-- Last-Modified beside the ETag (either may be missing: GitHub sends both, some
-- servers only one).
CREATE TABLE http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    body TEXT NOT NULL,                  -- the decoded answer, as JSON text
    link TEXT,                           -- the Link header (or the next page's URL)
    stored_at INTEGER NOT NULL
) STRICT;

INSERT INTO http_cache (url, etag, last_modified, body, link, stored_at)
SELECT url, etag, NULL, body, link, stored_at FROM extwatch_http_cache;

DROP TABLE extwatch_http_cache;
