-- Charts by period (/tears top period:): counters per UTC week (from Monday), month and year, kept by
-- the vote triggers beside the all-time counters, so every period's chart is one index range too. A
-- vote counts in the period it was first cast in. Added votes arrive as a set (statement trigger,
-- migration 0007), so each batch updates each counter row once.
CREATE TABLE tally_period (
    guild_id BIGINT NOT NULL,
    period   TEXT   NOT NULL CHECK (period IN ('w', 'm', 'y')),
    bucket   BIGINT NOT NULL,
    title_id TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (guild_id, period, bucket, title_id)
);
CREATE INDEX tally_period_rank ON tally_period (guild_id, period, bucket, count DESC, title_id);

CREATE FUNCTION period_start(period TEXT, t BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE period
        WHEN 'w' THEN t - ((t / 86400 + 3) % 7) * 86400 - t % 86400
        WHEN 'm' THEN extract(epoch FROM date_trunc('month', to_timestamp(t) AT TIME ZONE 'UTC'))::bigint
        ELSE extract(epoch FROM date_trunc('year', to_timestamp(t) AT TIME ZONE 'UTC'))::bigint
    END
$$;

INSERT INTO tally_period (guild_id, period, bucket, title_id, count)
SELECT g, p, period_start(p, created_at) AS b, title_id, COUNT(*)
FROM (SELECT guild_id AS g, title_id, created_at FROM vote UNION ALL SELECT 0, title_id, created_at FROM vote) AS v
CROSS JOIN (VALUES ('w'), ('m'), ('y')) AS ps(p)
GROUP BY g, p, b, title_id;

CREATE OR REPLACE FUNCTION votes_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta)
    SELECT guild_id, title_id, count(*) FROM added GROUP BY guild_id, title_id
    UNION ALL
    SELECT 0, title_id, count(*) FROM added GROUP BY title_id;
    INSERT INTO tally_period AS t (guild_id, period, bucket, title_id, count)
    SELECT g, p, period_start(p, created_at) AS b, title_id, count(*)
    FROM (SELECT guild_id AS g, title_id, created_at FROM added UNION ALL SELECT 0, title_id, created_at FROM added) AS v
    CROSS JOIN (VALUES ('w'), ('m'), ('y')) AS ps(p)
    GROUP BY g, p, b, title_id
    ON CONFLICT (guild_id, period, bucket, title_id) DO UPDATE SET count = t.count + excluded.count;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION vote_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta) VALUES (OLD.guild_id, OLD.title_id, -1), (0, OLD.title_id, -1);
    UPDATE tally_period SET count = count - 1
    WHERE title_id = OLD.title_id AND guild_id IN (OLD.guild_id, 0)
      AND (period, bucket) IN (('w', period_start('w', OLD.created_at)), ('m', period_start('m', OLD.created_at)),
                               ('y', period_start('y', OLD.created_at)));
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
    RETURN NULL;
END $$;
