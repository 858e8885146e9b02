-- 003: decisions (PROCESS.md ¶13): hearings before a refusal, e-mail notices, and the wake-up
-- of the decision workers.

-- A hearing offered to the applicant before a refusal: the grounds, when and how it is held,
-- the latest moment its notice may be sent (3 WD before the service term ends), and what
-- the notice and the hearing came to.
CREATE TABLE hearings (
    hearing_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE REFERENCES applications,
    grounds        jsonb NOT NULL,
    proposed_at    timestamptz NOT NULL,
    notice_due     timestamptz NOT NULL,   -- ¶13: at least 3 WD before the service term ends
    hearing_at     timestamptz NOT NULL,   -- ¶13: no later than 2 WD after the notice
    means          text NOT NULL,
    email          text NOT NULL,
    notice_sent_at timestamptz,
    outcome        text CHECK (outcome IN ('refusal_confirmed', 'refusal_withdrawn')),
    concluded_at   timestamptz,
    outcome_event  text
);

-- E-mail to send (transactional outbox for SMTP): a row is written in the deciding
-- transaction; the mailer sends it and records sent_at only when the server accepted it.
CREATE TABLE email_outbox (
    id              bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    kind            text NOT NULL CHECK (kind IN ('hearing_notice')),
    ref             text NOT NULL,
    to_addr         text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (kind, ref)
);
CREATE INDEX email_outbox_unsent ON email_outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE FUNCTION email_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_mail', '');
    RETURN NULL;
END $$;
CREATE TRIGGER email_inserted AFTER INSERT ON email_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION email_notify();

-- Applications reaching awaiting_decision wake the decision workers.
CREATE FUNCTION decide_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.to_stage = 'awaiting_decision' THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transitions_decide AFTER INSERT ON transitions
    FOR EACH ROW EXECUTE FUNCTION decide_notify();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT, UPDATE ON hearings, email_outbox TO lic_worker;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO lic_worker;
    END IF;
END $$;
