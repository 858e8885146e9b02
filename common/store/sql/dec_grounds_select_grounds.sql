-- decision.c: the grounds recorded with their facts, in the order they were found, but those
-- a hearing that withdrew the refusal, or whose refusal a complaint overturned, dealt with.
SELECT g.code, g.text_ru, g.text_kk, g.rule, g.evidence::text, g.number, g.id FROM grounds g
WHERE g.application_id = $1
  AND NOT EXISTS (SELECT 1 FROM hearings h CROSS JOIN LATERAL jsonb_array_elements(h.grounds) e
                  WHERE h.application_id = $1 AND (h.outcome = 'refusal_withdrawn' OR h.overturned_by IS NOT NULL)
                    AND e->>'key' = 'ground:' || g.id)
ORDER BY g.id;
