-- replies.c: a counted reply - recorded, made its request's outcome, its reply window closed,
-- in one statement. $16/$17: the receipt the reply proves (NULL unless the request was still
-- pending when read under the application's lock, see proven_receipt()).
WITH r AS (
    INSERT INTO agency_replies (request_id, application_id, agency, verdict, reasons,
                                decided_at, signer, key_id, event_id, topic, partition,
                                "offset", arrived_at, counted, ignored_reason)
    VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    RETURNING id),
u AS (
    UPDATE agency_requests q
    SET outcome = $4, outcome_at = $13, reasons = $5::jsonb, reply_id = (SELECT id FROM r),
        state = CASE WHEN $16::timestamptz IS NULL THEN q.state ELSE 'received' END,
        received_at = coalesce($16::timestamptz, q.received_at),
        reply_due_at = coalesce($17::timestamptz, q.reply_due_at)
    WHERE request_id = $1 AND outcome IS NULL
    RETURNING request_id)
DELETE FROM reply_windows WHERE request_id IN (SELECT request_id FROM u);
