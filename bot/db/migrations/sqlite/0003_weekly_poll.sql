-- The weekly poll, per server: where and when (in the server's own time zone), and its state.
CREATE TABLE poll_schedule (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 is Monday
    local_time      TEXT    NOT NULL,                                  -- 'HH:MM'
    timezone        TEXT    NOT NULL,                                  -- IANA name
    size            INTEGER NOT NULL DEFAULT 5 CHECK (size BETWEEN 2 AND 10),
    locale          TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    next_due        INTEGER,             -- unix seconds of the next post; the scheduler's index
    posting_slot    INTEGER,             -- set while a post is under way: a restart finishes it, never twice
    last_posted_at  INTEGER,
    last_error      TEXT,
    last_error_at   INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX poll_schedule_due ON poll_schedule (next_due) WHERE enabled = 1;

CREATE TABLE weekly_poll (
    message_id       INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    posted_at        INTEGER NOT NULL,
    closes_at        INTEGER NOT NULL,
    closed_at        INTEGER,            -- set once, when the recap is claimed
    recap_message_id INTEGER
);
CREATE INDEX weekly_poll_open ON weekly_poll (closes_at) WHERE closed_at IS NULL;
CREATE INDEX weekly_poll_by_guild ON weekly_poll (guild_id, posted_at);

CREATE TABLE weekly_poll_answer (
    message_id INTEGER NOT NULL REFERENCES weekly_poll (message_id) ON DELETE CASCADE,
    answer_id  INTEGER NOT NULL,
    title_id   TEXT    NOT NULL,
    PRIMARY KEY (message_id, answer_id)
) WITHOUT ROWID;

-- A poll vote: source 'p:<answer id>' on the poll message, a vote for that answer's title.
CREATE TRIGGER vote_change_poll_add INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'poll-add' BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT w.message_id, NEW.user_id, NEW.source, w.guild_id, a.title_id, NEW.at
    FROM weekly_poll w JOIN weekly_poll_answer a ON a.message_id = w.message_id
    WHERE w.message_id = NEW.message_id AND 'p:' || a.answer_id = NEW.source
    ON CONFLICT DO NOTHING;
    INSERT INTO orphan_source (message_id, user_id, source, created_at)
    SELECT NEW.message_id, NEW.user_id, NEW.source, NEW.at
    WHERE NOT EXISTS (SELECT 1 FROM weekly_poll WHERE message_id = NEW.message_id)
    ON CONFLICT DO NOTHING;
END;

-- A vote that arrived before its poll was recorded counts once the answer is recorded.
CREATE TRIGGER weekly_poll_answer_recorded AFTER INSERT ON weekly_poll_answer BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT NEW.message_id, o.user_id, o.source, w.guild_id, NEW.title_id, o.created_at
    FROM orphan_source o JOIN weekly_poll w ON w.message_id = NEW.message_id
    WHERE o.message_id = NEW.message_id AND o.source = 'p:' || NEW.answer_id
    ON CONFLICT DO NOTHING;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id AND source = 'p:' || NEW.answer_id;
END;

-- A deleted poll post takes its votes with it, like a deleted pick.
CREATE TRIGGER vote_change_poll_gone INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'message-gone' BEGIN
    DELETE FROM weekly_poll WHERE message_id = NEW.message_id;
END;
