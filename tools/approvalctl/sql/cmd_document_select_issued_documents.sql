-- cmd_documents.c: a document's latest version by its number.
SELECT body::text FROM issued_documents WHERE number = $1 ORDER BY version DESC LIMIT 1;
