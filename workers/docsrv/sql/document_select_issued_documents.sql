-- docsrv: a document's latest version - its kind, version, body, issue time, and as signed the
-- PDF, the signature, the PDF's SHA-256 and who signed.
SELECT kind, version::text, body::text, issued_at::text, encode(pdf, 'hex'),
       encode(signature, 'hex'), pdf_sha256, signer_name, coalesce(signer_iin, ''),
       signer_serial, signed_at::text
FROM issued_documents WHERE number = $1 ORDER BY version DESC LIMIT 1;
