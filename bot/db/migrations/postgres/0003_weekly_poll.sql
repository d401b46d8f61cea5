-- PostgreSQL twin of migrations/sqlite/0003: the weekly poll.
CREATE TABLE poll_schedule (
    guild_id        BIGINT  PRIMARY KEY,
    channel_id      BIGINT  NOT NULL,
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time      TEXT    NOT NULL,
    timezone        TEXT    NOT NULL,
    size            INTEGER NOT NULL DEFAULT 5 CHECK (size BETWEEN 2 AND 10),
    locale          TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    next_due        BIGINT,
    posting_slot    BIGINT,
    last_posted_at  BIGINT,
    last_error      TEXT,
    last_error_at   BIGINT,
    failures        INTEGER NOT NULL DEFAULT 0,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX poll_schedule_due ON poll_schedule (next_due) WHERE enabled = 1;

CREATE TABLE weekly_poll (
    message_id       BIGINT PRIMARY KEY,
    guild_id         BIGINT NOT NULL,
    channel_id       BIGINT NOT NULL,
    posted_at        BIGINT NOT NULL,
    closes_at        BIGINT NOT NULL,
    closed_at        BIGINT,
    recap_message_id BIGINT
);
CREATE INDEX weekly_poll_open ON weekly_poll (closes_at) WHERE closed_at IS NULL;
CREATE INDEX weekly_poll_by_guild ON weekly_poll (guild_id, posted_at);

CREATE TABLE weekly_poll_answer (
    message_id BIGINT  NOT NULL REFERENCES weekly_poll (message_id) ON DELETE CASCADE,
    answer_id  INTEGER NOT NULL,
    title_id   TEXT    NOT NULL,
    PRIMARY KEY (message_id, answer_id)
);

CREATE FUNCTION vote_change_poll() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.op = 'poll-add' THEN
        INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
        SELECT w.message_id, NEW.user_id, NEW.source, w.guild_id, a.title_id, NEW.at
        FROM weekly_poll w JOIN weekly_poll_answer a ON a.message_id = w.message_id
        WHERE w.message_id = NEW.message_id AND 'p:' || a.answer_id = NEW.source
        ON CONFLICT DO NOTHING;
        INSERT INTO orphan_source (message_id, user_id, source, created_at)
        SELECT NEW.message_id, NEW.user_id, NEW.source, NEW.at
        WHERE NOT EXISTS (SELECT 1 FROM weekly_poll WHERE message_id = NEW.message_id)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.op = 'message-gone' THEN
        DELETE FROM weekly_poll WHERE message_id = NEW.message_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vote_change_b_poll INSTEAD OF INSERT ON vote_change FOR EACH ROW EXECUTE FUNCTION vote_change_poll();

CREATE FUNCTION weekly_poll_answer_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT NEW.message_id, o.user_id, o.source, w.guild_id, NEW.title_id, o.created_at
    FROM orphan_source o JOIN weekly_poll w ON w.message_id = NEW.message_id
    WHERE o.message_id = NEW.message_id AND o.source = 'p:' || NEW.answer_id
    ON CONFLICT DO NOTHING;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id AND source = 'p:' || NEW.answer_id;
    RETURN NULL;
END $$;
CREATE TRIGGER weekly_poll_answer_recorded AFTER INSERT ON weekly_poll_answer
    FOR EACH ROW EXECUTE FUNCTION weekly_poll_answer_recorded();
