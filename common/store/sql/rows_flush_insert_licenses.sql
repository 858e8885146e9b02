-- documents.c
INSERT INTO licenses (number, holder_type, holder_id, holder_name,
first_issued_on, version, application_id)
SELECT t.number, t.holder_type, t.holder_id, t.holder_name,
t.first_issued_on, 1, t.application_id
FROM ROWS FROM (json_to_recordset($1::json) AS (number text,
holder_type text, holder_id text, holder_name text,
first_issued_on date, application_id uuid))
WITH ORDINALITY AS t ORDER BY t.ordinality;
