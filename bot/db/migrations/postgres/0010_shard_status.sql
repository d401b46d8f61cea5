-- Each shard's last reported state, written by the process running it every few seconds, so that
-- `python -m bot health` (any process, any machine) can tell whether the whole deployment is up.
CREATE TABLE shard_status (
    shard_id    INTEGER PRIMARY KEY,
    shard_count INTEGER NOT NULL,
    connected   INTEGER NOT NULL,  -- 1 or 0, as in SQLite (so `db copy` carries it over as is)
    host        TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);
