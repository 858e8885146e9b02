-- registries.c: the grounds a round's answers prove (a JSON array of reg_grounds()'s objects,
-- each with its application_id), raised at $2.
INSERT INTO grounds (application_id, source, code, number, text_kk, text_ru, rule, evidence,
                     raised_at)
SELECT (g->>'application_id')::uuid, 'registry', g->>'code', (g->>'number')::integer,
       g->>'text_kk', g->>'text_ru', g->>'rule', g->'evidence', $2
FROM jsonb_array_elements($1::jsonb) g;
