-- wxgate schema 2: copies of users' WeChat avatars, one per user, served
-- from the gateway's own URL (WeChat's avatar URLs die when the person
-- changes their avatar).

CREATE TABLE avatars (
	id           text COLLATE "C" NOT NULL,
	user_id      text COLLATE "C" NOT NULL,
	content_type text             NOT NULL,
	data         bytea            NOT NULL,
	source       bytea            NOT NULL,
	created_at   timestamptz      NOT NULL,
	CONSTRAINT avatars_pkey PRIMARY KEY (id),
	CONSTRAINT avatars_user_id_key UNIQUE (user_id),
	CONSTRAINT avatars_user_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
