-- actions.c: the executor's review found no ground (review.completed.v1).
UPDATE applications SET reviewed_at = $2 WHERE application_id = $1 AND reviewed_at IS NULL;
