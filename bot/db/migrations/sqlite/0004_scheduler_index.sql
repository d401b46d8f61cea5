-- The scheduler asks every minute for posts left half-done; without this it read every server's row.
CREATE INDEX poll_schedule_posting ON poll_schedule (posting_slot) WHERE posting_slot IS NOT NULL;
