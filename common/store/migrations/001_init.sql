-- 001: the application's state machine, intake tables, exactly-once bookkeeping, outbox.
-- Applied by `approvalctl migrate` as the schema owner; the workers' role (lic_worker) gets
-- only the privileges it needs (see the GRANTs at the end).

CREATE TABLE stages (
    name  text PRIMARY KEY,
    final boolean NOT NULL
);
INSERT INTO stages (name, final) VALUES
    ('none', false), ('registered', false), ('refused_incomplete', true),
    ('awaiting_approvals', false), ('awaiting_replies', false), ('awaiting_decision', false),
    ('refusal_proposed', false), ('license_issued', true), ('license_reissued', true),
    ('refused', true);

-- The one table of legal transitions; common/domain.c holds the same (a test compares).
CREATE TABLE stage_transitions (
    from_stage text NOT NULL REFERENCES stages (name),
    to_stage   text NOT NULL REFERENCES stages (name),
    PRIMARY KEY (from_stage, to_stage)
);
INSERT INTO stage_transitions (from_stage, to_stage) VALUES
    ('none', 'registered'),
    ('registered', 'refused_incomplete'),
    ('registered', 'awaiting_approvals'),
    ('registered', 'awaiting_decision'),
    ('awaiting_approvals', 'awaiting_replies'),
    ('awaiting_approvals', 'awaiting_decision'),
    ('awaiting_replies', 'awaiting_decision'),
    ('awaiting_decision', 'license_issued'),
    ('awaiting_decision', 'license_reissued'),
    ('awaiting_decision', 'refusal_proposed'),
    ('refusal_proposed', 'refused'),
    ('refusal_proposed', 'license_issued'),
    ('refusal_proposed', 'license_reissued');

CREATE TABLE applications (
    application_id   uuid PRIMARY KEY,
    portal_ref       text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('issue', 'reissue', 'reissue_split')),
    stage            text NOT NULL REFERENCES stages (name),
    submitted_at     timestamptz NOT NULL,
    registered_at    timestamptz NOT NULL,
    completeness_due timestamptz NOT NULL,
    service_deadline timestamptz NOT NULL,
    executor         text NOT NULL,
    paper_copy       boolean NOT NULL DEFAULT false,
    source_event_id  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_portal_ref ON applications (portal_ref);
CREATE INDEX applications_stage ON applications (stage);

CREATE TABLE applicants (
    application_id uuid PRIMARY KEY REFERENCES applications ON DELETE CASCADE,
    type           text NOT NULL CHECK (type IN ('individual', 'legal_entity')),
    iin            char(12),
    bin            char(12),
    name           text NOT NULL,
    address        text NOT NULL,
    email          text NOT NULL,
    phone          text,
    CHECK ((type = 'individual' AND iin IS NOT NULL) OR (type = 'legal_entity' AND bin IS NOT NULL))
);
CREATE INDEX applicants_iin ON applicants (iin) WHERE iin IS NOT NULL;
CREATE INDEX applicants_bin ON applicants (bin) WHERE bin IS NOT NULL;

CREATE TABLE application_subtypes (
    application_id uuid NOT NULL REFERENCES applications ON DELETE CASCADE,
    code           smallint NOT NULL CHECK (code BETWEEN 1 AND 9),
    PRIMARY KEY (application_id, code)
);

CREATE TABLE production_bases (
    application_id uuid PRIMARY KEY REFERENCES applications ON DELETE CASCADE,
    region         text NOT NULL,
    address        text NOT NULL
);

CREATE TABLE application_documents (
    application_id uuid NOT NULL REFERENCES applications ON DELETE CASCADE,
    seq            integer NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('application_form', 'fee_receipt',
                                                 'qualification', 'change_evidence')),
    doc_id         text NOT NULL,
    sha256         char(64) NOT NULL,
    signed_by      char(12),
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE fees (
    application_id uuid PRIMARY KEY REFERENCES applications ON DELETE CASCADE,
    paid_via       text NOT NULL CHECK (paid_via IN ('egov_gateway', 'bank', 'none')),
    amount_kzt     bigint NOT NULL CHECK (amount_kzt >= 0),
    payment_ref    text,
    due_kzt        bigint NOT NULL
);

