-- replies.c: a reply that does not count (late, repeated, after the window): recorded only.
INSERT INTO agency_replies (request_id, application_id, agency, verdict, reasons, decided_at,
                            signer, key_id, event_id, topic, partition, "offset", arrived_at,
                            counted, ignored_reason)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING id;
