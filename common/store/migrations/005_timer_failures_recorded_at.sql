-- 005: a timer whose firing the database rejects no longer holds every other timer back, and
-- every transition keeps the wall-clock time it was written at.

-- A timer that cannot be fired (its firing is rejected by the database: a constraint, a bad
-- reference) is set aside with the error and an incident, instead of being retried forever in
-- front of the others.
ALTER TABLE timers ADD COLUMN failed_at timestamptz, ADD COLUMN error text;
DROP INDEX timers_open;
CREATE INDEX timers_open ON timers (due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL;

-- `at` is the time by the configured clock (the legal time of the change, which tests move);
-- recorded_at is when the row was written, to the microsecond: operators' latency figures and
-- the benchmark's per-stage latencies come from it.
ALTER TABLE transitions ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT clock_timestamp();
