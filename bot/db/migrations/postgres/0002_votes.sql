-- PostgreSQL twin of migrations/sqlite/0002: votes, their sources, counters, and the vote_change view
-- whose INSTEAD OF triggers apply each change (PL/pgSQL functions where SQLite has trigger bodies).
CREATE TABLE vote (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    title_id   TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, title_id)
);
CREATE INDEX vote_by_user ON vote (user_id);

CREATE TABLE vote_source (
    message_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    source     TEXT   NOT NULL,
    guild_id   BIGINT NOT NULL,
    title_id   TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, source)
);
CREATE INDEX vote_source_by_vote ON vote_source (guild_id, user_id, title_id);

CREATE TABLE orphan_source (
    message_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    source     TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, source)
);

CREATE TABLE tally (
    guild_id BIGINT NOT NULL,
    title_id TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (guild_id, title_id)
);
CREATE INDEX tally_rank ON tally (guild_id, count DESC, title_id);

CREATE TABLE forget_marker (
    guild_id     BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    forgotten_at BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX presented_message_by_channel ON presented_message (channel_id);
CREATE INDEX presented_message_by_guild_time ON presented_message (guild_id, created_at);

CREATE FUNCTION vote_source_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vote (guild_id, user_id, title_id, created_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.title_id, NEW.created_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER vote_source_added AFTER INSERT ON vote_source FOR EACH ROW EXECUTE FUNCTION vote_source_added();

CREATE FUNCTION vote_source_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vote
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id
      AND NOT EXISTS (
          SELECT 1 FROM vote_source s
          WHERE s.guild_id = OLD.guild_id AND s.user_id = OLD.user_id AND s.title_id = OLD.title_id
      );
    RETURN NULL;
END $$;
CREATE TRIGGER vote_source_removed AFTER DELETE ON vote_source FOR EACH ROW EXECUTE FUNCTION vote_source_removed();

CREATE FUNCTION vote_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally AS t (guild_id, title_id, count) VALUES (NEW.guild_id, NEW.title_id, 1), (0, NEW.title_id, 1)
    ON CONFLICT (guild_id, title_id) DO UPDATE SET count = t.count + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER vote_added AFTER INSERT ON vote FOR EACH ROW EXECUTE FUNCTION vote_added();

CREATE FUNCTION vote_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tally SET count = count - 1 WHERE title_id = OLD.title_id AND guild_id IN (OLD.guild_id, 0);
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
    RETURN NULL;
END $$;
CREATE TRIGGER vote_removed AFTER DELETE ON vote FOR EACH ROW EXECUTE FUNCTION vote_removed();

CREATE FUNCTION presented_message_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT NEW.message_id, o.user_id, o.source, NEW.guild_id, NEW.title_id, o.created_at
    FROM orphan_source o WHERE o.message_id = NEW.message_id
    ON CONFLICT DO NOTHING;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id;
    RETURN NULL;
END $$;
CREATE TRIGGER presented_message_recorded AFTER INSERT ON presented_message
    FOR EACH ROW EXECUTE FUNCTION presented_message_recorded();

-- Every vote change is one row inserted here (see the SQLite twin for the ops).
CREATE VIEW vote_change AS
    SELECT NULL::text AS op, NULL::bigint AS message_id, NULL::bigint AS user_id, NULL::text AS source,
           NULL::bigint AS at
    WHERE false;

CREATE FUNCTION vote_change_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.op = 'add' THEN
        INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
        SELECT p.message_id, NEW.user_id, NEW.source, p.guild_id, p.title_id, NEW.at
        FROM presented_message p WHERE p.message_id = NEW.message_id
        ON CONFLICT DO NOTHING;
        INSERT INTO orphan_source (message_id, user_id, source, created_at)
        SELECT NEW.message_id, NEW.user_id, NEW.source, NEW.at
        WHERE NOT EXISTS (SELECT 1 FROM presented_message WHERE message_id = NEW.message_id)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.op = 'remove' THEN
        DELETE FROM vote_source WHERE message_id = NEW.message_id AND user_id = NEW.user_id AND source = NEW.source;
        DELETE FROM orphan_source WHERE message_id = NEW.message_id AND user_id = NEW.user_id AND source = NEW.source;
    ELSIF NEW.op = 'clear' THEN
        DELETE FROM vote_source WHERE message_id = NEW.message_id AND source LIKE 'r:%';
        DELETE FROM orphan_source WHERE message_id = NEW.message_id AND source LIKE 'r:%';
    ELSIF NEW.op = 'clear-emoji' THEN
        DELETE FROM vote_source WHERE message_id = NEW.message_id AND source IN (NEW.source, NEW.source || ':burst');
        DELETE FROM orphan_source WHERE message_id = NEW.message_id AND source IN (NEW.source, NEW.source || ':burst');
    ELSIF NEW.op = 'message-gone' THEN
        DELETE FROM vote_source WHERE message_id = NEW.message_id;
        DELETE FROM orphan_source WHERE message_id = NEW.message_id;
        DELETE FROM presented_message WHERE message_id = NEW.message_id;
    ELSIF NEW.op = 'channel-gone' THEN
        DELETE FROM vote_source
        WHERE message_id IN (SELECT message_id FROM presented_message WHERE channel_id = NEW.message_id);
        DELETE FROM presented_message WHERE channel_id = NEW.message_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vote_change_a_apply INSTEAD OF INSERT ON vote_change FOR EACH ROW EXECUTE FUNCTION vote_change_apply();
