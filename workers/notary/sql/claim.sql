-- notary.c: up to $1 documents to sign, oldest first, locked (SKIP LOCKED: another notary takes
-- the next ones).
SELECT id, number, body::text, application_id FROM issued_documents
WHERE signed_at IS NULL AND sign_error IS NULL
ORDER BY id LIMIT $1::integer
FOR UPDATE SKIP LOCKED;
