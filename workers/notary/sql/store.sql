-- notary.c: the document's PDF, its SHA-256, the signature and who signed, at $8.
UPDATE issued_documents
SET pdf = decode($2, 'hex'), pdf_sha256 = $3, signature = decode($4, 'hex'), signer_name = $5,
    signer_iin = nullif($6, ''), signer_serial = $7, signed_at = $8
WHERE id = $1::bigint AND signed_at IS NULL;
