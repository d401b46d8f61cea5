-- "Member M in server S cried to title T": one row per member, title and server, whatever its sources.
CREATE TABLE vote (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    title_id   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, title_id)
) WITHOUT ROWID;
CREATE INDEX vote_by_user ON vote (user_id);

-- Where a vote came from: a reaction on a presented message ('r:<emoji>' or 'r:<emoji>:burst') or,
-- later, a poll answer ('p:<answer id>'). Removing one source withdraws only that source; the vote
-- ends with its last source.
CREATE TABLE vote_source (
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    guild_id   INTEGER NOT NULL,
    title_id   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, source)
) WITHOUT ROWID;
CREATE INDEX vote_source_by_vote ON vote_source (guild_id, user_id, title_id);

-- A reaction that reached us before the message it is on was recorded (the pick's HTTP answer and the
-- gateway event race). It becomes a vote the moment the message is recorded; stale ones are pruned.
CREATE TABLE orphan_source (
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, source)
) WITHOUT ROWID;

-- Counters kept in step with the votes, so charts never GROUP BY the votes. guild_id 0 is global.
CREATE TABLE tally (
    guild_id INTEGER NOT NULL,
    title_id TEXT    NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, title_id)
) WITHOUT ROWID;
CREATE INDEX tally_rank ON tally (guild_id, count DESC, title_id);

-- "Forget me": catch-up must not bring back votes from reactions that were there before the forget.
CREATE TABLE forget_marker (
    guild_id     INTEGER NOT NULL,  -- 0: every server
    user_id      INTEGER NOT NULL,
    forgotten_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE INDEX presented_message_by_channel ON presented_message (channel_id);
CREATE INDEX presented_message_by_guild_time ON presented_message (guild_id, created_at);

CREATE TRIGGER vote_source_added AFTER INSERT ON vote_source BEGIN
    INSERT INTO vote (guild_id, user_id, title_id, created_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.title_id, NEW.created_at)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER vote_source_removed AFTER DELETE ON vote_source BEGIN
    DELETE FROM vote
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id
      AND NOT EXISTS (
          SELECT 1 FROM vote_source s
          WHERE s.guild_id = OLD.guild_id AND s.user_id = OLD.user_id AND s.title_id = OLD.title_id
      );
END;

CREATE TRIGGER vote_added AFTER INSERT ON vote BEGIN
    INSERT INTO tally (guild_id, title_id, count) VALUES (NEW.guild_id, NEW.title_id, 1), (0, NEW.title_id, 1)
    ON CONFLICT (guild_id, title_id) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER vote_removed AFTER DELETE ON vote BEGIN
    UPDATE tally SET count = count - 1 WHERE title_id = OLD.title_id AND guild_id IN (OLD.guild_id, 0);
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
END;

CREATE TRIGGER presented_message_recorded AFTER INSERT ON presented_message BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT NEW.message_id, o.user_id, o.source, NEW.guild_id, NEW.title_id, o.created_at
    FROM orphan_source o WHERE o.message_id = NEW.message_id
    ON CONFLICT DO NOTHING;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id;
END;

-- Every vote change is one row inserted here, so a burst of mixed events is one executemany in one
-- transaction, applied in order. op: add | remove | clear (all reaction sources of a message) |
-- clear-emoji (source and its burst twin) | message-gone | channel-gone (message_id holds the channel).
CREATE VIEW vote_change (op, message_id, user_id, source, at) AS
    SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER vote_change_add INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'add' BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT p.message_id, NEW.user_id, NEW.source, p.guild_id, p.title_id, NEW.at
    FROM presented_message p WHERE p.message_id = NEW.message_id
    ON CONFLICT DO NOTHING;
    INSERT INTO orphan_source (message_id, user_id, source, created_at)
    SELECT NEW.message_id, NEW.user_id, NEW.source, NEW.at
    WHERE NOT EXISTS (SELECT 1 FROM presented_message WHERE message_id = NEW.message_id)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER vote_change_remove INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'remove' BEGIN
    DELETE FROM vote_source WHERE message_id = NEW.message_id AND user_id = NEW.user_id AND source = NEW.source;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id AND user_id = NEW.user_id AND source = NEW.source;
END;

CREATE TRIGGER vote_change_clear INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'clear' BEGIN
    DELETE FROM vote_source WHERE message_id = NEW.message_id AND source LIKE 'r:%';
    DELETE FROM orphan_source WHERE message_id = NEW.message_id AND source LIKE 'r:%';
END;

CREATE TRIGGER vote_change_clear_emoji INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'clear-emoji' BEGIN
    DELETE FROM vote_source
    WHERE message_id = NEW.message_id AND source IN (NEW.source, NEW.source || ':burst');
    DELETE FROM orphan_source
    WHERE message_id = NEW.message_id AND source IN (NEW.source, NEW.source || ':burst');
END;

CREATE TRIGGER vote_change_message_gone INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'message-gone' BEGIN
    DELETE FROM vote_source WHERE message_id = NEW.message_id;
    DELETE FROM orphan_source WHERE message_id = NEW.message_id;
    DELETE FROM presented_message WHERE message_id = NEW.message_id;
END;

CREATE TRIGGER vote_change_channel_gone INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'channel-gone' BEGIN
    DELETE FROM vote_source
    WHERE message_id IN (SELECT message_id FROM presented_message WHERE channel_id = NEW.message_id);
    DELETE FROM presented_message WHERE channel_id = NEW.message_id;
END;
