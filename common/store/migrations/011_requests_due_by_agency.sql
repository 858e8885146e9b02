-- 011: the dispatcher claims the due requests of each agency oldest first (LIMIT its free
-- in-flight slots). With the due index on next_attempt_at alone it read every due request of
-- both agencies and sorted them at each claim - about 10 ms with a backlog of thousands; by
-- agency, the scan stops after the rows it takes.
CREATE INDEX agency_requests_due_by_agency ON agency_requests (agency, next_attempt_at)
    WHERE state = 'pending';
DROP INDEX agency_requests_due;
