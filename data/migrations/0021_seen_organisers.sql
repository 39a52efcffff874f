-- The organisers the bot has seen use it (issue 16, hole 12). Without the members
-- intent an organiser role lists no members, so a new mentoring pair's private thread
-- got no organisers. The bot remembers who used it with the organiser role, checks
-- each still holds it when a thread is made, and adds them.
CREATE TABLE seen_organisers (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
