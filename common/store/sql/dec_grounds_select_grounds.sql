-- decision.c: the grounds recorded with their facts, in the order they were found.
SELECT code, text_ru, text_kk, rule, evidence::text, number FROM grounds
WHERE application_id = $1 ORDER BY id;
