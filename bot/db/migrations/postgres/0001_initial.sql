-- PostgreSQL twin of migrations/sqlite/0001: the same tables; Discord ids are BIGINT here.
CREATE TABLE presented_message (
    message_id   BIGINT  PRIMARY KEY,
    guild_id     BIGINT  NOT NULL,
    channel_id   BIGINT  NOT NULL,
    title_id     TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('drama', 'ost')),
    requested_by BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX presented_message_by_member ON presented_message (requested_by, kind, created_at DESC);

CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
