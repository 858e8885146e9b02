-- intake.c
INSERT INTO application_documents (application_id, seq, kind, doc_id,
sha256, signed_by) SELECT $1, seq, kind, doc_id, sha256, signed_by
FROM jsonb_to_recordset($2::jsonb) AS d(seq int, kind text, doc_id text,
sha256 text, signed_by text);
