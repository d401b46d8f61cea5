-- Every message in which the bot presented a title: reactions on it can later count as votes,
-- and a member's recent picks are read from here so /cry does not repeat itself.
CREATE TABLE presented_message (
    message_id   INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    title_id     TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('drama', 'ost')),
    requested_by INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX presented_message_by_member ON presented_message (requested_by, kind, created_at DESC);

-- Small key/value facts the bot keeps about itself (e.g. the hash of the last synced command tree).
CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
