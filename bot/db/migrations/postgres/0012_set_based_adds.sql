-- Nothing to change on PostgreSQL: runs of adds have gone in as one set since 0007 (apply_vote_adds).
-- SQLite's 0012 does the same there; the number keeps both backends' schema versions in step.
SELECT 1;
