-- wxgate schema 4: administration finds users by the start of their
-- nickname, compared by bytes (COLLATE "C") whatever the database's
-- collation.

CREATE INDEX users_nickname ON users ((nickname COLLATE "C"), id);
