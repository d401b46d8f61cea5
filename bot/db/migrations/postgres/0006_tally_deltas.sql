-- Counters without hot rows: a burst of votes for one pick updated the same two tally rows thousands
-- of times in one transaction, and each update walked a longer chain of row versions (20,000 votes on
-- one pick took 17 s; bench/gateway_burst.py --backend postgresql). Votes now append deltas, and the
-- writer folds them into the counters once per batch, just before it commits (apply_tally_deltas).
CREATE TABLE tally_delta (
    guild_id BIGINT  NOT NULL,
    title_id TEXT    NOT NULL,
    delta    INTEGER NOT NULL
);

CREATE OR REPLACE FUNCTION vote_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta) VALUES (NEW.guild_id, NEW.title_id, 1), (0, NEW.title_id, 1);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION vote_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta) VALUES (OLD.guild_id, OLD.title_id, -1), (0, OLD.title_id, -1);
    DELETE FROM vote_source WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND title_id = OLD.title_id;
    RETURN NULL;
END $$;

CREATE FUNCTION apply_tally_deltas() RETURNS void LANGUAGE sql AS $$
    WITH d AS (DELETE FROM tally_delta RETURNING guild_id, title_id, delta)
    INSERT INTO tally AS t (guild_id, title_id, count)
    SELECT guild_id, title_id, SUM(delta) FROM d GROUP BY guild_id, title_id
    ON CONFLICT (guild_id, title_id) DO UPDATE SET count = t.count + excluded.count;
$$;
