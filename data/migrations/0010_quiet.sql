-- Members the bot could not reach by DM (their DMs are closed to the server), so
-- that the member is told once, in their next reply from the bot, and organisers
-- can see how many there are. A DM that gets through again removes the row.
CREATE TABLE unreachable_members (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    since INTEGER NOT NULL,             -- the first failed DM of this closure
    last_failed_at INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 1,
    told_at INTEGER,                    -- when the member was told; NULL: not yet
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE INDEX unreachable_members_untold ON unreachable_members (guild_id)
    WHERE told_at IS NULL;
