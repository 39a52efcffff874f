-- The community's public pages (issue 20): what each server publishes outside
-- Discord, who agreed to be named there, and who took their content off.

-- Per server: the pages at all (extension health, what's coming), the solved
-- questions (off until an organiser turns them on), and whether search engines may
-- index the pages (noindex until the organiser says so).
ALTER TABLE guild_settings ADD COLUMN pages_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN pages_questions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN pages_indexable INTEGER NOT NULL DEFAULT 0;

-- A member's choices about the public pages of a server. name is the name they
-- agreed to show (set when they opt in, NULL otherwise); removed_at is set while
-- their questions and answers are kept off the pages.
CREATE TABLE page_members (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT,
    removed_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- Who wrote the message marked as a question's solution (the person credited may be
-- someone else): their consent decides whether the answer is named or shown. Before
-- this column, the credited helper was the answer's author unless a helper was named.
ALTER TABLE triage_questions ADD COLUMN answer_author_id INTEGER;
UPDATE triage_questions SET answer_author_id = helper_id
WHERE answer_message_id IS NOT NULL;
