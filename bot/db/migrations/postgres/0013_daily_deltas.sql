-- Period counters worked out per server, title and UTC day rather than per vote: votes_added (0009)
-- called period_start six times for every added vote (week, month and year, for the server and for
-- everywhere), though a day's votes share every bucket. 20,000 adds on five picks through
-- apply_vote_adds: about 19 µs a vote before, 16 after. SQLite's 0013 keys its deltas by day the same way.
CREATE OR REPLACE FUNCTION votes_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta)
    SELECT guild_id, title_id, count(*) FROM added GROUP BY guild_id, title_id
    UNION ALL
    SELECT 0, title_id, count(*) FROM added GROUP BY title_id;
    INSERT INTO tally_period AS t (guild_id, period, bucket, title_id, count)
    SELECT g, p, period_start(p, day * 86400) AS b, title_id, sum(n)
    FROM (
        SELECT guild_id AS g, title_id, created_at / 86400 AS day, count(*) AS n FROM added GROUP BY 1, 2, 3
        UNION ALL
        SELECT 0, title_id, created_at / 86400, count(*) FROM added GROUP BY 2, 3
    ) AS v
    CROSS JOIN (VALUES ('w'), ('m'), ('y')) AS ps(p)
    GROUP BY g, p, b, title_id
    ON CONFLICT (guild_id, period, bucket, title_id) DO UPDATE SET count = t.count + excluded.count;
    RETURN NULL;
END $$;
