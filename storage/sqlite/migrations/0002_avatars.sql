-- wxgate schema 2: copies of users' WeChat avatars, one per user, served
-- from the gateway's own URL (WeChat's avatar URLs die when the person
-- changes their avatar).

CREATE TABLE avatars (
	id           TEXT    NOT NULL PRIMARY KEY,
	user_id      TEXT    NOT NULL UNIQUE REFERENCES users (id),
	content_type TEXT    NOT NULL,
	data         BLOB    NOT NULL,
	source       BLOB    NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;
