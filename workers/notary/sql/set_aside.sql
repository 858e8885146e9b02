-- notary.c: a document that cannot be rendered or signed, with the reason; an incident tells
-- the operators.
WITH d AS (
    UPDATE issued_documents SET sign_error = $2 WHERE id = $1::bigint
    RETURNING application_id, number)
INSERT INTO incidents (application_id, kind, ref, detail, at)
SELECT application_id, 'document_not_signed', number, $2, $3 FROM d
ON CONFLICT (application_id, kind, ref) DO NOTHING;