CREATE TABLE reissue_requests (
    application_id uuid PRIMARY KEY REFERENCES applications ON DELETE CASCADE,
    license_number text NOT NULL,
    annex_only     boolean NOT NULL,
    reorganization text CHECK (reorganization IN ('merger', 'transformation', 'accession',
                                                  'spin_off', 'split'))
);

CREATE TABLE reissue_grounds (
    application_id uuid NOT NULL REFERENCES applications ON DELETE CASCADE,
    ground         text NOT NULL,
    PRIMARY KEY (application_id, ground)
);

-- Append-only history: one row per state change, written in the transaction of the change.
CREATE TABLE transitions (
    id              bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    from_stage      text NOT NULL,
    to_stage        text NOT NULL,
    at              timestamptz NOT NULL,
    cause_kind      text NOT NULL CHECK (cause_kind IN ('event', 'timer', 'actor')),
    cause_event_id  text,
    cause_topic     text,
    cause_partition integer,
    cause_offset    bigint,
    cause_timer_id  bigint,
    cause_actor     text,
    FOREIGN KEY (from_stage, to_stage) REFERENCES stage_transitions (from_stage, to_stage),
    CHECK (cause_kind <> 'event' OR (cause_event_id IS NOT NULL AND cause_topic IS NOT NULL
                                     AND cause_partition IS NOT NULL AND cause_offset IS NOT NULL))
);
CREATE INDEX transitions_application ON transitions (application_id, id);

CREATE FUNCTION transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transitions is append-only';
END $$;
CREATE TRIGGER transitions_no_update BEFORE UPDATE OR DELETE ON transitions
    FOR EACH ROW EXECUTE FUNCTION transitions_append_only();

-- Documents the service issues: reasoned refusals (Appendix 2), licenses and annexes
-- (Appendix 3). Numbers come from document_counters, updated in the issuing transaction, so
-- a rolled-back transaction leaves no gap.
CREATE TABLE issued_documents (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications,
    kind           text NOT NULL CHECK (kind IN ('refusal', 'license', 'annex')),
    number         text NOT NULL,
    year           integer NOT NULL,
    seq            integer NOT NULL,
    issued_at      timestamptz NOT NULL,
    body           jsonb NOT NULL,
    UNIQUE (kind, year, seq)
);
CREATE INDEX issued_documents_application ON issued_documents (application_id);

CREATE TABLE document_counters (
    licensor   text NOT NULL,
    kind       text NOT NULL,
    year       integer NOT NULL,
    last_value integer NOT NULL,
    PRIMARY KEY (licensor, kind, year)
);

-- Round-robin executor assignment (¶8); gaps do not matter, so a sequence avoids a hot row.
CREATE SEQUENCE executor_rr;

-- Exactly-once consumption: the next offset per consumer and partition is stored in the
-- same transaction as the state changes it caused; consumers start from it on assignment.
CREATE TABLE consumer_offsets (
    consumer    text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);

-- CloudEvent ids already processed, per consumer: the portal may send one event twice.
CREATE TABLE processed_events (
    consumer     text NOT NULL,
    event_id     text NOT NULL,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Bad input, recorded where it was rejected; the message itself goes out through the outbox.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    consumer    text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    reason      text NOT NULL,
    msg_key     bytea,
    payload     bytea NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (consumer, topic, partition, "offset")
);

-- Transactional outbox: every message the workers publish is written here in the
-- transaction that decided it; the relay publishes rows in id order and marks them sent.
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    topic          text NOT NULL,
    msg_key        bytea,
    payload        bytea NOT NULL,
    headers        jsonb NOT NULL DEFAULT '[]',
    event_id       text,
    application_id uuid,
    stage          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Least privilege for the workers' role, when it exists (the local stack creates it).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT ON stages, stage_transitions, schema_migrations TO lic_worker;
        GRANT SELECT, INSERT, UPDATE ON applications, applicants, application_subtypes,
            production_bases, application_documents, fees, reissue_requests, reissue_grounds,
            issued_documents, document_counters, consumer_offsets, dead_letters TO lic_worker;
        GRANT SELECT, INSERT ON transitions, processed_events TO lic_worker;
        GRANT SELECT, INSERT, UPDATE, DELETE ON outbox TO lic_worker;
        GRANT DELETE ON processed_events TO lic_worker;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO lic_worker;
    END IF;
END $$;
