-- registries.c: the grounds the answers prove (a JSON array of reg_grounds()'s objects).
INSERT INTO grounds (application_id, source, code, number, text_kk, text_ru, rule, evidence,
                     raised_at)
SELECT $1, 'registry', g->>'code', (g->>'number')::integer, g->>'text_kk', g->>'text_ru',
       g->>'rule', g->'evidence', $3
FROM jsonb_array_elements($2::jsonb) g;
