-- 018: what the planner may assume about agency_requests.application_id - two requests an
-- application at most (one an agency, UNIQUE (application_id, agency)), so half as many
-- distinct values as rows however large the table grows. Without it, an ANALYZE of the table
-- while it is small (every application's requests in the sample, each value seen twice) stores
-- the distinct count as an absolute number - a few hundred, say - and the planner keeps
-- dividing the growing table by it: the batch read of requests by application
-- (apv_lock_many(), `application_id = ANY (...)`, 128-500 ids) was then planned as a sequential
-- scan of the whole table, 150-280 ms instead of ~3 ms, until autovacuum analysed the table
-- again. In the benchmark's lifecycle that was the dispatcher's stall, two minutes in, at one
-- round a second for 24-63 s (auto_explain: "Seq Scan on agency_requests ... rows=506124
-- (actual rows=128)"; the stall ended with the automatic analyze of the table). A deployment
-- starts with the table empty as well, and a large table is analysed again only after a tenth
-- of it has changed.
-- The setting takes effect at the table's next ANALYZE: now, when it has rows; otherwise at
-- autovacuum's first. (An ANALYZE of the empty table, as in a new database, measured worse: the
-- benchmark's first minute ran at a round a second until autovacuum analysed the table.)
ALTER TABLE agency_requests ALTER COLUMN application_id SET (n_distinct = -0.5);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM agency_requests) THEN
        ANALYZE agency_requests;
    END IF;
END $$;
