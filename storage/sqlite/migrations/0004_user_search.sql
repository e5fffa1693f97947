-- wxgate schema 4: administration finds users by the start of their
-- nickname (binary order, as the search compares).

CREATE INDEX users_nickname ON users (nickname, id);
