-- wxgate schema 1, as in the SQLite backend. Times are timestamptz (UTC,
-- microseconds); byte fields that may be absent are NULL when they are.
-- Ids are COLLATE "C": they compare and sort by bytes, as in every backend,
-- whatever the database's collation. Constraint names are part of the
-- code: the store retries a transaction on some of them (see retryable).

CREATE TABLE users (
	id         text COLLATE "C" NOT NULL,
	nickname   text             NOT NULL,
	avatar_url text             NOT NULL,
	sex        integer          NOT NULL,
	province   text             NOT NULL,
	city       text             NOT NULL,
	country    text             NOT NULL,
	phone      bytea,
	created_at timestamptz      NOT NULL,
	updated_at timestamptz      NOT NULL,
	CONSTRAINT users_pkey PRIMARY KEY (id)
);

CREATE TABLE identities (
	-- seq orders identities created at the same instant as they were stored.
	seq                bigint GENERATED ALWAYS AS IDENTITY,
	id                 text COLLATE "C" NOT NULL,
	user_id            text COLLATE "C" NOT NULL,
	app_id             text             NOT NULL,
	openid_index       bytea            NOT NULL,
	openid             bytea,
	unionid_index      bytea,
	unionid            bytea,
	session_key        bytea,
	session_key_at     timestamptz      NOT NULL,
	access_token       bytea,
	access_expires_at  timestamptz      NOT NULL,
	refresh_token      bytea,
	refresh_expires_at timestamptz      NOT NULL,
	scope              text             NOT NULL,
	created_at         timestamptz      NOT NULL,
	updated_at         timestamptz      NOT NULL,
	last_login_at      timestamptz      NOT NULL,
	CONSTRAINT identities_pkey PRIMARY KEY (id),
	CONSTRAINT identities_openid_index_key UNIQUE (openid_index),
	CONSTRAINT identities_user_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX identities_user ON identities (user_id, created_at, seq);
CREATE INDEX identities_unionid ON identities (unionid_index) WHERE unionid_index IS NOT NULL;

-- links says which user holds a unionid: one user per unionid, whatever
-- number of identities carry it. LinkIdentity's rule 2 reads it; its row
-- is also the lock that orders the logins joining a user by unionid with
-- the removal of the unionid's last carrier.
CREATE TABLE links (
	unionid_index bytea            NOT NULL,
	user_id       text COLLATE "C" NOT NULL,
	CONSTRAINT links_pkey PRIMARY KEY (unionid_index),
	CONSTRAINT links_user_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE sessions (
	id           text COLLATE "C" NOT NULL,
	token_hash   bytea            NOT NULL,
	user_id      text COLLATE "C" NOT NULL,
	identity_id  text COLLATE "C" NOT NULL,
	app          text             NOT NULL,
	created_at   timestamptz      NOT NULL,
	last_seen_at timestamptz      NOT NULL,
	expires_at   timestamptz      NOT NULL,
	signing_key  bytea,
	CONSTRAINT sessions_pkey PRIMARY KEY (id),
	CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
	CONSTRAINT sessions_user_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE events (
	id      bigint GENERATED ALWAYS AS IDENTITY,
	time    timestamptz      NOT NULL,
	type    text             NOT NULL,
	user_id text COLLATE "C" NOT NULL,
	app     text             NOT NULL,
	ip      text             NOT NULL,
	detail  jsonb, -- object of strings, NULL when empty
	CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX events_time ON events (time);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_user ON events (user_id, id);
