-- replies.c: a batch's replies ($1, a JSON array in arrival order; $2 the arrival time), each
-- recorded; the counted ones made their requests' outcomes (with the receipt each proves) and
-- their reply windows closed.
WITH t AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
        request_id uuid, application_id uuid, agency text, verdict text, reasons jsonb,
        decided_at timestamptz, signer text, key_id text, event_id text, topic text,
        partition integer, "offset" bigint, counted boolean, ignored_reason text,
        received_at timestamptz, reply_due_at timestamptz)) WITH ORDINALITY AS t),
r AS (
    INSERT INTO agency_replies (request_id, application_id, agency, verdict, reasons,
                                decided_at, signer, key_id, event_id, topic, partition,
                                "offset", arrived_at, counted, ignored_reason)
    SELECT request_id, application_id, agency, verdict, reasons, decided_at, signer, key_id,
           event_id, topic, partition, "offset", $2, counted, ignored_reason
    FROM t ORDER BY ordinality
    RETURNING id, request_id, verdict, reasons, counted),
u AS (
    UPDATE agency_requests q
    SET outcome = r.verdict, outcome_at = $2, reasons = r.reasons, reply_id = r.id,
        state = CASE WHEN t.received_at IS NULL THEN q.state ELSE 'received' END,
        received_at = coalesce(t.received_at, q.received_at),
        reply_due_at = coalesce(t.reply_due_at, q.reply_due_at)
    FROM r JOIN t USING (request_id)
    WHERE r.counted AND q.request_id = r.request_id AND q.outcome IS NULL
    RETURNING q.request_id, q.application_id, q.outcome),
-- A non_compliant answer is a ground: the decider acts on it at once (¶13), the other
-- agency's reply still awaited or not.
g AS (
    UPDATE applications a SET ground_pending = true
    WHERE a.application_id IN (SELECT application_id FROM u WHERE outcome = 'non_compliant')
      AND NOT a.ground_pending)
DELETE FROM reply_windows WHERE request_id IN (SELECT request_id FROM u);
