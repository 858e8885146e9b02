-- 015: the references the lifecycle writes by the hundred a statement - an application's
-- history, its agency requests, their replies, its timers, its documents and its license -
-- checked once a statement instead of once a row. A foreign key checks each new row with a
-- query of its own (and a KEY SHARE lock on the referenced row): measured in psql on the
-- benchmark's database, 500 history rows took 8.7-16.8 ms to insert with the key, 4.1-6.7 ms
-- without it and 5.0-9.0 ms with the check below; some 19 such rows an application, and in a
-- 12,000-application lifecycle of the benchmark the statements writing them took 2.1 s less of
-- the server's 37.6 s (pg_stat_statements). The checks run after each statement, as a
-- foreign key's do, over its new rows (a transition table), and fail with a foreign key's
-- SQLSTATE (23503), so the workers tell them apart as before.
--
-- What a foreign key also guarded - the referenced row deleted, or its key changed, after the
-- check - is ruled out instead: applications, agency requests, replies and licenses are public
-- records that are never deleted (the workers' role could not delete them already; now no role
-- can, nor truncate them), and no key of those rows or of the rows referring to them changes.
-- With nothing ever removed, a row the check saw stays there, so the check needs no lock.

-- A foreign key's error when MISSING (the first reference found missing, if any) is not NULL.
CREATE FUNCTION lic_reference_missing(what text, missing text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update violates a reference: % % does not exist', what, missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
END $$;

-- The applications IDS name (NULLs aside) all exist, or a foreign key's error for the first
-- that does not.
CREATE FUNCTION lic_require_applications(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_reference_missing('application',
        (SELECT i::text FROM unnest(ids) i
          WHERE i IS NOT NULL
            AND (SELECT true FROM applications a WHERE a.application_id = i) IS NULL
          LIMIT 1));
END $$;

-- Rows that only ever are added: no delete, no truncate, no key changed.
CREATE FUNCTION lic_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted (%)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE FUNCTION lic_keys_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (to_jsonb(NEW) -> col) IS DISTINCT FROM (to_jsonb(OLD) -> col) THEN
            RAISE EXCEPTION 'the % of a % row never changes', col, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

CREATE TRIGGER applications_never_deleted BEFORE DELETE OR TRUNCATE ON applications
    FOR EACH STATEMENT EXECUTE FUNCTION lic_never_deleted();
CREATE TRIGGER agency_requests_never_deleted BEFORE DELETE OR TRUNCATE ON agency_requests
    FOR EACH STATEMENT EXECUTE FUNCTION lic_never_deleted();
CREATE TRIGGER agency_replies_never_deleted BEFORE DELETE OR TRUNCATE ON agency_replies
    FOR EACH STATEMENT EXECUTE FUNCTION lic_never_deleted();
CREATE TRIGGER licenses_never_deleted BEFORE DELETE OR TRUNCATE ON licenses
    FOR EACH STATEMENT EXECUTE FUNCTION lic_never_deleted();
-- A column-specific trigger fires only for an UPDATE that names the column: no cost otherwise.
CREATE TRIGGER applications_keys BEFORE UPDATE OF application_id ON applications
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER agency_requests_keys BEFORE UPDATE OF request_id, application_id ON agency_requests
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('request_id', 'application_id');
CREATE TRIGGER agency_replies_keys BEFORE UPDATE OF id, request_id, application_id ON agency_replies
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('id', 'request_id', 'application_id');
CREATE TRIGGER licenses_keys BEFORE UPDATE OF number, application_id ON licenses
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('number', 'application_id');
CREATE TRIGGER timers_keys BEFORE UPDATE OF application_id ON timers
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER issued_documents_keys BEFORE UPDATE OF application_id ON issued_documents
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER license_versions_keys BEFORE UPDATE OF number, application_id ON license_versions
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('number', 'application_id');

-- Each check looks every new row's parent up by its primary key (a subquery per row, which the
-- planner cannot turn into a hash of the whole parent table) and names the first one missing.

-- The history: the check joins the wake-ups of migration 010, one trigger a statement.
CREATE OR REPLACE FUNCTION transitions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    -- Applications reaching awaiting_approvals wake the dispatchers, those reaching
    -- awaiting_decision the decision workers.
    IF EXISTS (SELECT 1 FROM inserted WHERE to_stage = 'awaiting_approvals') THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    IF EXISTS (SELECT 1 FROM inserted WHERE to_stage = 'awaiting_decision') THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    RETURN NULL;
END $$;
ALTER TABLE transitions DROP CONSTRAINT transitions_application_id_fkey;

-- Timers: the check joins the wake-up of migration 012.
CREATE OR REPLACE FUNCTION timers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    PERFORM pg_notify('lic_timers',
                      coalesce((SELECT extract(epoch FROM min(due_at))::bigint::text FROM inserted), ''));
    RETURN NULL;
END $$;
ALTER TABLE timers DROP CONSTRAINT timers_application_id_fkey;

-- Rows whose application_id must name an application (NULL allowed where the column is).
CREATE FUNCTION lic_check_application() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;
CREATE TRIGGER issued_documents_reference AFTER INSERT ON issued_documents
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION lic_check_application();
ALTER TABLE issued_documents DROP CONSTRAINT issued_documents_application_id_fkey;
CREATE TRIGGER licenses_reference AFTER INSERT ON licenses
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION lic_check_application();
ALTER TABLE licenses DROP CONSTRAINT licenses_application_id_fkey;

-- A license's versions: its license and its application.
CREATE FUNCTION license_versions_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_reference_missing('license',
        (SELECT i.number FROM inserted i
          WHERE (SELECT true FROM licenses l WHERE l.number = i.number) IS NULL LIMIT 1));
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;
CREATE TRIGGER license_versions_reference AFTER INSERT ON license_versions
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION license_versions_check();
ALTER TABLE license_versions DROP CONSTRAINT license_versions_number_fkey,
    DROP CONSTRAINT license_versions_application_id_fkey;

-- Agency requests: their application when written; the reply that became the outcome when
-- an update sets it (an update statement of requests carries its rows, the check reads only
-- those with a reply).
CREATE TRIGGER agency_requests_reference AFTER INSERT ON agency_requests
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION lic_check_application();
CREATE FUNCTION agency_requests_reply_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_reference_missing('agency reply',
        (SELECT i.reply_id::text FROM inserted i
          WHERE i.reply_id IS NOT NULL
            AND (SELECT true FROM agency_replies r WHERE r.id = i.reply_id) IS NULL
          LIMIT 1));
    RETURN NULL;
END $$;
CREATE TRIGGER agency_requests_reply_reference AFTER UPDATE ON agency_requests
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION agency_requests_reply_check();
ALTER TABLE agency_requests DROP CONSTRAINT agency_requests_application_id_fkey,
    DROP CONSTRAINT agency_requests_reply_id_fkey;

-- A reply: its request, which must be one of the reply's application (one lookup where the
-- two keys made two, and a reply can no longer name another application than its request's).
CREATE FUNCTION agency_replies_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_reference_missing('agency request',
        (SELECT i.request_id || ' of application ' || i.application_id FROM inserted i
          WHERE (SELECT true FROM agency_requests q
                  WHERE q.request_id = i.request_id AND q.application_id = i.application_id)
                IS NULL
          LIMIT 1));
    RETURN NULL;
END $$;
CREATE TRIGGER agency_replies_reference AFTER INSERT ON agency_replies
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION agency_replies_check();
ALTER TABLE agency_replies DROP CONSTRAINT agency_replies_request_id_fkey,
    DROP CONSTRAINT agency_replies_application_id_fkey;
