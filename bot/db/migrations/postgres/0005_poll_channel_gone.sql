-- A deleted channel takes the votes of the weekly polls posted in it, as it takes its picks' votes.
CREATE INDEX weekly_poll_by_channel ON weekly_poll (channel_id);

CREATE FUNCTION vote_change_poll_channel_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.op = 'channel-gone' THEN
        DELETE FROM vote_source
        WHERE message_id IN (SELECT message_id FROM weekly_poll WHERE channel_id = NEW.message_id);
        DELETE FROM weekly_poll WHERE channel_id = NEW.message_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vote_change_c_poll_channel_gone INSTEAD OF INSERT ON vote_change
    FOR EACH ROW EXECUTE FUNCTION vote_change_poll_channel_gone();
