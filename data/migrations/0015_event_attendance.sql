-- Events: reminders chosen per event, a capacity with a waitlist, and Discord's own
-- "Interested" on an event's Discord event counted as going.

-- Minutes before the start, comma separated ('' for none): a DM to the members
-- going, and a post in the events channel. The defaults are what every event had.
ALTER TABLE events ADD COLUMN dm_reminders TEXT NOT NULL DEFAULT '1440';
ALTER TABLE events ADD COLUMN post_reminders TEXT NOT NULL DEFAULT '60';
-- The most members going (NULL: no limit); the others wait in line.
ALTER TABLE events ADD COLUMN capacity INTEGER CHECK (capacity IS NULL OR capacity > 0);

-- The answer came from Discord's Interested: only un-marking it there takes it away.
ALTER TABLE event_rsvps ADD COLUMN via_discord INTEGER NOT NULL DEFAULT 0;

-- Members waiting for a place, in the order they asked for one (id). A member is
-- either here or answered Going, never both.
CREATE TABLE event_waitlist (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    via_discord INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    UNIQUE (event_id, user_id)
) STRICT;

CREATE INDEX event_waitlist_order ON event_waitlist (event_id, id);
