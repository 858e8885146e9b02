-- pipeline.c
INSERT INTO incidents (kind, ref, detail, at) SELECT $1, $2, $3, $4
WHERE NOT EXISTS (SELECT 1 FROM incidents WHERE application_id IS NULL
AND kind = $1 AND ref = $2);
