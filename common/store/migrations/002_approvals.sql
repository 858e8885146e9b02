-- 002: agency approvals (PROCESS.md ¶11-¶12): requests sent over HTTP, replies received on the
-- callback topics, durable timers for every deadline, incidents operators must see.

-- One approval request per application and agency. The request id (the Idempotency-Key) and
-- the exact body are stored before the first attempt, so every retry repeats both.
CREATE TABLE agency_requests (
    request_id      uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    agency          text NOT NULL CHECK (agency IN ('industrial_safety', 'sanitary')),
    region          text NOT NULL,
    base_url        text NOT NULL,
    body            jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'received', 'rejected')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status     integer,
    last_error      text,
    send_due        timestamptz NOT NULL,   -- ¶11: 2 WD from registration
    received_at     timestamptz,            -- the agency's receipt: the window starts here
    reply_due_at    timestamptz,            -- ¶12: 10 WD from received_at
    outcome         text CHECK (outcome IN ('compliant', 'non_compliant', 'deemed_approved')),
    outcome_at      timestamptz,
    reasons         jsonb,
    reply_id        bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, agency),
    CHECK (state <> 'received' OR (received_at IS NOT NULL AND reply_due_at IS NOT NULL)),
    CHECK (outcome IS NULL OR outcome_at IS NOT NULL)
);
CREATE INDEX agency_requests_due ON agency_requests (next_attempt_at) WHERE state = 'pending';

-- Every reply that passed verification, counted or not (duplicate, late, after deemed).
CREATE TABLE agency_replies (
    id              bigserial PRIMARY KEY,
    request_id      uuid NOT NULL REFERENCES agency_requests,
    application_id  uuid NOT NULL REFERENCES applications,
    agency          text NOT NULL,
    verdict         text NOT NULL CHECK (verdict IN ('compliant', 'non_compliant')),
    reasons         jsonb NOT NULL DEFAULT '[]',
    decided_at      timestamptz NOT NULL,
    signer          text NOT NULL,
    key_id          text NOT NULL,
    event_id        text NOT NULL,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    "offset"        bigint NOT NULL,
    arrived_at      timestamptz NOT NULL,
    counted         boolean NOT NULL,
    ignored_reason  text CHECK (ignored_reason IN ('duplicate', 'late', 'after_deemed')),
    CHECK (counted = (ignored_reason IS NULL))
);
CREATE INDEX agency_replies_request ON agency_replies (request_id);
ALTER TABLE agency_requests ADD FOREIGN KEY (reply_id) REFERENCES agency_replies (id);

-- Durable timers: one row per deadline of an application. Timer workers claim due rows with
-- FOR UPDATE SKIP LOCKED; an insert notifies them so an earlier timer wakes a sleeping one.
CREATE TABLE timers (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications,
    kind           text NOT NULL,
    ref            text NOT NULL DEFAULT '',
    due_at         timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    fired_at       timestamptz,
    cancelled_at   timestamptz,
    UNIQUE (application_id, kind, ref)
);
CREATE INDEX timers_open ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

CREATE FUNCTION timers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_timers', '');
    RETURN NULL;
END $$;
CREATE TRIGGER timers_inserted AFTER INSERT ON timers
    FOR EACH STATEMENT EXECUTE FUNCTION timers_notify();

-- Applications reaching awaiting_approvals wake the dispatchers.
CREATE FUNCTION dispatch_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.to_stage = 'awaiting_approvals' THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transitions_dispatch AFTER INSERT ON transitions
    FOR EACH ROW EXECUTE FUNCTION dispatch_notify();

-- What an operator must look at: a request an agency rejected, a send limit passed, ...
CREATE TABLE incidents (
    id             bigserial PRIMARY KEY,
    application_id uuid REFERENCES applications,
    kind           text NOT NULL,
    ref            text NOT NULL DEFAULT '',
    detail         text NOT NULL,
    at             timestamptz NOT NULL,
    resolved_at    timestamptz,
    UNIQUE (application_id, kind, ref)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT, UPDATE ON agency_requests, agency_replies, timers, incidents
            TO lic_worker;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO lic_worker;
    END IF;
END $$;
