-- wxgate schema 3: accounts, as in the SQLite backend. A user may be
-- blocked (blocked_at, NULL when not), and the id of a user merged into
-- another keeps resolving to it (merged_users: one row per merged id,
-- pointing at the user it stands for now, never at another merged id).

ALTER TABLE users ADD COLUMN blocked_at timestamptz;

CREATE TABLE merged_users (
	id      text COLLATE "C" NOT NULL,
	into_id text COLLATE "C" NOT NULL,
	CONSTRAINT merged_users_pkey PRIMARY KEY (id)
);
CREATE INDEX merged_users_into ON merged_users (into_id);
