-- Nothing to change on PostgreSQL: its counters have been folded from deltas once per batch since
-- 0006. SQLite's 0011 does the same there; the number keeps both backends' schema versions in step.
SELECT 1;
