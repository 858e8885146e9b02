-- cmd_documents.c: a document's latest version as signed - the PDF, the signature, the PDF's
-- SHA-256 and who signed - or the reason it is not (yet).
SELECT encode(pdf, 'hex'), encode(signature, 'hex'), pdf_sha256, signer_name, signer_iin,
       signer_serial, signed_at IS NOT NULL, coalesce(sign_error, '')
FROM issued_documents WHERE number = $1 ORDER BY version DESC LIMIT 1;
