-- documents.c
INSERT INTO license_versions (number, version, application_id, kind,
holder_id, holder_name, issued_on, annex_only)
SELECT t.number, t.version, t.application_id, t.kind, t.holder_id,
t.holder_name, t.issued_on, t.annex_only
FROM ROWS FROM (json_to_recordset($1::json) AS (number text,
version integer, application_id uuid, kind text, holder_id text,
holder_name text, issued_on date, annex_only boolean))
WITH ORDINALITY AS t ORDER BY t.ordinality;
