-- Payment lines are vacuumed and analysed after a small share of them changed, not PostgreSQL's default 20 %.
-- Recording a result rewrites its line (status, reference, paid date), so paying a month leaves one dead row version
-- per line, and a month is a small share of a growing history: at 400,000 lines a month over 5,000,000 kept, the
-- default waits about three months before vacuuming. Until then every cycle reads the dead versions beside the
-- live ones: one batch of 5,000 people's paid months took 0.9 s before VACUUM and 0.17 s after (bench/payments.ts,
-- 1M people, 12 paid months). Analysing after 2 % also gives the planner the new month's periods before the next
-- cycle reads them.
ALTER TABLE payments SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
