-- wxgate schema 1. Times are integer unix microseconds, UTC; byte fields
-- that may be absent are NULL when they are.

CREATE TABLE users (
	id         TEXT    NOT NULL PRIMARY KEY,
	nickname   TEXT    NOT NULL,
	avatar_url TEXT    NOT NULL,
	sex        INTEGER NOT NULL,
	province   TEXT    NOT NULL,
	city       TEXT    NOT NULL,
	country    TEXT    NOT NULL,
	phone      BLOB,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE identities (
	id                 TEXT    NOT NULL PRIMARY KEY,
	user_id            TEXT    NOT NULL REFERENCES users (id),
	app_id             TEXT    NOT NULL,
	openid_index       BLOB    NOT NULL UNIQUE,
	openid             BLOB,
	unionid_index      BLOB,
	unionid            BLOB,
	session_key        BLOB,
	session_key_at     INTEGER NOT NULL,
	access_token       BLOB,
	access_expires_at  INTEGER NOT NULL,
	refresh_token      BLOB,
	refresh_expires_at INTEGER NOT NULL,
	scope              TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	last_login_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX identities_user ON identities (user_id, created_at);
CREATE INDEX identities_unionid ON identities (unionid_index) WHERE unionid_index IS NOT NULL;

-- links says which user holds a unionid: one user per unionid, whatever
-- number of identities carry it. LinkIdentity's rule 2 reads it.
CREATE TABLE links (
	unionid_index BLOB NOT NULL PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id)
) STRICT;

CREATE TABLE sessions (
	id           TEXT    NOT NULL PRIMARY KEY,
	token_hash   BLOB    NOT NULL UNIQUE,
	user_id      TEXT    NOT NULL REFERENCES users (id),
	identity_id  TEXT    NOT NULL,
	app          TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	signing_key  BLOB
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE events (
	id      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	time    INTEGER NOT NULL,
	type    TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	app     TEXT    NOT NULL,
	ip      TEXT    NOT NULL,
	detail  TEXT -- JSON object of strings, NULL when empty
) STRICT;
CREATE INDEX events_time ON events (time);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_user ON events (user_id, id);
