-- 018: what the planner may assume about agency_requests.application_id - two requests an
-- application at most (one an agency, UNIQUE (application_id, agency)), so half as many
-- distinct values as rows however large the table grows, rather than a distinct count an
-- ANALYZE of the small table would store as an absolute number. The setting takes effect at
-- the table's next ANALYZE: now, when it has rows; otherwise at autovacuum's first.
-- Written for the dispatcher's stall in the benchmark's lifecycle (the batch read of requests
-- by application planned as a sequential scan, "rows=506124" estimated for 128). That plan
-- turned out to come from no statistics at all - the benchmark's new table is not analysed
-- for its first minutes, and without statistics the planner's default selectivity makes 128
-- ids match most of the table - which this setting cannot change; the read itself was
-- rewritten to be planned as index lookups whatever the statistics (apv_lock_many()). This
-- stays for the estimates once the table has statistics.
ALTER TABLE agency_requests ALTER COLUMN application_id SET (n_distinct = -0.5);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM agency_requests) THEN
        ANALYZE agency_requests;
    END IF;
END $$;
