-- actions.c: a ground the executor raised, with its facts, evidence and official.
INSERT INTO grounds (application_id, source, code, number, text_kk, text_ru, rule, evidence,
                     raised_at, raised_by)
VALUES ($1, 'executor', $2, $3::integer, $4, $5, $6, $7::jsonb, $8, $9);
