-- Charts by period (/tears top period:): counters per UTC week (from Monday), month and year, kept by
-- the same vote triggers as the all-time counters, so every period's chart is one index range too.
-- A vote counts in the period it was first cast in.
CREATE TABLE tally_period (
    guild_id INTEGER NOT NULL,
    period   TEXT    NOT NULL CHECK (period IN ('w', 'm', 'y')),
    bucket   INTEGER NOT NULL,
    title_id TEXT    NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, period, bucket, title_id)
) WITHOUT ROWID;
CREATE INDEX tally_period_rank ON tally_period (guild_id, period, bucket, count DESC, title_id);

INSERT INTO tally_period (guild_id, period, bucket, title_id, count)
SELECT g, p, b, title_id, COUNT(*) FROM (
    SELECT guild_id AS g, 'w' AS p, created_at - ((created_at / 86400 + 3) % 7) * 86400 - created_at % 86400 AS b, title_id FROM vote
    UNION ALL SELECT guild_id, 'm', CAST(strftime('%s', created_at, 'unixepoch', 'start of month') AS INTEGER), title_id FROM vote
    UNION ALL SELECT guild_id, 'y', CAST(strftime('%s', created_at, 'unixepoch', 'start of year') AS INTEGER), title_id FROM vote
) AS v
GROUP BY g, p, b, title_id;
INSERT INTO tally_period (guild_id, period, bucket, title_id, count)
SELECT 0, period, bucket, title_id, SUM(count) FROM tally_period GROUP BY period, bucket, title_id;

DROP TRIGGER vote_added;
CREATE TRIGGER vote_added AFTER INSERT ON vote BEGIN
    INSERT INTO tally (guild_id, title_id, count) VALUES (NEW.guild_id, NEW.title_id, 1), (0, NEW.title_id, 1)
    ON CONFLICT (guild_id, title_id) DO UPDATE SET count = count + 1;
    INSERT INTO tally_period (guild_id, period, bucket, title_id, count)
    SELECT g, p, b, NEW.title_id, 1 FROM (
        SELECT 'w' AS p, NEW.created_at - ((NEW.created_at / 86400 + 3) % 7) * 86400 - NEW.created_at % 86400 AS b
        UNION ALL SELECT 'm', CAST(strftime('%s', NEW.created_at, 'unixepoch', 'start of month') AS INTEGER)
        UNION ALL SELECT 'y', CAST(strftime('%s', NEW.created_at, 'unixepoch', 'start of year') AS INTEGER)
    ) JOIN (SELECT NEW.guild_id AS g UNION ALL SELECT 0) WHERE true
    ON CONFLICT (guild_id, period, bucket, title_id) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER vote_removed;
CREATE TRIGGER vote_removed AFTER DELETE ON vote BEGIN
    UPDATE tally SET count = count - 1 WHERE title_id = OLD.title_id AND guild_id IN (OLD.guild_id, 0);
    UPDATE tally_period SET count = count - 1
    WHERE title_id = OLD.title_id AND guild_id IN (OLD.guild_id, 0) AND (
        (period = 'w' AND bucket = OLD.created_at - ((OLD.created_at / 86400 + 3) % 7) * 86400 - OLD.created_at % 86400)
        OR (period = 'm' AND bucket = CAST(strftime('%s', OLD.created_at, 'unixepoch', 'start of month') AS INTEGER))
        OR (period = 'y' AND bucket = CAST(strftime('%s', OLD.created_at, 'unixepoch', 'start of year') AS INTEGER))
    );
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
END;
