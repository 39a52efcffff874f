-- Timezones (issue 19): the server's default zone, and each member's own zone in a
-- server (/timezone set). Commands that need a zone use the member's, else the
-- server's, when the member gives none. IANA keys, e.g. 'Europe/Paris'.

ALTER TABLE guild_settings ADD COLUMN timezone TEXT;

CREATE TABLE member_timezones (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
