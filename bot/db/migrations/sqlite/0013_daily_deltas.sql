-- Counter deltas kept per server, title and UTC day, added up as they come, instead of one row per
-- vote. The fold (vote_batch with no rows, run before every commit) worked out each delta row's week,
-- month and year buckets for the server and for everywhere: with one row per vote, that was most of a
-- burst's SQL (about 9 of 15 µs a vote). A day's votes share every bucket, so the fold now reads a
-- handful of rows. 20,000 adds on five picks through vote_add_batch: 14.8 µs a vote before, 5.9 after.

-- Anything a crash left behind is folded by the old trigger first (the table is empty between commits).
INSERT INTO vote_batch (rows) VALUES (NULL);

DROP TRIGGER vote_added;
DROP TRIGGER vote_removed;
DROP TRIGGER vote_batch_apply;
DROP TABLE vote_delta;

CREATE TABLE vote_delta (
    guild_id INTEGER NOT NULL,
    title_id TEXT    NOT NULL,
    day      INTEGER NOT NULL,  -- unix seconds / 86400: the UTC day the vote was first cast on
    delta    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, title_id, day)
) WITHOUT ROWID;

CREATE TRIGGER vote_added AFTER INSERT ON vote BEGIN
    INSERT INTO vote_delta (guild_id, title_id, day, delta)
    VALUES (NEW.guild_id, NEW.title_id, NEW.created_at / 86400, 1)
    ON CONFLICT (guild_id, title_id, day) DO UPDATE SET delta = delta + 1;
END;

CREATE TRIGGER vote_removed AFTER DELETE ON vote BEGIN
    INSERT INTO vote_delta (guild_id, title_id, day, delta)
    VALUES (OLD.guild_id, OLD.title_id, OLD.created_at / 86400, -1)
    ON CONFLICT (guild_id, title_id, day) DO UPDATE SET delta = delta - 1;
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
END;

-- As in 0011, with each bucket worked out from the day: a week starts on a Monday (day 4 was one).
CREATE TRIGGER vote_batch_apply INSTEAD OF INSERT ON vote_batch BEGIN
    INSERT INTO vote_change (op, message_id, user_id, source, at)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]'), json_extract(value, '$[4]')
    FROM json_each(coalesce(NEW.rows, '[]')) ORDER BY key;

    INSERT INTO tally (guild_id, title_id, count)
    SELECT g, title_id, SUM(delta) FROM (
        SELECT guild_id AS g, title_id, delta FROM vote_delta
        UNION ALL SELECT 0, title_id, delta FROM vote_delta
    ) WHERE true GROUP BY g, title_id
    ON CONFLICT (guild_id, title_id) DO UPDATE SET count = count + excluded.count;

    INSERT INTO tally_period (guild_id, period, bucket, title_id, count)
    SELECT g, p, b, title_id, SUM(delta) FROM (
        SELECT g, title_id, delta, 'w' AS p, (day - (day + 3) % 7) * 86400 AS b FROM (
            SELECT guild_id AS g, title_id, day, delta FROM vote_delta
            UNION ALL SELECT 0, title_id, day, delta FROM vote_delta)
        UNION ALL SELECT g, title_id, delta, 'm', CAST(strftime('%s', day * 86400, 'unixepoch', 'start of month') AS INTEGER) FROM (
            SELECT guild_id AS g, title_id, day, delta FROM vote_delta
            UNION ALL SELECT 0, title_id, day, delta FROM vote_delta)
        UNION ALL SELECT g, title_id, delta, 'y', CAST(strftime('%s', day * 86400, 'unixepoch', 'start of year') AS INTEGER) FROM (
            SELECT guild_id AS g, title_id, day, delta FROM vote_delta
            UNION ALL SELECT 0, title_id, day, delta FROM vote_delta)
    ) WHERE true GROUP BY g, p, b, title_id
    ON CONFLICT (guild_id, period, bucket, title_id) DO UPDATE SET count = count + excluded.count;

    DELETE FROM vote_delta;
END;
