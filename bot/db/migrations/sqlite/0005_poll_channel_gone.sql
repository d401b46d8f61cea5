-- A deleted channel takes the votes of the weekly polls posted in it, as it takes its picks' votes.
CREATE INDEX weekly_poll_by_channel ON weekly_poll (channel_id);

CREATE TRIGGER vote_change_poll_channel_gone INSTEAD OF INSERT ON vote_change WHEN NEW.op = 'channel-gone' BEGIN
    DELETE FROM vote_source
    WHERE message_id IN (SELECT message_id FROM weekly_poll WHERE channel_id = NEW.message_id);
    DELETE FROM weekly_poll WHERE channel_id = NEW.message_id;
END;
