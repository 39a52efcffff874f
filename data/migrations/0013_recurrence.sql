-- One recurrence for chats and events (bot/recurrence.py): chat series may repeat
-- weekly or fortnightly as well as monthly and quarterly.
--
-- SQLite cannot change a CHECK constraint in place, and rebuilding chat_series would
-- cascade-delete its occurrences (foreign keys are on while migrations run). A column
-- that carries its own CHECK can be dropped, though, so each constrained column is
-- replaced by a new one with the wider CHECK, under the same name.

ALTER TABLE chat_series ADD COLUMN cadence_new TEXT NOT NULL DEFAULT 'monthly'
    CHECK (cadence_new IN ('weekly', 'fortnightly', 'monthly', 'quarterly'));
UPDATE chat_series SET cadence_new = cadence;
ALTER TABLE chat_series DROP COLUMN cadence;
ALTER TABLE chat_series RENAME COLUMN cadence_new TO cadence;

-- The week of the month means nothing to a weekly series.
ALTER TABLE chat_series ADD COLUMN week_new INTEGER
    CHECK (week_new IS NULL OR week_new IN (-1, 1, 2, 3, 4));    -- -1 = last
UPDATE chat_series SET week_new = week;
ALTER TABLE chat_series DROP COLUMN week;
ALTER TABLE chat_series RENAME COLUMN week_new TO week;

-- The local date of a fortnightly series' first chat: its weeks count from there.
ALTER TABLE chat_series ADD COLUMN anchor TEXT;                 -- 'YYYY-MM-DD'

-- Discord's own "Interested" on a chat's Discord event counts as interest: the row
-- says so, and only un-marking it in Discord takes it away (one list, not two).
ALTER TABLE chat_interest ADD COLUMN via_discord INTEGER NOT NULL DEFAULT 0;
