-- notary.c: the result events of application $1 held for signatures (migration 033), once every
-- document of it is signed.
SELECT o.id, convert_from(o.payload, 'UTF8') FROM outbox o
WHERE o.application_id = $1::uuid AND o.held_by = 'notary' AND o.sent_at IS NULL
AND NOT EXISTS (SELECT 1 FROM issued_documents d
                WHERE d.application_id = $1::uuid AND d.signed_at IS NULL)
ORDER BY o.id FOR UPDATE;
