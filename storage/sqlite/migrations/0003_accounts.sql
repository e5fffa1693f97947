-- wxgate schema 3: accounts. A user may be blocked (blocked_at, unix
-- microseconds, NULL when not), and the id of a user merged into another
-- keeps resolving to it (merged_users: one row per merged id, pointing at
-- the user it stands for now, never at another merged id).

ALTER TABLE users ADD COLUMN blocked_at INTEGER;

CREATE TABLE merged_users (
	id      TEXT NOT NULL PRIMARY KEY,
	into_id TEXT NOT NULL
) STRICT;
CREATE INDEX merged_users_into ON merged_users (into_id);
