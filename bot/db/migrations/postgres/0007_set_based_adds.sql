-- Reactions added in a burst, applied as sets. Every vote change went through the vote_change view,
-- whose INSTEAD OF trigger runs once per row, and each new source fired two more row triggers (vote,
-- then the counter delta): 20,000 😭 on one pick took ~1.8 s of PL/pgSQL, doubling a burst's time
-- (bench/gateway_burst.py --backend postgresql). Now a run of consecutive adds is one statement
-- (apply_vote_adds, called by the backend), and the triggers that follow a new source are statement
-- triggers over the rows it added. Other changes still go through the view, row by row, in order.

DROP TRIGGER vote_source_added ON vote_source;
DROP FUNCTION vote_source_added();

CREATE FUNCTION vote_sources_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vote (guild_id, user_id, title_id, created_at)
    SELECT guild_id, user_id, title_id, min(created_at) FROM added GROUP BY guild_id, user_id, title_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER vote_sources_added AFTER INSERT ON vote_source
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION vote_sources_added();

DROP TRIGGER vote_added ON vote;
DROP FUNCTION vote_added();

CREATE FUNCTION votes_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_delta (guild_id, title_id, delta)
    SELECT guild_id, title_id, count(*) FROM added GROUP BY guild_id, title_id
    UNION ALL
    SELECT 0, title_id, count(*) FROM added GROUP BY title_id;
    RETURN NULL;
END $$;
CREATE TRIGGER votes_added AFTER INSERT ON vote
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION votes_added();

-- A run of 'add' changes, column by column (message, member, source, time), as vote_change_apply
-- would apply them one by one: a source for each recorded message, an orphan for the others. Adds
-- commute (ON CONFLICT DO NOTHING), so applying the run as a set gives the same result in any order.
-- It folds the counter deltas itself, so a batch of adds alone is one self-committing statement.
CREATE FUNCTION apply_vote_adds(m bigint[], u bigint[], s text[], a bigint[]) RETURNS void LANGUAGE sql AS $$
    WITH c AS (SELECT * FROM unnest(m, u, s, a) AS c(m, u, s, a)),
    added AS (
        INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
        SELECT p.message_id, c.u, c.s, p.guild_id, p.title_id, c.a
        FROM c JOIN presented_message p ON p.message_id = c.m
        ON CONFLICT DO NOTHING
    )
    INSERT INTO orphan_source (message_id, user_id, source, created_at)
    SELECT c.m, c.u, c.s, c.a FROM c
    WHERE NOT EXISTS (SELECT 1 FROM presented_message p WHERE p.message_id = c.m)
    ON CONFLICT DO NOTHING;
    SELECT apply_tally_deltas();
$$;
