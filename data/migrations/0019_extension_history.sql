-- The history of each watched extension's status, per server (issue 20): the public
-- pages show it per extension, and the Atom feed of status changes reads it. A row is
-- added when a check finds a status other than the last one recorded (the first
-- check records the first status: previous is NULL). reasons is the JSON list of the
-- reasons the check found ({"code", "status", "values"}), worded when shown.
CREATE TABLE extwatch_history (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    package TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('healthy', 'watch', 'at_risk')),
    previous TEXT CHECK (previous IN ('healthy', 'watch', 'at_risk')),
    reasons TEXT NOT NULL DEFAULT '[]',
    changed_at INTEGER NOT NULL
) STRICT;

CREATE INDEX extwatch_history_package
    ON extwatch_history (guild_id, package, changed_at);
CREATE INDEX extwatch_history_changes
    ON extwatch_history (guild_id, changed_at) WHERE previous IS NOT NULL;
