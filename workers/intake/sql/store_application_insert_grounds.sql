-- intake.c: the fee's ground of Standard row 9 (ground 2), found by the check at registration.
INSERT INTO grounds (application_id, source, code, number, text_kk, text_ru, rule, evidence,
                     raised_at)
VALUES ($1, 'intake', $2, $3::integer, $4, $5, $6, $7::jsonb, $8);
