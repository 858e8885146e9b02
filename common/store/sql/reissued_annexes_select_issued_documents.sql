-- documents.c: the license $1's annexes after the first, each as last issued, for a
-- re-registration to issue again in the new holder's name (its row locked by the caller).
SELECT d.number, d.version + 1, d.body::text
FROM licenses l, generate_series(2, l.annexes) k,
LATERAL (SELECT number, version, body FROM issued_documents
         WHERE kind = 'annex' AND number = l.number || '/' || k
         ORDER BY version DESC LIMIT 1) d
WHERE l.number = $1 ORDER BY k;
