-- notary.c: the signed documents of application $1, the signature in base64 on one line.
SELECT number, pdf_sha256, translate(encode(signature, 'base64'), E'\n', ''), signer_name,
       signer_serial, extract(epoch FROM signed_at)::bigint
FROM issued_documents WHERE application_id = $1::uuid AND signed_at IS NOT NULL
ORDER BY version;
