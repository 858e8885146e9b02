-- common/store/schema.sql: the schema the migrations build, written by deploy/schema.sh
-- (pg_dump --schema-only of a migrated database). To read, not to apply; do not edit.
--
-- PostgreSQL database dump
--

--
-- Name: agency_replies_check(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.agency_replies_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_reference_missing('agency request',
        (SELECT i.request_id || ' of application ' || i.application_id FROM inserted i
          WHERE (SELECT true FROM agency_requests q
                  WHERE q.request_id = i.request_id AND q.application_id = i.application_id)
                IS NULL
          LIMIT 1));
    RETURN NULL;
END $$;

--
-- Name: agency_requests_reply_check(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.agency_requests_reply_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_reference_missing('agency reply',
        (SELECT i.reply_id::text FROM inserted i
          WHERE i.reply_id IS NOT NULL
            AND (SELECT true FROM agency_replies r WHERE r.id = i.reply_id) IS NULL
          LIMIT 1));
    RETURN NULL;
END $$;

--
-- Name: applications_ground_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.applications_ground_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('lic_decide', '');
    RETURN NULL;
END $$;

--
-- Name: email_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.email_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('lic_mail', '');
    RETURN NULL;
END $$;

--
-- Name: grounds_pending(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.grounds_pending() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE applications SET ground_pending = true
    WHERE application_id IN (SELECT application_id FROM inserted) AND NOT ground_pending;
    RETURN NULL;
END $$;

--
-- Name: issued_documents_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.issued_documents_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('lic_notary', '');
    RETURN NULL;
END $$;

--
-- Name: lic_check_application(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_check_application() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;

--
-- Name: lic_keys_unchanged(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_keys_unchanged() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: lic_never_deleted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_never_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted (%)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

--
-- Name: lic_reference_missing(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_reference_missing(what text, missing text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update violates a reference: % % does not exist', what, missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
END $$;

--
-- Name: lic_require_applications(uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_require_applications(ids uuid[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_reference_missing('application',
        (SELECT i::text FROM unnest(ids) i
          WHERE i IS NOT NULL
            AND (SELECT true FROM applications a WHERE a.application_id = i) IS NULL
          LIMIT 1));
END $$;

--
-- Name: lic_set_stage(uuid, text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_set_stage(app uuid, from_stage text, to_stage text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE applications SET stage = to_stage, updated_at = now()
     WHERE application_id = app AND stage = from_stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'application % is not in stage %', app, from_stage
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

--
-- Name: lic_set_stages(json); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_set_stages(changes json) RETURNS void
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
DECLARE
    wanted integer;
    done integer;
BEGIN
    SELECT count(*) INTO wanted FROM json_array_elements(changes);
    UPDATE applications a SET stage = c.to_stage, updated_at = now()
      FROM json_to_recordset(changes) AS c(application_id uuid, from_stage text, to_stage text)
     WHERE a.application_id = c.application_id AND a.stage = c.from_stage;
    GET DIAGNOSTICS done = ROW_COUNT;
    IF done <> wanted THEN
        RAISE EXCEPTION '% of % applications are not in the stage their change starts from',
            wanted - done, wanted USING ERRCODE = 'check_violation';
    END IF;
END $$;

--
-- Name: lic_stage_checks(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lic_stage_checks() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    known text[];
    legal text[];
BEGIN
    SELECT array_agg(name ORDER BY name) INTO known FROM stages;
    SELECT array_agg(from_stage || '>' || to_stage ORDER BY from_stage, to_stage) INTO legal
      FROM stage_transitions WHERE NOT retired;
    ALTER TABLE applications DROP CONSTRAINT IF EXISTS applications_stage_known;
    EXECUTE format('ALTER TABLE applications ADD CONSTRAINT applications_stage_known'
                   ' CHECK (stage = ANY (%L::text[]))', known);
    ALTER TABLE transitions DROP CONSTRAINT IF EXISTS transitions_legal;
    -- NOT VALID: enforced on new rows, not on the history (which may hold retired moves).
    EXECUTE format('ALTER TABLE transitions ADD CONSTRAINT transitions_legal'
                   ' CHECK (from_stage || ''>'' || to_stage = ANY (%L::text[])) NOT VALID',
                   legal);
END $$;

--
-- Name: license_versions_check(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.license_versions_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_reference_missing('license',
        (SELECT i.number FROM inserted i
          WHERE (SELECT true FROM licenses l WHERE l.number = i.number) IS NULL LIMIT 1));
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;

--
-- Name: outbox_hold_for_signature(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.outbox_hold_for_signature() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM issued_documents d
               WHERE d.application_id = NEW.application_id AND d.signed_at IS NULL) THEN
        NEW.held_by := 'notary';
    END IF;
    RETURN NEW;
END $$;

--
-- Name: outbox_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('lic_outbox', '');
    RETURN NULL;
END $$;

--
-- Name: registry_rows_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.registry_rows_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;

--
-- Name: reply_windows_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.reply_windows_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    missing text;
    due bigint;
BEGIN
    SELECT (SELECT i.request_id::text FROM inserted i
             WHERE (SELECT true FROM agency_requests q WHERE q.request_id = i.request_id
                       AND q.application_id = i.application_id) IS NULL
             LIMIT 1),
           extract(epoch FROM min(due_at) FILTER (WHERE failed_at IS NULL))::bigint
      INTO missing, due
      FROM inserted;
    PERFORM lic_reference_missing('agency request of the application', missing);
    IF due IS NOT NULL THEN
        PERFORM pg_notify('lic_timers', due::text);
    END IF;
    RETURN NULL;
END $$;

--
-- Name: timers_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.timers_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    PERFORM pg_notify('lic_timers',
                      coalesce((SELECT extract(epoch FROM min(due_at))::bigint::text FROM inserted), ''));
    RETURN NULL;
END $$;

--
-- Name: transitions_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.transitions_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'transitions is append-only';
END $$;

--
-- Name: transitions_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.transitions_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    missing text;
    dispatch boolean;
    decide boolean;
    registries boolean;
BEGIN
    SELECT (SELECT i.application_id::text FROM inserted i
             WHERE (SELECT true FROM applications a
                     WHERE a.application_id = i.application_id) IS NULL
             LIMIT 1),
           bool_or(to_stage = 'awaiting_approvals'), bool_or(to_stage = 'awaiting_decision'),
           bool_or(to_stage = 'awaiting_registries')
      INTO missing, dispatch, decide, registries
      FROM inserted;
    IF missing IS NOT NULL THEN
        PERFORM lic_reference_missing('application', missing);
    END IF;
    IF dispatch THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    IF decide THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    IF registries THEN
        PERFORM pg_notify('lic_registries', '');
    END IF;
    RETURN NULL;
END $$;

--
-- Name: agency_replies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agency_replies (
    id bigint NOT NULL,
    request_id uuid NOT NULL,
    application_id uuid NOT NULL,
    agency text NOT NULL,
    verdict text NOT NULL,
    reasons jsonb DEFAULT '[]'::jsonb NOT NULL,
    decided_at timestamp with time zone NOT NULL,
    signer text NOT NULL,
    key_id text NOT NULL,
    event_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    arrived_at timestamp with time zone NOT NULL,
    counted boolean NOT NULL,
    ignored_reason text,
    CONSTRAINT agency_replies_check CHECK ((counted = (ignored_reason IS NULL))),
    CONSTRAINT agency_replies_ignored_reason_check CHECK ((ignored_reason = ANY (ARRAY['duplicate'::text, 'late'::text, 'after_deemed'::text]))),
    CONSTRAINT agency_replies_verdict_check CHECK ((verdict = ANY (ARRAY['compliant'::text, 'non_compliant'::text])))
);

--
-- Name: agency_replies_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.agency_replies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: agency_replies_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.agency_replies_id_seq OWNED BY public.agency_replies.id;

--
-- Name: agency_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agency_requests (
    request_id uuid NOT NULL,
    application_id uuid NOT NULL,
    agency text NOT NULL,
    region text NOT NULL,
    base_url text NOT NULL,
    body jsonb NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_status integer,
    last_error text,
    send_due timestamp with time zone NOT NULL,
    received_at timestamp with time zone,
    reply_due_at timestamp with time zone,
    outcome text,
    outcome_at timestamp with time zone,
    reasons jsonb,
    reply_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT agency_requests_agency_check CHECK ((agency = ANY (ARRAY['industrial_safety'::text, 'sanitary'::text]))),
    CONSTRAINT agency_requests_check CHECK (((state <> 'received'::text) OR ((received_at IS NOT NULL) AND (reply_due_at IS NOT NULL)))),
    CONSTRAINT agency_requests_check1 CHECK (((outcome IS NULL) OR (outcome_at IS NOT NULL))),
    CONSTRAINT agency_requests_outcome_check CHECK ((outcome = ANY (ARRAY['compliant'::text, 'non_compliant'::text, 'deemed_approved'::text]))),
    CONSTRAINT agency_requests_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'received'::text, 'rejected'::text])))
)
WITH (fillfactor='80');
ALTER TABLE ONLY public.agency_requests ALTER COLUMN application_id SET (n_distinct=-0.5);

--
-- Name: applicants; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.applicants (
    application_id uuid NOT NULL,
    type text NOT NULL,
    iin character(12),
    bin character(12),
    name text NOT NULL,
    address text NOT NULL,
    email text NOT NULL,
    phone text,
    CONSTRAINT applicants_check CHECK ((((type = 'individual'::text) AND (iin IS NOT NULL)) OR ((type = 'legal_entity'::text) AND (bin IS NOT NULL)))),
    CONSTRAINT applicants_type_check CHECK ((type = ANY (ARRAY['individual'::text, 'legal_entity'::text])))
);

--
-- Name: application_documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.application_documents (
    application_id uuid NOT NULL,
    seq integer NOT NULL,
    kind text NOT NULL,
    doc_id text NOT NULL,
    sha256 character(64) NOT NULL,
    signed_by character(12),
    CONSTRAINT application_documents_kind_check CHECK ((kind = ANY (ARRAY['application_form'::text, 'fee_receipt'::text, 'qualification'::text, 'change_evidence'::text])))
);

--
-- Name: application_subtypes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.application_subtypes (
    application_id uuid NOT NULL,
    code smallint NOT NULL,
    CONSTRAINT application_subtypes_code_check CHECK (((code >= 1) AND (code <= 9)))
);

--
-- Name: applications; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.applications (
    application_id uuid NOT NULL,
    portal_ref text NOT NULL,
    kind text NOT NULL,
    stage text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    registered_at timestamp with time zone NOT NULL,
    completeness_due timestamp with time zone NOT NULL,
    service_deadline timestamp with time zone NOT NULL,
    executor text NOT NULL,
    paper_copy boolean DEFAULT false NOT NULL,
    source_event_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    approvals_requested_at timestamp with time zone,
    term_watch_at timestamp with time zone,
    needs_approvals boolean DEFAULT true NOT NULL,
    reviewed_at timestamp with time zone,
    review_warned_at timestamp with time zone,
    ground_pending boolean DEFAULT false NOT NULL,
    special_conditions jsonb,
    CONSTRAINT applications_kind_check CHECK ((kind = ANY (ARRAY['issue'::text, 'reissue'::text, 'reissue_split'::text]))),
    CONSTRAINT applications_special_conditions_check CHECK (((special_conditions IS NULL) OR ((jsonb_typeof((special_conditions -> 'kk'::text)) = 'string'::text) AND (jsonb_typeof((special_conditions -> 'ru'::text)) = 'string'::text)))),
    CONSTRAINT applications_stage_known CHECK ((stage = ANY ('{awaiting_approvals,awaiting_decision,awaiting_registries,awaiting_replies,license_issued,license_reissued,none,refusal_proposed,refused,refused_incomplete,registered}'::text[])))
);

--
-- Name: COLUMN applications.term_watch_at; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.applications.term_watch_at IS 'when the timer worker next looks at the service term (¶7); NULL: nothing to watch';

--
-- Name: calendar_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.calendar_versions (
    version integer NOT NULL,
    digest text NOT NULL,
    data jsonb NOT NULL,
    act text NOT NULL,
    applied_by text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone,
    moved integer DEFAULT 0 NOT NULL,
    CONSTRAINT calendar_versions_digest_check CHECK ((digest ~ '^[0-9a-f]{64}$'::text))
);

--
-- Name: calendar_versions_version_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.calendar_versions_version_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: calendar_versions_version_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.calendar_versions_version_seq OWNED BY public.calendar_versions.version;

--
-- Name: complaints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaints (
    complaint_id uuid NOT NULL,
    application_id uuid NOT NULL,
    filed_at timestamp with time zone NOT NULL,
    registered_at timestamp with time zone NOT NULL,
    addressed_to text NOT NULL,
    text text NOT NULL,
    forward_due timestamp with time zone NOT NULL,
    review_due timestamp with time zone NOT NULL,
    state text DEFAULT 'registered'::text NOT NULL,
    outcome text,
    forwarded_at timestamp with time zone,
    resolved_at timestamp with time zone,
    source_event text NOT NULL,
    resolved_by text,
    CONSTRAINT complaints_addressed_to_check CHECK ((addressed_to = ANY (ARRAY['provider'::text, 'authorized_body'::text]))),
    CONSTRAINT complaints_outcome_check CHECK ((outcome = ANY (ARRAY['satisfied'::text, 'rejected'::text, 'forwarded'::text]))),
    CONSTRAINT complaints_state_check CHECK ((state = ANY (ARRAY['registered'::text, 'forwarded'::text, 'resolved'::text])))
);

--
-- Name: consumer_offsets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consumer_offsets (
    consumer text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: dead_letters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dead_letters (
    id bigint NOT NULL,
    consumer text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    reason text NOT NULL,
    msg_key bytea,
    payload bytea NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    replayed_at timestamp with time zone,
    sha256 text,
    truncated boolean DEFAULT false NOT NULL
);

--
-- Name: dead_letters_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dead_letters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: dead_letters_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dead_letters_id_seq OWNED BY public.dead_letters.id;

--
-- Name: deadline_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deadline_changes (
    id bigint NOT NULL,
    calendar_version integer NOT NULL,
    application_id uuid NOT NULL,
    deadline text NOT NULL,
    ref text NOT NULL,
    old_due timestamp with time zone NOT NULL,
    new_due timestamp with time zone NOT NULL,
    past boolean NOT NULL,
    act text NOT NULL,
    at timestamp with time zone NOT NULL
);

--
-- Name: deadline_changes_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.deadline_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: deadline_changes_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.deadline_changes_id_seq OWNED BY public.deadline_changes.id;

--
-- Name: document_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.document_counters (
    licensor text NOT NULL,
    kind text NOT NULL,
    year integer NOT NULL,
    last_value integer NOT NULL
);

--
-- Name: email_outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.email_outbox (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    kind text NOT NULL,
    ref text NOT NULL,
    to_addr text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    CONSTRAINT email_outbox_kind_check CHECK ((kind = ANY (ARRAY['hearing_notice'::text, 'hearing_supplement'::text])))
);

--
-- Name: email_outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.email_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: email_outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.email_outbox_id_seq OWNED BY public.email_outbox.id;

--
-- Name: executor_rr; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.executor_rr
    START WITH 1
    INCREMENT BY 64
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: fees; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fees (
    application_id uuid NOT NULL,
    paid_via text NOT NULL,
    amount_kzt bigint NOT NULL,
    payment_ref text,
    due_kzt bigint NOT NULL,
    paid_at timestamp with time zone,
    mci_year integer,
    mci_kzt bigint,
    CONSTRAINT fees_amount_kzt_check CHECK ((amount_kzt >= 0)),
    CONSTRAINT fees_paid_via_check CHECK ((paid_via = ANY (ARRAY['egov_gateway'::text, 'bank'::text, 'none'::text])))
);

--
-- Name: gateway_calls; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.gateway_calls (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    message_id uuid NOT NULL,
    service_id text NOT NULL,
    asked_at timestamp with time zone NOT NULL,
    duration_ms integer NOT NULL,
    tries integer NOT NULL,
    http_status integer,
    outcome text NOT NULL,
    code text,
    message text,
    response_id text,
    CONSTRAINT gateway_calls_outcome_check CHECK ((outcome = ANY (ARRAY['answered'::text, 'fault'::text, 'malformed'::text, 'unavailable'::text, 'circuit_open'::text])))
);

--
-- Name: gateway_calls_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.gateway_calls_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: gateway_calls_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.gateway_calls_id_seq OWNED BY public.gateway_calls.id;

--
-- Name: grounds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.grounds (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    source text NOT NULL,
    code text NOT NULL,
    number integer NOT NULL,
    text_kk text NOT NULL,
    text_ru text NOT NULL,
    rule text NOT NULL,
    evidence jsonb,
    raised_at timestamp with time zone NOT NULL,
    raised_by text,
    CONSTRAINT grounds_source_check CHECK ((source = ANY (ARRAY['registry'::text, 'executor'::text, 'intake'::text])))
);

--
-- Name: grounds_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.grounds_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: grounds_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.grounds_id_seq OWNED BY public.grounds.id;

--
-- Name: hearings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hearings (
    hearing_id uuid NOT NULL,
    application_id uuid NOT NULL,
    grounds jsonb NOT NULL,
    proposed_at timestamp with time zone NOT NULL,
    notice_due timestamp with time zone NOT NULL,
    hearing_at timestamp with time zone NOT NULL,
    means text NOT NULL,
    email text NOT NULL,
    notice_sent_at timestamp with time zone,
    outcome text,
    concluded_at timestamp with time zone,
    outcome_event text,
    concluded_by text,
    term_note text,
    overturned_by text,
    CONSTRAINT hearings_outcome_check CHECK ((outcome = ANY (ARRAY['refusal_confirmed'::text, 'refusal_withdrawn'::text])))
);

--
-- Name: incidents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.incidents (
    id bigint NOT NULL,
    application_id uuid,
    kind text NOT NULL,
    ref text DEFAULT ''::text NOT NULL,
    detail text NOT NULL,
    at timestamp with time zone NOT NULL,
    resolved_at timestamp with time zone
);

--
-- Name: incidents_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.incidents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: incidents_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.incidents_id_seq OWNED BY public.incidents.id;

--
-- Name: issued_documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issued_documents (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    kind text NOT NULL,
    number text NOT NULL,
    year integer NOT NULL,
    seq integer NOT NULL,
    issued_at timestamp with time zone NOT NULL,
    body jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    pdf bytea,
    pdf_sha256 text,
    signature bytea,
    signer_name text,
    signer_iin text,
    signer_serial text,
    signed_at timestamp with time zone,
    sign_error text,
    CONSTRAINT issued_documents_kind_check CHECK ((kind = ANY (ARRAY['refusal'::text, 'license'::text, 'annex'::text]))),
    CONSTRAINT issued_documents_pdf_sha256_check CHECK ((pdf_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT issued_documents_signed_whole CHECK ((((signed_at IS NULL) AND (pdf IS NULL) AND (signature IS NULL)) OR ((signed_at IS NOT NULL) AND (pdf IS NOT NULL) AND (pdf_sha256 IS NOT NULL) AND (signature IS NOT NULL) AND (signer_serial IS NOT NULL))))
);

--
-- Name: issued_documents_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issued_documents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: issued_documents_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issued_documents_id_seq OWNED BY public.issued_documents.id;

--
-- Name: license_annex_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.license_annex_requests (
    application_id uuid NOT NULL,
    license_number text NOT NULL
);

--
-- Name: license_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.license_versions (
    number text NOT NULL,
    version integer NOT NULL,
    application_id uuid,
    kind text NOT NULL,
    holder_id character(12) NOT NULL,
    holder_name text NOT NULL,
    issued_on date NOT NULL,
    annex_only boolean DEFAULT false NOT NULL,
    CONSTRAINT license_versions_kind_check CHECK ((kind = ANY (ARRAY['issue'::text, 'reissue'::text, 'reissue_split'::text, 'import'::text])))
);

--
-- Name: licenses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.licenses (
    number text NOT NULL,
    holder_type text NOT NULL,
    holder_id character(12) NOT NULL,
    holder_name text NOT NULL,
    first_issued_on date NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    application_id uuid,
    imported boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    annexes integer DEFAULT 1 NOT NULL,
    CONSTRAINT licenses_annexes_check CHECK ((annexes >= 1)),
    CONSTRAINT licenses_holder_type_check CHECK ((holder_type = ANY (ARRAY['individual'::text, 'legal_entity'::text])))
);

--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    topic text NOT NULL,
    msg_key bytea,
    payload bytea NOT NULL,
    headers jsonb DEFAULT '[]'::jsonb NOT NULL,
    event_id text,
    application_id uuid,
    stage text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    set_aside_at timestamp with time zone,
    error text,
    discarded_at timestamp with time zone,
    held_by text
);

--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.outbox_id_seq OWNED BY public.outbox.id;

--
-- Name: processed_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: production_bases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.production_bases (
    application_id uuid NOT NULL,
    region text NOT NULL,
    address text NOT NULL
);

--
-- Name: registry_answers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registry_answers (
    application_id uuid NOT NULL,
    service_id text NOT NULL,
    message_id uuid NOT NULL,
    answered_at timestamp with time zone NOT NULL,
    answer jsonb NOT NULL,
    stands_for jsonb
);

--
-- Name: registry_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registry_checks (
    application_id uuid NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_error text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: reissue_grounds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reissue_grounds (
    application_id uuid NOT NULL,
    ground text NOT NULL
);

--
-- Name: reissue_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reissue_requests (
    application_id uuid NOT NULL,
    license_number text NOT NULL,
    annex_only boolean NOT NULL,
    reorganization text,
    CONSTRAINT reissue_requests_reorganization_check CHECK ((reorganization = ANY (ARRAY['merger'::text, 'transformation'::text, 'accession'::text, 'spin_off'::text, 'split'::text])))
);

--
-- Name: reply_windows; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reply_windows (
    request_id uuid NOT NULL,
    application_id uuid NOT NULL,
    due_at timestamp with time zone NOT NULL,
    failed_at timestamp with time zone,
    error text
);

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: stage_transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.stage_transitions (
    from_stage text NOT NULL,
    to_stage text NOT NULL,
    retired boolean DEFAULT false NOT NULL
);

--
-- Name: stages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.stages (
    name text NOT NULL,
    final boolean NOT NULL
);

--
-- Name: timers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.timers (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    kind text NOT NULL,
    ref text DEFAULT ''::text NOT NULL,
    due_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    fired_at timestamp with time zone,
    cancelled_at timestamp with time zone,
    failed_at timestamp with time zone,
    error text
);

--
-- Name: timers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.timers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: timers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.timers_id_seq OWNED BY public.timers.id;

--
-- Name: transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.transitions (
    id bigint NOT NULL,
    application_id uuid NOT NULL,
    from_stage text NOT NULL,
    to_stage text NOT NULL,
    at timestamp with time zone NOT NULL,
    cause_kind text NOT NULL,
    cause_event_id text,
    cause_topic text,
    cause_partition integer,
    cause_offset bigint,
    cause_timer_id bigint,
    cause_actor text,
    recorded_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    cause_request_id uuid,
    CONSTRAINT transitions_cause_kind_check CHECK ((cause_kind = ANY (ARRAY['event'::text, 'timer'::text, 'actor'::text]))),
    CONSTRAINT transitions_check CHECK (((cause_kind <> 'event'::text) OR ((cause_event_id IS NOT NULL) AND (cause_topic IS NOT NULL) AND (cause_partition IS NOT NULL) AND (cause_offset IS NOT NULL)))),
    CONSTRAINT transitions_timer_cause CHECK (((cause_kind <> 'timer'::text) OR (cause_timer_id IS NOT NULL) OR (cause_request_id IS NOT NULL)))
);

--
-- Name: transitions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: transitions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.transitions_id_seq OWNED BY public.transitions.id;

--
-- Name: agency_replies id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agency_replies ALTER COLUMN id SET DEFAULT nextval('public.agency_replies_id_seq'::regclass);

--
-- Name: calendar_versions version; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calendar_versions ALTER COLUMN version SET DEFAULT nextval('public.calendar_versions_version_seq'::regclass);

--
-- Name: dead_letters id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letters ALTER COLUMN id SET DEFAULT nextval('public.dead_letters_id_seq'::regclass);

--
-- Name: deadline_changes id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deadline_changes ALTER COLUMN id SET DEFAULT nextval('public.deadline_changes_id_seq'::regclass);

--
-- Name: email_outbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_outbox ALTER COLUMN id SET DEFAULT nextval('public.email_outbox_id_seq'::regclass);

--
-- Name: gateway_calls id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_calls ALTER COLUMN id SET DEFAULT nextval('public.gateway_calls_id_seq'::regclass);

--
-- Name: grounds id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grounds ALTER COLUMN id SET DEFAULT nextval('public.grounds_id_seq'::regclass);

--
-- Name: incidents id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.incidents ALTER COLUMN id SET DEFAULT nextval('public.incidents_id_seq'::regclass);

--
-- Name: issued_documents id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_documents ALTER COLUMN id SET DEFAULT nextval('public.issued_documents_id_seq'::regclass);

--
-- Name: outbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox ALTER COLUMN id SET DEFAULT nextval('public.outbox_id_seq'::regclass);

--
-- Name: timers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.timers ALTER COLUMN id SET DEFAULT nextval('public.timers_id_seq'::regclass);

--
-- Name: transitions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transitions ALTER COLUMN id SET DEFAULT nextval('public.transitions_id_seq'::regclass);

--
-- Name: agency_replies agency_replies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agency_replies
    ADD CONSTRAINT agency_replies_pkey PRIMARY KEY (id);

--
-- Name: agency_requests agency_requests_application_id_agency_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agency_requests
    ADD CONSTRAINT agency_requests_application_id_agency_key UNIQUE (application_id, agency);

--
-- Name: agency_requests agency_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agency_requests
    ADD CONSTRAINT agency_requests_pkey PRIMARY KEY (request_id);

--
-- Name: applicants applicants_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applicants
    ADD CONSTRAINT applicants_pkey PRIMARY KEY (application_id);

--
-- Name: application_documents application_documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application_documents
    ADD CONSTRAINT application_documents_pkey PRIMARY KEY (application_id, seq);

--
-- Name: application_subtypes application_subtypes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application_subtypes
    ADD CONSTRAINT application_subtypes_pkey PRIMARY KEY (application_id, code);

--
-- Name: applications applications_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applications
    ADD CONSTRAINT applications_pkey PRIMARY KEY (application_id);

--
-- Name: calendar_versions calendar_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calendar_versions
    ADD CONSTRAINT calendar_versions_pkey PRIMARY KEY (version);

--
-- Name: complaints complaints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaints
    ADD CONSTRAINT complaints_pkey PRIMARY KEY (complaint_id);

--
-- Name: consumer_offsets consumer_offsets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consumer_offsets
    ADD CONSTRAINT consumer_offsets_pkey PRIMARY KEY (consumer, topic, partition);

--
-- Name: dead_letters dead_letters_consumer_topic_partition_offset_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letters
    ADD CONSTRAINT dead_letters_consumer_topic_partition_offset_key UNIQUE (consumer, topic, partition, "offset");

--
-- Name: dead_letters dead_letters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letters
    ADD CONSTRAINT dead_letters_pkey PRIMARY KEY (id);

--
-- Name: deadline_changes deadline_changes_calendar_version_deadline_ref_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deadline_changes
    ADD CONSTRAINT deadline_changes_calendar_version_deadline_ref_key UNIQUE (calendar_version, deadline, ref);

--
-- Name: deadline_changes deadline_changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deadline_changes
    ADD CONSTRAINT deadline_changes_pkey PRIMARY KEY (id);

--
-- Name: document_counters document_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document_counters
    ADD CONSTRAINT document_counters_pkey PRIMARY KEY (licensor, kind, year);

--
-- Name: email_outbox email_outbox_kind_ref_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_outbox
    ADD CONSTRAINT email_outbox_kind_ref_key UNIQUE (kind, ref);

--
-- Name: email_outbox email_outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_outbox
    ADD CONSTRAINT email_outbox_pkey PRIMARY KEY (id);

--
-- Name: fees fees_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fees
    ADD CONSTRAINT fees_pkey PRIMARY KEY (application_id);

--
-- Name: gateway_calls gateway_calls_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_calls
    ADD CONSTRAINT gateway_calls_pkey PRIMARY KEY (id);

--
-- Name: grounds grounds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grounds
    ADD CONSTRAINT grounds_pkey PRIMARY KEY (id);

--
-- Name: hearings hearings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hearings
    ADD CONSTRAINT hearings_pkey PRIMARY KEY (hearing_id);

--
-- Name: incidents incidents_application_id_kind_ref_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.incidents
    ADD CONSTRAINT incidents_application_id_kind_ref_key UNIQUE (application_id, kind, ref);

--
-- Name: incidents incidents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.incidents
    ADD CONSTRAINT incidents_pkey PRIMARY KEY (id);

--
-- Name: issued_documents issued_documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_documents
    ADD CONSTRAINT issued_documents_pkey PRIMARY KEY (id);

--
-- Name: license_annex_requests license_annex_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.license_annex_requests
    ADD CONSTRAINT license_annex_requests_pkey PRIMARY KEY (application_id);

--
-- Name: license_versions license_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.license_versions
    ADD CONSTRAINT license_versions_pkey PRIMARY KEY (number, version);

--
-- Name: licenses licenses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.licenses
    ADD CONSTRAINT licenses_pkey PRIMARY KEY (number);

--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

--
-- Name: processed_events processed_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT processed_events_pkey PRIMARY KEY (consumer, event_id);

--
-- Name: production_bases production_bases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.production_bases
    ADD CONSTRAINT production_bases_pkey PRIMARY KEY (application_id);

--
-- Name: registry_answers registry_answers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_answers
    ADD CONSTRAINT registry_answers_pkey PRIMARY KEY (application_id, service_id);

--
-- Name: registry_checks registry_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_checks
    ADD CONSTRAINT registry_checks_pkey PRIMARY KEY (application_id);

--
-- Name: reissue_grounds reissue_grounds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reissue_grounds
    ADD CONSTRAINT reissue_grounds_pkey PRIMARY KEY (application_id, ground);

--
-- Name: reissue_requests reissue_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reissue_requests
    ADD CONSTRAINT reissue_requests_pkey PRIMARY KEY (application_id);

--
-- Name: reply_windows reply_windows_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reply_windows
    ADD CONSTRAINT reply_windows_pkey PRIMARY KEY (request_id);

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

--
-- Name: stage_transitions stage_transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stage_transitions
    ADD CONSTRAINT stage_transitions_pkey PRIMARY KEY (from_stage, to_stage);

--
-- Name: stages stages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stages
    ADD CONSTRAINT stages_pkey PRIMARY KEY (name);

--
-- Name: timers timers_application_id_kind_ref_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.timers
    ADD CONSTRAINT timers_application_id_kind_ref_key UNIQUE (application_id, kind, ref);

--
-- Name: timers timers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.timers
    ADD CONSTRAINT timers_pkey PRIMARY KEY (id);

--
-- Name: transitions transitions_legal; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.transitions
    ADD CONSTRAINT transitions_legal CHECK ((((from_stage || '>'::text) || to_stage) = ANY ('{awaiting_approvals>awaiting_decision,awaiting_approvals>awaiting_replies,awaiting_approvals>refusal_proposed,awaiting_decision>license_issued,awaiting_decision>license_reissued,awaiting_decision>refusal_proposed,awaiting_registries>awaiting_approvals,awaiting_registries>awaiting_decision,awaiting_replies>awaiting_decision,awaiting_replies>refusal_proposed,none>registered,refusal_proposed>awaiting_approvals,refusal_proposed>awaiting_replies,refusal_proposed>license_issued,refusal_proposed>license_reissued,refusal_proposed>refused,refused>awaiting_approvals,refused>awaiting_decision,refused>awaiting_replies,registered>awaiting_registries,registered>refused_incomplete}'::text[]))) NOT VALID;

--
-- Name: transitions transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transitions
    ADD CONSTRAINT transitions_pkey PRIMARY KEY (id);

--
-- Name: agency_replies_request; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agency_replies_request ON public.agency_replies USING btree (request_id);

--
-- Name: agency_requests_due_by_agency; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agency_requests_due_by_agency ON public.agency_requests USING btree (agency, next_attempt_at) WHERE (state = 'pending'::text);

--
-- Name: applicants_bin; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applicants_bin ON public.applicants USING btree (bin) WHERE (bin IS NOT NULL);

--
-- Name: applicants_iin; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applicants_iin ON public.applicants USING btree (iin) WHERE (iin IS NOT NULL);

--
-- Name: applications_awaiting_registries; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_awaiting_registries ON public.applications USING btree (registered_at) WHERE (stage = 'awaiting_registries'::text);

--
-- Name: applications_ground_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_ground_pending ON public.applications USING btree (application_id) WHERE ground_pending;

--
-- Name: applications_portal_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_portal_ref ON public.applications USING btree (portal_ref);

--
-- Name: applications_stage; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_stage ON public.applications USING btree (stage);

--
-- Name: applications_term_watch; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_term_watch ON public.applications USING btree (term_watch_at) WHERE (term_watch_at IS NOT NULL);

--
-- Name: applications_to_dispatch; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_to_dispatch ON public.applications USING btree (registered_at) WHERE ((stage = 'awaiting_approvals'::text) AND (approvals_requested_at IS NULL));

--
-- Name: complaints_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_application ON public.complaints USING btree (application_id);

--
-- Name: deadline_changes_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deadline_changes_application ON public.deadline_changes USING btree (application_id);

--
-- Name: email_outbox_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX email_outbox_application ON public.email_outbox USING btree (application_id);

--
-- Name: email_outbox_unsent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX email_outbox_unsent ON public.email_outbox USING btree (next_attempt_at) WHERE (sent_at IS NULL);

--
-- Name: gateway_calls_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX gateway_calls_application ON public.gateway_calls USING btree (application_id);

--
-- Name: gateway_calls_asked; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX gateway_calls_asked ON public.gateway_calls USING btree (asked_at);

--
-- Name: grounds_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX grounds_application ON public.grounds USING btree (application_id);

--
-- Name: hearings_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hearings_application ON public.hearings USING btree (application_id, proposed_at);

--
-- Name: hearings_one_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hearings_one_pending ON public.hearings USING btree (application_id) WHERE (outcome IS NULL);

--
-- Name: issued_documents_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issued_documents_application ON public.issued_documents USING btree (application_id);

--
-- Name: issued_documents_first_issue; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX issued_documents_first_issue ON public.issued_documents USING btree (kind, year, seq) WHERE ((version = 1) AND (seq > 0));

--
-- Name: issued_documents_unsigned; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issued_documents_unsigned ON public.issued_documents USING btree (id) WHERE ((signed_at IS NULL) AND (sign_error IS NULL));

--
-- Name: issued_documents_version; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX issued_documents_version ON public.issued_documents USING btree (kind, number, version);

--
-- Name: licenses_holder; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX licenses_holder ON public.licenses USING btree (holder_id);

--
-- Name: outbox_held; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_held ON public.outbox USING btree (topic, msg_key, id) WHERE ((held_by IS NOT NULL) AND (sent_at IS NULL) AND (discarded_at IS NULL));

--
-- Name: outbox_sent_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_sent_at ON public.outbox USING btree (sent_at) WHERE (sent_at IS NOT NULL);

--
-- Name: outbox_set_aside; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_set_aside ON public.outbox USING btree (topic, msg_key, id) WHERE ((set_aside_at IS NOT NULL) AND (sent_at IS NULL) AND (discarded_at IS NULL));

--
-- Name: outbox_unsent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_unsent ON public.outbox USING btree (id) WHERE ((sent_at IS NULL) AND (set_aside_at IS NULL) AND (discarded_at IS NULL));

--
-- Name: registry_checks_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX registry_checks_due ON public.registry_checks USING btree (next_attempt_at);

--
-- Name: reply_windows_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reply_windows_due ON public.reply_windows USING btree (due_at) WHERE (failed_at IS NULL);

--
-- Name: timers_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX timers_open ON public.timers USING btree (due_at) WHERE ((fired_at IS NULL) AND (cancelled_at IS NULL) AND (failed_at IS NULL));

--
-- Name: transitions_application; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transitions_application ON public.transitions USING btree (application_id, id);

--
-- Name: agency_replies agency_replies_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_replies_keys BEFORE UPDATE OF id, request_id, application_id ON public.agency_replies FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('id', 'request_id', 'application_id');

--
-- Name: agency_replies agency_replies_never_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_replies_never_deleted BEFORE DELETE OR TRUNCATE ON public.agency_replies FOR EACH STATEMENT EXECUTE FUNCTION public.lic_never_deleted();

--
-- Name: agency_replies agency_replies_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_replies_reference AFTER INSERT ON public.agency_replies REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.agency_replies_check();

--
-- Name: agency_requests agency_requests_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_requests_keys BEFORE UPDATE OF request_id, application_id ON public.agency_requests FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('request_id', 'application_id');

--
-- Name: agency_requests agency_requests_never_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_requests_never_deleted BEFORE DELETE OR TRUNCATE ON public.agency_requests FOR EACH STATEMENT EXECUTE FUNCTION public.lic_never_deleted();

--
-- Name: agency_requests agency_requests_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_requests_reference AFTER INSERT ON public.agency_requests REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.lic_check_application();

--
-- Name: agency_requests agency_requests_reply_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agency_requests_reply_reference AFTER UPDATE ON public.agency_requests REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.agency_requests_reply_check();

--
-- Name: applications applications_ground_pending; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER applications_ground_pending AFTER UPDATE OF ground_pending, stage, approvals_requested_at ON public.applications FOR EACH ROW WHEN ((new.ground_pending AND ((NOT old.ground_pending) OR (new.stage IS DISTINCT FROM old.stage) OR (new.approvals_requested_at IS DISTINCT FROM old.approvals_requested_at)))) EXECUTE FUNCTION public.applications_ground_notify();

--
-- Name: applications applications_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER applications_keys BEFORE UPDATE OF application_id ON public.applications FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: applications applications_never_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER applications_never_deleted BEFORE DELETE OR TRUNCATE ON public.applications FOR EACH STATEMENT EXECUTE FUNCTION public.lic_never_deleted();

--
-- Name: email_outbox email_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER email_inserted AFTER INSERT ON public.email_outbox FOR EACH STATEMENT EXECUTE FUNCTION public.email_notify();

--
-- Name: gateway_calls gateway_calls_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER gateway_calls_keys BEFORE UPDATE OF application_id ON public.gateway_calls FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: gateway_calls gateway_calls_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER gateway_calls_reference AFTER INSERT ON public.gateway_calls REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.registry_rows_inserted();

--
-- Name: grounds grounds_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER grounds_keys BEFORE UPDATE OF application_id ON public.grounds FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: grounds grounds_pending; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER grounds_pending AFTER INSERT ON public.grounds REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.grounds_pending();

--
-- Name: grounds grounds_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER grounds_reference AFTER INSERT ON public.grounds REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.registry_rows_inserted();

--
-- Name: issued_documents issued_documents_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER issued_documents_keys BEFORE UPDATE OF application_id ON public.issued_documents FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: issued_documents issued_documents_notary; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER issued_documents_notary AFTER INSERT ON public.issued_documents FOR EACH STATEMENT EXECUTE FUNCTION public.issued_documents_notify();

--
-- Name: issued_documents issued_documents_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER issued_documents_reference AFTER INSERT ON public.issued_documents REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.lic_check_application();

--
-- Name: license_versions license_versions_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER license_versions_keys BEFORE UPDATE OF number, application_id ON public.license_versions FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('number', 'application_id');

--
-- Name: license_versions license_versions_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER license_versions_reference AFTER INSERT ON public.license_versions REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.license_versions_check();

--
-- Name: licenses licenses_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER licenses_keys BEFORE UPDATE OF number, application_id ON public.licenses FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('number', 'application_id');

--
-- Name: licenses licenses_never_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER licenses_never_deleted BEFORE DELETE OR TRUNCATE ON public.licenses FOR EACH STATEMENT EXECUTE FUNCTION public.lic_never_deleted();

--
-- Name: licenses licenses_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER licenses_reference AFTER INSERT ON public.licenses REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.lic_check_application();

--
-- Name: outbox outbox_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER outbox_inserted AFTER INSERT ON public.outbox FOR EACH STATEMENT EXECUTE FUNCTION public.outbox_notify();

--
-- Name: outbox outbox_result_held; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER outbox_result_held BEFORE INSERT ON public.outbox FOR EACH ROW WHEN ((new.stage = ANY (ARRAY['license_issued'::text, 'license_reissued'::text, 'refused'::text, 'refused_incomplete'::text]))) EXECUTE FUNCTION public.outbox_hold_for_signature();

--
-- Name: registry_answers registry_answers_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER registry_answers_keys BEFORE UPDATE OF application_id ON public.registry_answers FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: registry_answers registry_answers_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER registry_answers_reference AFTER INSERT ON public.registry_answers REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.registry_rows_inserted();

--
-- Name: registry_checks registry_checks_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER registry_checks_keys BEFORE UPDATE OF application_id ON public.registry_checks FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: registry_checks registry_checks_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER registry_checks_reference AFTER INSERT ON public.registry_checks REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.registry_rows_inserted();

--
-- Name: reply_windows reply_windows_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reply_windows_keys BEFORE UPDATE OF request_id, application_id ON public.reply_windows FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('request_id', 'application_id');

--
-- Name: reply_windows reply_windows_reference; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reply_windows_reference AFTER INSERT ON public.reply_windows REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.reply_windows_inserted();

--
-- Name: timers timers_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER timers_inserted AFTER INSERT ON public.timers REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.timers_notify();

--
-- Name: timers timers_keys; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER timers_keys BEFORE UPDATE OF application_id ON public.timers FOR EACH ROW EXECUTE FUNCTION public.lic_keys_unchanged('application_id');

--
-- Name: transitions transitions_no_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER transitions_no_update BEFORE DELETE OR UPDATE ON public.transitions FOR EACH ROW EXECUTE FUNCTION public.transitions_append_only();

--
-- Name: transitions transitions_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER transitions_notify AFTER INSERT ON public.transitions REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.transitions_notify();

--
-- Name: applicants applicants_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applicants
    ADD CONSTRAINT applicants_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: application_documents application_documents_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application_documents
    ADD CONSTRAINT application_documents_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: application_subtypes application_subtypes_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application_subtypes
    ADD CONSTRAINT application_subtypes_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: complaints complaints_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaints
    ADD CONSTRAINT complaints_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id);

--
-- Name: deadline_changes deadline_changes_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deadline_changes
    ADD CONSTRAINT deadline_changes_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id);

--
-- Name: deadline_changes deadline_changes_calendar_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deadline_changes
    ADD CONSTRAINT deadline_changes_calendar_version_fkey FOREIGN KEY (calendar_version) REFERENCES public.calendar_versions(version);

--
-- Name: email_outbox email_outbox_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_outbox
    ADD CONSTRAINT email_outbox_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id);

--
-- Name: fees fees_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fees
    ADD CONSTRAINT fees_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: hearings hearings_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hearings
    ADD CONSTRAINT hearings_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id);

--
-- Name: incidents incidents_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.incidents
    ADD CONSTRAINT incidents_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id);

--
-- Name: license_annex_requests license_annex_requests_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.license_annex_requests
    ADD CONSTRAINT license_annex_requests_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: production_bases production_bases_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.production_bases
    ADD CONSTRAINT production_bases_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: reissue_grounds reissue_grounds_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reissue_grounds
    ADD CONSTRAINT reissue_grounds_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: reissue_requests reissue_requests_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reissue_requests
    ADD CONSTRAINT reissue_requests_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.applications(application_id) ON DELETE CASCADE;

--
-- Name: stage_transitions stage_transitions_from_stage_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stage_transitions
    ADD CONSTRAINT stage_transitions_from_stage_fkey FOREIGN KEY (from_stage) REFERENCES public.stages(name);

--
-- Name: stage_transitions stage_transitions_to_stage_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stage_transitions
    ADD CONSTRAINT stage_transitions_to_stage_fkey FOREIGN KEY (to_stage) REFERENCES public.stages(name);

--
-- PostgreSQL database dump complete
--

