-- Members' suggestions for a server's own catalog, and the review they go through. The id is the
-- Discord id of the form's submission (unique, and known before the row is written). fields holds the
-- cleaned form as JSON; an approved row is part of that server's catalog until an admin retires it.
CREATE TABLE suggestion (
    id             BIGINT PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    kind           TEXT   NOT NULL CHECK (kind IN ('drama', 'ost')),
    fields         TEXT   NOT NULL,
    suggested_by   BIGINT NOT NULL,
    suggested_name TEXT   NOT NULL,
    state          TEXT   NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'approved', 'rejected', 'retired')),
    reason         TEXT   NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    reviewed_by    BIGINT,
    reviewed_at    BIGINT
);
CREATE INDEX suggestion_by_state ON suggestion (guild_id, state, id);
CREATE INDEX suggestion_by_member ON suggestion (guild_id, suggested_by, created_at);
