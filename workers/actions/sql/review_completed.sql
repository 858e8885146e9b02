-- actions.c: the executor's review found no ground (review.completed.v1), with the license's
-- special conditions ($3, NULL: none).
UPDATE applications SET reviewed_at = $2, special_conditions = $3::jsonb
WHERE application_id = $1 AND reviewed_at IS NULL;
