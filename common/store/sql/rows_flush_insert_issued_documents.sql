-- documents.c: a batch's issued documents, in the order they were added.
INSERT INTO issued_documents (application_id, kind, number, year, seq,
issued_at, body, version)
SELECT t.application_id, t.kind, t.number, t.year, t.seq, t.issued_at,
t.body, t.version
-- As jsonb: the bodies are parsed once (as json, each again for its jsonb column - a
-- quarter more for a licence's documents).
FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (application_id uuid,
kind text, number text, year integer, seq integer,
issued_at timestamptz, body jsonb, version integer))
WITH ORDINALITY AS t ORDER BY t.ordinality;
