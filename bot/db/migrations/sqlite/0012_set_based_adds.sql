-- A run of added reactions as one set, as PostgreSQL has done since its 0007: the sources of every
-- add whose message was recorded in one INSERT … SELECT (joined to presented_message once), the rest
-- kept as orphans, then the counter deltas folded, all in one statement. Adds need no order among
-- themselves (adding a source twice is adding it once), so the writer sends each run of adds here and
-- everything else through vote_batch, in order. 20,000 adds on five picks: about half the time of
-- going row by row through vote_change's triggers (bench/votes_ingest.py).
CREATE VIEW vote_add_batch AS SELECT NULL AS rows;
CREATE TRIGGER vote_add_batch_apply INSTEAD OF INSERT ON vote_add_batch BEGIN
    INSERT INTO vote_source (message_id, user_id, source, guild_id, title_id, created_at)
    SELECT p.message_id, j.value ->> 2, j.value ->> 3, p.guild_id, p.title_id, j.value ->> 4
    FROM json_each(NEW.rows) j JOIN presented_message p ON p.message_id = j.value ->> 1
    WHERE true ON CONFLICT DO NOTHING;

    INSERT INTO orphan_source (message_id, user_id, source, created_at)
    SELECT j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4
    FROM json_each(NEW.rows) j
    WHERE NOT EXISTS (SELECT 1 FROM presented_message p WHERE p.message_id = j.value ->> 1)
    ON CONFLICT DO NOTHING;

    -- The counter deltas folded: vote_batch with no rows only folds (0011).
    INSERT INTO vote_batch (rows) VALUES (NULL);
END;
